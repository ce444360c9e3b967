"""The ``3cx`` root command: global options, built-in commands, resource groups.

Resource groups come from the catalog and are created only when listed or
called (see :mod:`tcxkit.cli.lazy`); everything that talks to a PBX imports
the client inside its callback, so ``3cx --help`` and ``3cx actions`` stay
fast.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .. import __version__
from ..catalog import DEFAULT_RELEASE, RELEASES
from ..catalog.options import QUERY_OPTION_NAMES
from ..config import env_bool
from .backupcmd import backup_group
from .callscmd import calls_group
from .cmdkit import CONTEXT, address_option, ranged_option
from .events import events_group
from .globalopts import (
    NO_FLEET_KEY,
    ONE_PBX_COMMANDS,
    OUTPUT_FORMATS,
    RELEASE_KEY,
    add_global_options,
    global_options,
    release_from_argv,
)
from .lazy import (
    HelpOnEmpty,
    common_options,
    query_options,
    resource_group,
    resource_map,
)
from .lookups import STRICT_HELP
from .recordingscmd import recordings_archive_group
from .release import release_of
from .runopts import Options
from .safety import DRY_RUN_HELP, YES_HELP
from .statecmd import state_group

__all__ = ["BUILTINS", "cli"]


class RootGroup(HelpOnEmpty):
    """Built-in commands first, then one lazily built group per resource.

    The run's state lives in click's context, never in the (shared) command objects:
    ``ctx.obj`` holds the global options, ``ctx.meta`` what the root learns while
    parsing (``--release`` wherever it stands; whether the command takes --fleet).
    """

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """One run: every failure becomes one paragraph on stderr and its exit code.

        The console script and click's ``CliRunner`` both come here. Each run gets a
        new :class:`Options` as ``ctx.obj`` (the root callback fills it in), which
        still holds ``--debug`` when the failure is reported.
        """
        from ..errors import TcxError
        from .errors import report

        try:
            debug = env_bool("TCX_DEBUG")
        except TcxError as exc:  # an unparseable TCX_DEBUG: its message and exit code
            code = report(exc)
        else:
            state = extra.pop("obj", None) or Options(debug=debug)
            try:
                code = _outcome(
                    lambda: super(RootGroup, self).main(
                        args, prog_name or "3cx", complete_var, False, obj=state, **extra
                    ),
                    state,
                )
            finally:
                _end_run()
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # --release may follow the command, but the tree is built from its catalog first.
        ctx.meta[RELEASE_KEY] = release_from_argv(args)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return _builtin_names(self) + sorted(_resources(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in LAZY_BUILTINS:
            cmd: click.Command = LAZY_BUILTINS[cmd_name][1]()  # a fresh one per lookup
            add_global_options([cmd])
            return cmd
        return resource_group(release_of(ctx), cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        builtin = [(n, c.get_short_help_str(200)) for n, c in self.commands.items()]
        builtin += [(n, short) for n, (short, _build) in LAZY_BUILTINS.items()]
        resources = _resources(ctx)
        with formatter.section("Commands"):
            formatter.write_dl(builtin)
        release = release_of(ctx).release
        with formatter.section(f"Resources (XAPI {release}; `3cx RESOURCE --help`)"):
            formatter.write_dl(
                [
                    (n, f"{tag}: {count} action{'s' if count != 1 else ''}")
                    for n, (tag, count) in sorted(resources.items())
                ]
            )

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            cat = release_of(ctx)
            import difflib

            close = difflib.get_close_matches(
                name, _builtin_names(self) + list(_resources(ctx)), n=4
            )
            found = cat.get(name)
            extra = ""
            if found is not None:
                extra = (
                    f" {found.id} is an action: run `3cx {found.resource_cli_name} "
                    f"{found.cli_name}` or `3cx call {found.id}`."
                )
            elif close:
                extra = f" Did you mean: {', '.join(close)}?"
            ctx.fail(f"No command or resource {name!r}.{extra} See `3cx --help`.")
        return super().resolve_command(ctx, args)


#: Built-in commands that take --fleet (besides every action command).
FLEET_COMMANDS = (
    "backup", "call", "calls", "events", "fleet", "recording", "state", "health", "exporter",
)  # fmt: skip


def _outcome(run: Any, state: Options) -> Any:
    """Run the click app; every failure becomes a message on stderr and an exit code."""
    from .errors import report

    try:
        return run()
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (and EOF at a prompt) into Abort; keep the
        # conventional 130 for an interrupt so scripts can tell it apart.
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            print("3cx: interrupted.", file=sys.stderr)
            return 130
        print("3cx: aborted.", file=sys.stderr)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        print("3cx: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        return report(exc, debug=state.debug)


def _end_run() -> None:
    """Undo what a run set process-wide (the HTTP log handler on its stderr)."""
    connect = sys.modules.get(f"{__package__}.connect")
    if connect is not None:  # only a run that connected can have enabled HTTP logging
        connect.disable_debug_logging()


def _builtin_names(group: click.Group) -> list[str]:
    return list(group.commands) + list(LAZY_BUILTINS)


def _resources(ctx: click.Context) -> dict[str, tuple[str, int]]:
    return resource_map(release_of(ctx))


def _with_global_options(fn: Any) -> Any:
    """Attach the global options (declared once in :mod:`.globalopts`) to the root."""
    params = getattr(fn, "__click_params__", [])
    params.extend(reversed(global_options()))
    fn.__click_params__ = params
    return fn


def _visible_globals(*names: str) -> Any:
    """Show some global options in a command's own help (login stores the TLS ones)."""

    def deco(fn: Any) -> Any:
        params = getattr(fn, "__click_params__", [])
        for opt in global_options(hidden=True):
            if opt.name in names:
                opt.hidden = False
                params.append(opt)
        fn.__click_params__ = params
        return fn

    return deco


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(
        f"3cx (tcxkit) {__version__}; XAPI catalogs {RELEASES[0]}..{RELEASES[-1]} "
        f"(default {DEFAULT_RELEASE}); Python {sys.version.split()[0]}"
    )
    ctx.exit(0)


