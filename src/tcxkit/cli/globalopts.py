"""Global options, accepted before or after the sub-command.

``3cx users list-user --top 1 --insecure`` must work like
``3cx --insecure users list-user --top 1``: people add a flag at the end of
the line they just ran.  The options are declared once here; the root
command gets them as ordinary parameters, and every other command gets the
same options (hidden from its help, listed in one line instead) whose
callbacks write into the root's :class:`~tcxkit.cli.runopts.Options`.  A value
given after the sub-command wins over one given before it, as the later flag
does in most tools.

``--release`` chooses the catalog the command tree is built from, which
happens before the sub-command's options are parsed; the root group therefore
reads it from the arguments it parses (:func:`release_from_argv`) into the run's
``ctx.meta`` (:data:`RELEASE_KEY`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import click

__all__ = [
    "GLOBAL_NOTE",
    "add_global_options",
    "global_options",
    "refuse_fleet",
    "release_from_argv",
]

OUTPUT_FORMATS = ("json", "jsonl", "table", "csv", "raw")

GLOBAL_NOTE = (
    "Global options work before or after the command: -p/--profile, -o/--output, "
    "--release, --ca-bundle, --insecure, --allow-http, --timeout, --debug, --fleet, --inventory, "
    "--concurrency (see `3cx --help`)."
)

#: ``ctx.meta`` key: ``--release`` as given anywhere on the line (set by the root group).
RELEASE_KEY = "tcxkit.release"
#: ``ctx.meta`` key: True when the command run takes no --fleet/--inventory.
NO_FLEET_KEY = "tcxkit.no_fleet"
#: Built-in commands that talk to one PBX: ``--inventory FILE --pbx NAME`` may name it.
ONE_PBX_COMMANDS = ("doctor", "mcp", "events")


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Sub-command copy of a global option: write a given value into the root Options."""
    if value is None or value is False or ctx.resilient_parsing:
        return value
    fleet_only = param.name == "fleet" or (
        param.name == "inventory" and ctx.command.name not in ONE_PBX_COMMANDS
    )
    if fleet_only and ctx.meta.get(NO_FLEET_KEY):
        refuse_fleet(ctx.command_path)
    root = ctx.find_root()
    if root.obj is None:  # the root callback has not run (e.g. completion)
        return value
    assert param.name is not None
    setattr(root.obj, param.name, value)
    return value


class _Global(NamedTuple):
    """One global option: its flags and help, and a metavar and type (or ``flag``)."""

    flags: tuple[str, ...]
    help: str
    metavar: str | None = None
    type: Any = None
    flag: bool = False

    def option(self, **extra: Any) -> click.Option:
        kind = {"is_flag": True, "default": None} if self.flag else {}
        return click.Option(
            list(self.flags), metavar=self.metavar, type=self.type, help=self.help, **kind, **extra
        )


#: The global options, in the order ``3cx --help`` lists them.
_GLOBALS = (
    _Global(
        ("--profile", "-p", "--pbx"),
        "The PBX: a profile or an inventory PBX (env TCX_PROFILE).",
        "NAME",
    ),
    _Global(
        ("-o", "--output"),
        "Output format (env TCX_OUTPUT; default json).",
        type=click.Choice(OUTPUT_FORMATS),
    ),
    _Global(
        ("--release",),
        "XAPI release to assume, e.g. 20.0.8 (default: ask the PBX; env TCX_RELEASE).",
        "VERSION",
    ),
    _Global(
        ("--ca-bundle",),
        "CA certificate(s) to verify the PBX with (env TCX_CA_BUNDLE).",
        "PATH",
        click.Path(dir_okay=False),
    ),
    _Global(
        ("--insecure",),
        "Do not verify TLS certificates (test PBXs only; env TCX_INSECURE=1).",
        flag=True,
    ),
    _Global(
        ("--allow-http",),
        "Allow plain http:// to a PBX other than this machine (the API key crosses the network "
        "unencrypted).",
        flag=True,
    ),
    _Global(
        ("--timeout",),
        "Seconds to wait for the PBX (env TCX_TIMEOUT; default 30).",
        "SECONDS",
        click.FloatRange(0.1),
    ),
    _Global(
        ("--fleet",),
        "Run on many PBXs at once: all, a tag, or names/tags separated by commas (docs/fleet.md).",
        "SELECTOR",
    ),
    _Global(
        ("--inventory",),
        "Fleet inventory (env TCX_INVENTORY; default: profiles + fleet.toml).",
        "FILE",
        click.Path(dir_okay=False),
    ),
    _Global(
        ("--concurrency",),
        "PBXs at once with --fleet (default 8); calls at once with --items (4).",
        "N",
        click.IntRange(1, 64),
    ),
    _Global(
        ("--debug",),
        "Tracebacks and HTTP logging (secrets redacted) on stderr (env TCX_DEBUG=1).",
        flag=True,
    ),
)


def global_options(*, hidden: bool = False) -> list[click.Option]:
    """The global options; ``hidden`` copies store into the root's Options."""
    cb = {"callback": _store, "expose_value": False, "hidden": True} if hidden else {}
    return [g.option(**cb) for g in _GLOBALS]


def refuse_fleet(command: str) -> None:
    """``--fleet`` on a command that talks to one PBX or none: say so (exit 2)."""
    from ..errors import UsageError

    raise UsageError(
        f"--fleet and --inventory do not apply to `{command}`.",
        hint="They run actions (`3cx RESOURCE ACTION`, `3cx call`) and `3cx fleet list` "
        "on many PBXs; see docs/fleet.md.",
    )


def add_global_options(commands: Iterable[click.Command]) -> None:
    """Give each command (and each sub-command of a group) the hidden global options.

    Called once per command, when it is built; an option a command already has under
    the same flag (``-o`` on action commands) is kept: its value is read there and it
    shows in that help.
    """
    for cmd in commands:
        taken = {o for p in cmd.params for o in getattr(p, "opts", ())}
        taken |= {o for p in cmd.params for o in getattr(p, "secondary_opts", ())}
        for opt in global_options(hidden=True):
            if not taken.intersection(opt.opts):
                cmd.params.append(opt)
        if isinstance(cmd, click.Group):
            add_global_options(cmd.commands.values())


def release_from_argv(args: list[str]) -> str | None:
    """The last ``--release X`` / ``--release=X`` in ``args``, wherever it stands."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--release" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--release="):
            found = arg.split("=", 1)[1]
    return found