def _deprecated_release(values: dict[str, Any], name: str) -> None:
    """``--version`` meant the XAPI release on `login` and `emulator`: still taken, with a
    warning, for one version (click cannot give two flags one name and tell them apart)."""
    old = values.pop("old_release", None)
    if old is not None:
        print("3cx: --version is deprecated here; use --release.", file=sys.stderr)
        values[name] = old


def _exit_codes_help() -> str:
    """The exit codes for ``3cx --help``, from the one table (:data:`tcxkit.cli.exitcodes.EXIT_CODES`).

    Installed packages carry no docs/cli.md, so the help is where a script's
    author finds them.  ``\\b`` keeps click from re-wrapping the lines together.
    """
    from .exitcodes import EXIT_CODES

    return "\b\nExit codes:\n" + "\n".join(f"  {c:>3}  {m}" for c, m in EXIT_CODES.items())


@click.group(
    "3cx",
    cls=RootGroup,
    context_settings=CONTEXT,
    invoke_without_command=False,
    no_args_is_help=True,
    epilog="Connection: --profile / TCX_PROFILE, or TCX_URL + TCX_CLIENT_ID + TCX_CLIENT_SECRET; "
    "with none of them, the built-in emulator. Global options may also follow the command. "
    "Defaults: config.toml (docs/cli.md).\n\n" + _exit_codes_help(),
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version and exit.",
)
@_with_global_options
@click.pass_context
def cli(ctx: click.Context, **opts: Any) -> None:
    """Automate a 3CX V20 phone system through its Configuration API (XAPI).

    Every XAPI action is a command: `3cx RESOURCE ACTION [OPTIONS]`, e.g.

      3cx users list-user --select Number,FirstName -o table

      3cx peers retreive-peers-by-numbers --peers-request '{"DnNumbers":["100"]}'

    Find actions with `3cx actions WORDS...` and read one with `3cx actions show ACTION`.
    """
    release = opts["release"]
    if release and release != "auto":
        from ..catalog import catalog

        catalog(release)  # unknown release: a clear usage error now
    if opts["debug"] or env_bool("TCX_DEBUG"):
        opts["debug"] = True
    sub = ctx.invoked_subcommand
    builtin = sub in cli.commands or sub in LAZY_BUILTINS
    one_pbx = sub in ONE_PBX_COMMANDS  # --inventory FILE --pbx NAME names its PBX
    if builtin and sub not in FLEET_COMMANDS:
        ctx.meta[NO_FLEET_KEY] = True  # read by a --fleet given after the command
        if opts["fleet"] or (opts["inventory"] and not one_pbx):
            from .globalopts import refuse_fleet

            refuse_fleet(f"3cx {sub}")
    # The caller may hand in this run's Options (main() does, to read --debug after a
    # failure); fill that one in rather than replace it.
    state = ctx.ensure_object(Options)
    given = Options(
        fleet=opts["fleet"],
        inventory=opts["inventory"],
        concurrency=opts["concurrency"],
        profile=opts["profile"],
        release=release,
        ca_bundle=opts["ca_bundle"],
        insecure=bool(opts["insecure"]),
        allow_http=bool(opts["allow_http"]),
        timeout=opts["timeout"],
        debug=bool(opts["debug"]),
        output=opts["output"],
    )
    state.__dict__.update(given.__dict__)


# ----------------------------------------------------------------------------- call


@cli.command(
    "call",
    context_settings=CONTEXT,
    params=[
        click.Argument(["action"]),
        click.Option(
            ["--param", "-P"],
            multiple=True,
            metavar="NAME=VALUE",
            help="Path or function parameter (spec, snake or kebab name); repeatable.",
        ),
        click.Option(
            ["--body", "-b"],
            metavar="JSON|@FILE|-",
            help='Request body (for OData actions the wrapper object, e.g. {"peersRequest": {...}}).',
        ),
        *query_options(QUERY_OPTION_NAMES),
        *common_options(True),
        click.Option(["--strict", "strict_numbers"], is_flag=True, help=STRICT_HELP),
        click.Option(["--dry-run"], is_flag=True, help=DRY_RUN_HELP),
        click.Option(["--yes", "-y"], is_flag=True, help=YES_HELP),
    ],
)
@click.pass_context
def call_cmd(ctx: click.Context, **values: Any) -> None:
    """Run any action by its id (operationId, snake or kebab name).

    \b
    Examples:
      3cx call GetPeerByNumber --param Number=100
      3cx call RetreivePeersByNumbers --body '{"peersRequest": {"DnNumbers": ["100"]}}'
      3cx call ListUser --select Number,FirstName --all -o table
    """
    from .run import run_call

    run_call(ctx, values.pop("action"), values)


# ----------------------------------------------------------------------------- discovery


@cli.command(
    "actions",
    context_settings=CONTEXT,
    short_help="Find actions; `actions show ACTION` explains one.",
)
@click.option(
    "--resource", "-r", metavar="RESOURCE", help="Only this resource (tag, kebab or snake name)."
)
@click.option("--markdown", is_flag=True, help="With `show`: Markdown, as in docs/actions/.")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help="With WORDS: at most this many results (0: every action that matches a word).",
)
@click.option("--why", is_flag=True, help="With WORDS: say under each result why it matched.")
@click.argument("words", nargs=-1)
@click.pass_context
def actions_cmd(
    ctx: click.Context,
    resource: str | None,
    markdown: bool,
    limit: int,
    why: bool,
    words: tuple[str, ...],
) -> None:
    """List actions with one-line descriptions; WORDS search them, best match first.

    WORDS may be a request as you would say it ("which extensions are in the
    Sales queue"): actions are ranked by how well they match, with 3CX's
    vocabulary (extension = user, IVR = receptionist, DID = inbound rule...),
    typos forgiven and values (numbers, names, dates) reported as likely
    arguments instead of matched.  Nothing matching any word exits 7 with
    suggestions.

    \b
    3cx actions                      every action
    3cx actions --resource users     one resource
    3cx actions search current calls search (`search`/`find` may lead; also:
                                     add user to queue, peer nmbers)
    3cx actions show ACTION          the action's page: parameters, body example,
                                     output, errors to expect (ACTION: ListUser,
                                     list-user, `users list-user` or `users list`)
    """
    from .discover import list_actions, show_action

    if words and words[0] == "show":
        show_action(ctx, words[1:], markdown)
        return
    if words and words[0] in ("search", "find"):
        words = words[1:]  # the verb of `3cx actions search WORDS`, not a word to match
    list_actions(ctx, resource, words, limit=limit, why=why)


# ----------------------------------------------------------------------------- connections


@cli.command(
    "login", context_settings=CONTEXT, short_help="Store a connection profile (API key prompted)."
)
@click.option("--name", "-n", default="default", show_default=True, help="Profile name.")
@click.option("--url", metavar="URL", help="PBX base URL, e.g. https://pbx.example.com:5001.")
@click.option("--client-id", metavar="ID", help="API client id (the DN shown in the console).")
@click.option(
    "--release",
    "pbx_release",
    default="auto",
    show_default=True,
    help="XAPI release of the PBX ('auto' asks it).",
)
@click.option("--version", "old_release", hidden=True, help="Deprecated: --release.")
@click.option("--no-verify-login", is_flag=True, help="Store without requesting a token.")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Fleet tag, repeatable (`--fleet TAG` selects every PBX so tagged; docs/fleet.md).",
)
@_visible_globals("ca_bundle", "insecure")
@click.pass_context
def login_cmd(ctx: click.Context, **values: Any) -> None:
    """Store a connection profile; the API key is prompted (hidden), never an option.

    The key is verified with a real token request, then kept in the OS keyring
    (or a 0600 file when no keyring is available). TCX_CLIENT_SECRET, when set,
    is used instead of prompting; without a terminal the key is read from stdin.
    """
    from .commands import login

    _deprecated_release(values, "pbx_release")
    login(ctx, **values)


@cli.group("profiles", context_settings=CONTEXT, invoke_without_command=True)
@click.pass_context
def profiles_cmd(ctx: click.Context) -> None:
    """List, select and remove connection profiles."""
    if ctx.invoked_subcommand is None:
        from .commands import profiles_list

        profiles_list()


@profiles_cmd.command("list")
def profiles_list_cmd() -> None:
    """List profiles (never their secrets)."""
    from .commands import profiles_list

    profiles_list()


@profiles_cmd.command("use")
@click.argument("name")
def profiles_use_cmd(name: str) -> None:
    """Make NAME the default profile."""
    from .commands import profiles_use

    profiles_use(name)


@profiles_cmd.command("remove")
@click.argument("name")
def profiles_remove_cmd(name: str) -> None:
    """Delete profile NAME and its stored API key."""
    from .commands import profiles_remove

    profiles_remove(name)


@cli.command(
    "doctor",
    context_settings=CONTEXT,
    short_help="Check the connection step by step; say what to fix.",
)
@click.pass_context
def doctor_cmd(ctx: click.Context) -> None:
    """Check DNS, TCP, TLS, token, PBX release and permissions; say what to fix."""
    from .doctor import run_doctor

    ctx.exit(run_doctor(ctx.obj))


# ----------------------------------------------------------------------------- fleet


@cli.group(
    "fleet",
    context_settings=CONTEXT,
    cls=HelpOnEmpty,
    short_help="Many PBXs at once: `fleet list`.",
)
def fleet_cmd() -> None:
    """Many PBXs at once (docs/fleet.md).

    The fleet is every profile (tagged with `3cx login --tag`) plus fleet.toml in the
    config directory, or the --inventory FILE alone. Any action runs on many PBXs with
    --fleet SELECTOR: all, a tag, or names and tags separated by commas.
    """


@fleet_cmd.command("list")
@click.option("--no-check", is_flag=True, help="Do not contact the PBXs (no reachability).")
@click.option("-o", "--output", type=click.Choice(OUTPUT_FORMATS), help="Output format.")
@click.pass_context
def fleet_list_cmd(ctx: click.Context, no_check: bool, output: str | None) -> None:
    """List the fleet's PBXs: tags, release and reachability (checked concurrently).

    Each PBX is asked for a token and its release, --concurrency at a time; an
    unreachable one is a row with its error, and the exit code is then 10 (every
    PBX failing alike: that failure's code, e.g. 4). --fleet SELECTOR lists a part.
    """
    from .columns import Layout
    from .fleet import LIST_COLUMNS, list_fleet
    from .output import Printer
    from .settings import settle

    opts = settle(ctx.find_root().obj)
    printer = Printer(
        fmt=output or opts.output or "json", layout=Layout(None, LIST_COLUMNS, fleet=True)
    )
    list_fleet(opts, not no_check, printer)


# ----------------------------------------------------------------------------- health


@cli.command(
    "health",
    context_settings=CONTEXT,
    short_help="Is the PBX (or --fleet) healthy? Checks, evidence, fixes.",
)
@click.option("--only", multiple=True, metavar="CHECK,...", help="Run only these checks.")
@click.option("--skip", multiple=True, metavar="CHECK,...", help="Leave these checks out.")
@click.option(
    "-o",
    "--output",
    type=click.Choice(("table", "json", "junit", "html")),
    help="table (worst first; default on a terminal), json (default otherwise), "
    "junit (XML for CI) or html (one page).",
)
@click.option("--notify", metavar="URL", help="Also POST a summary to this receiver.")
@click.option(
    "--notify-env", metavar="VAR",
    help="The receiver's URL from $VAR (chat webhook URLs hold a token: keep them here).",
)  # fmt: skip
@click.option(
    "--notify-secret-env", metavar="VAR",
    help="Sign the summary (Standard Webhooks) with the secret in $VAR (whsec_<base64>).",
)  # fmt: skip
@click.option(
    "--notify-on", type=click.Choice(("problems", "always")), default="problems",
    show_default=True, help="Post only when something needs attention, or every run.",
)  # fmt: skip
@click.pass_context
def health_cmd(ctx: click.Context, only: tuple[str, ...], skip: tuple[str, ...],
               output: str | None, **notify: Any) -> None:  # fmt: skip
    """Run the health checks on the PBX, or on every PBX --fleet selects (docs/health.md).

    Licence and maintenance expiry, backups (age, failures, encryption, off-site), trunks,
    certificate, updates, disk, services, emergency numbers, console restrictions,
    anti-hacking, admins without 2FA, recordings storage. Thresholds: [health] in
    config.toml or the inventory, per tag. Exit: 0 healthy, 1 warnings, 2 failures,
    10 some PBX could not be checked; 4 when --notify's summary could not be delivered.
    """
    from .healthcmd import run_health

    ctx.exit(run_health(ctx, only, skip, output, notify))


@cli.command(
    "exporter",
    context_settings=CONTEXT,
    short_help="Serve the PBX's (or --fleet's) metrics to Prometheus.",
)
@address_option(
    "--listen", "Where /metrics is served (port 0: a free one, printed).", "127.0.0.1:9464"
)
@click.option(
    "--intervals",
    metavar="FAMILY=SECONDS,...",
    help="Refresh intervals: status=30,trunks=60,queues=15,certificate=3600,health=300.",
)
@click.option("--allow-remote", is_flag=True, help="Let --listen use an address others reach.")
@click.option(
    "--tag-labels", is_flag=True, help='Add the inventory tags as a label: tags=",eu,prod,".'
)
@click.pass_context
def exporter_cmd(
    ctx: click.Context, listen: str, intervals: str | None, allow_remote: bool, tag_labels: bool
) -> None:
    """Serve Prometheus metrics of the PBX, or of every PBX --fleet selects (docs/health.md).

    Reads are cached per family with their own intervals, so frequent scrapes of a big
    fleet never hammer the PBXs; a PBX that fails is threecx_up 0, never a failed scrape.
    Needs the exporter extra (prometheus-client).
    """
    from .exportercmd import run_exporter

    run_exporter(ctx, listen, intervals, allow_remote, tag_labels)


# ----------------------------------------------------------------------------- mcp


@cli.command(
    "mcp",
    context_settings=CONTEXT,
    short_help="Serve every action to AI assistants (Model Context Protocol).",
)
@address_option(
    "--http", "Serve streamable HTTP here (host 127.0.0.1 by default) instead of stdio."
)
@click.option("--allow-writes", is_flag=True, help="Let the model run actions that write.")
@click.option("--allow-deletes", is_flag=True, help="Also deletes (needs --allow-writes).")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Also destructive actions: restore, restarts, purges... (needs --allow-deletes).",
)
@click.option("--allow", metavar="ACTION,...", help="Only these actions may run.")
@click.option("--deny", metavar="ACTION,...", help="These actions never run.")
@click.option(
    "--audit-log",
    metavar="PATH",
    help="Where changes and refusals are recorded (default: one file per profile in the data dir).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Let --http listen on an address other machines can reach.",
)
@click.option(
    "--allowed-hosts",
    metavar="HOST,...",
    help="Host names HTTP clients may use besides the bound address (DNS-rebinding guard).",
)
@click.option(
    "--rotate-token", is_flag=True, help="Replace the HTTP bearer token (shown once) and serve."
)
@click.option(
    "--show-secrets",
    is_flag=True,
    help="Pass passwords, keys and tokens to the model unmasked (off: they read ********).",
)
@ranged_option(
    "--max-result-kb",
    click.IntRange(1, 10240),
    32,
    None,
    "Largest tool answer; longer lists come back a page at a time.",
)
@click.pass_context
def mcp_cmd(ctx: click.Context, **values: Any) -> None:
    """Run a Model Context Protocol server over stdio (or --http) for AI assistants.

    Read-only unless started with --allow-writes; see docs/mcp.md.
    """
    from importlib.util import find_spec

    if find_spec("mcp") is None:  # the SDK comes with the extra, not with the cli
        raise click.UsageError("3cx mcp needs the mcp extra: pip install 'tcxkit[mcp]'")
    from ..mcp.launch import McpOptions, run
    from .connect import resolve

    mcp = McpOptions(**values)  # run() checks --http (tcxkit.netaddr) before connecting
    run(ctx.obj, mcp, resolve)  # the CLI's connection: the built-in emulator by default


# ----------------------------------------------------------------------------- state

cli.add_command(state_group)
cli.add_command(calls_group)
cli.add_command(events_group)
cli.add_command(backup_group)
cli.add_command(recordings_archive_group)

# ----------------------------------------------------------------------------- emulator
# The command is the emulator package's own (`python -m tcxkit.emulator` runs the same),
# built when `3cx emulator` is called or `3cx --help` lists it; 3cx adds `stop`/`status`
# for the background emulator it starts when no PBX is configured.

EMULATOR_HELP = "Run the built-in emulator (`emulator stop|status`: the background one)."


def _emulator_stop() -> None:
    """Stop the background emulator (the embedded default)."""
    from .commands import stop_emulator

    stop_emulator()


def _emulator_status() -> None:
    """Say whether the background emulator runs, and where."""
    from .commands import emulator_status

    emulator_status()


def emulator_command() -> click.Command:
    """``3cx emulator``: the emulator's command with the background one's sub-commands
    (all built afresh, so a run's global options never land on a shared command).

    Loaded by name, like a plug-in: the command line does not import another face.
    """
    import importlib

    command = importlib.import_module("tcxkit.emulator.cli").command
    return command(  # type: ignore[no-any-return]
        subcommands=[
            click.command("stop")(_emulator_stop),
            click.command("status")(_emulator_status),
        ],
        short_help=EMULATOR_HELP,
        help="""Run the built-in 3CX emulator in the foreground (Ctrl-C stops it).

    The same command as `python -m tcxkit.emulator`. With no PBX configured, other
    commands start one in the background and reuse it; it stops after 15 min without
    requests (TCX_EMULATOR_IDLE_TIMEOUT or [emulator] idle_timeout in config.toml).
    `3cx emulator status` shows it, `3cx emulator stop` stops it now.
    """,
    )


# ----------------------------------------------------------------------------- completion


@cli.command(
    "completion",
    context_settings=CONTEXT,
    short_help="Print a bash, zsh or fish completion script.",
)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_cmd(shell: str) -> None:
    """Print the shell completion script, e.g. `eval "$(3cx completion bash)"`."""
    from click.shell_completion import get_completion_class

    comp_cls = get_completion_class(shell)
    assert comp_cls is not None
    click.echo(comp_cls(cli, {}, "3cx", "_3CX_COMPLETE").source())


#: Built-in commands defined elsewhere, built when called: name -> (short help, build).
LAZY_BUILTINS: dict[str, tuple[str, Any]] = {"emulator": (EMULATOR_HELP, emulator_command)}

BUILTINS = (*cli.commands, *LAZY_BUILTINS)

# Each built-in gets the hidden global options once, here; lazily built commands get
# them when built (resource groups, actions, the emulator).
add_global_options(cli.commands.values())
