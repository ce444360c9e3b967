"""Lazy command groups: one per resource, one command per action, built on demand.

``3cx --help`` lists 130-odd resource groups straight from the catalog without
building the 600 action commands; a resource group builds only the command
that is asked for (or all of its own for its ``--help``).  Option names come
from :func:`tcxkit.catalog.render.cli_options`, the same list the reference
pages document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import click

from ..catalog import Catalog, kebab
from .globalopts import GLOBAL_NOTE, OUTPUT_FORMATS, add_global_options
from .release import release_of
from .verbs import VERBS, short_verbs

__all__ = [
    "HelpOnEmpty",
    "ResourceGroup",
    "action_command",
    "common_options",
    "query_options",
    "resource_group",
    "resource_map",
]


def common_options(pageable: bool = True, file: bool = True) -> list[click.Option]:
    """Output and items-mode options shared by every action command and ``3cx call``.

    ``--out`` only exists where a file can come back, so it is not offered
    (nor silently ignored) on the 500-odd JSON actions.
    """
    opts = [
        click.Option(
            ["-o", "--output"],
            type=click.Choice(OUTPUT_FORMATS),
            help="Output format (env TCX_OUTPUT, config.toml; default json: pretty on a "
            "terminal, compact in a pipe).",
        ),
    ]
    if file:
        opts.append(
            click.Option(
                ["--out"],
                metavar="PATH",
                help="Write a file result here ('-' for stdout); default: the PBX's file name.",
            )
        )
        opts.append(
            click.Option(
                ["--force"],
                is_flag=True,
                help="Replace an existing file (atomically); without it 3cx never overwrites.",
            )
        )
    opts += [
        click.Option(
            ["--show-secrets"],
            is_flag=True,
            help="Print password, PIN and key fields instead of masking them.",
        ),
    ]
    if pageable:
        opts += [
            click.Option(["--all", "fetch_all"], is_flag=True, help="Fetch every page."),
            click.Option(
                ["--page-size"], type=click.IntRange(1), help="Items per page with --all."
            ),
        ]
    opts += [
        click.Option(
            ["--items"],
            metavar="FILE|-",
            help="Run once per item of a JSONL, JSON array or CSV file (header row = field "
            "names, A.B for nested); results stream as JSONL.",
        ),
        click.Option(
            ["--concurrency"],
            type=click.IntRange(1, 64),
            help="Parallel calls in items mode (default 4); PBXs at once with --fleet (default 8).",
        ),
        click.Option(
            ["--continue-on-error"],
            is_flag=True,
            help="Items mode: report failed items as JSONL with an 'error' field, go on, exit 10.",
        ),
    ]
    return opts


def query_options(names: tuple[str, ...]) -> list[click.Option]:
    """Click options for the OData options an action accepts (words from the one table)."""
    from ..catalog.options import QUERY_OPTIONS

    out = []
    for q in QUERY_OPTIONS:
        if q.name not in names:
            continue
        if q.kind == "flag":
            out.append(click.Option([q.flag], is_flag=True, default=None, help=q.help))
        elif q.kind == "count":
            out.append(
                click.Option([q.flag], type=click.IntRange(0), metavar=q.metavar, help=q.help)
            )
        else:
            out.append(click.Option([q.flag], metavar=q.metavar, help=q.help))
    return out


def action_command(cat: Catalog, action_id: str) -> click.Command:
    """The ``3cx <resource> <action>`` command for one action."""
    from ..catalog.render import cli_options, summary_line
    from .lookups import NUMBER_HELP, STRICT_HELP, number_lookup, offers_strict
    from .safety import DRY_RUN_HELP, YES_HELP, asks_first

    action = cat.require(action_id)
    specs = cli_options(action, cat)
    params: list[click.Parameter] = []
    for spec in specs:
        if spec.source == "query":
            continue
        metavar = "JSON|@FILE|-" if spec.json else spec.type_label.split(" ")[0].upper()
        req = " [required]" if spec.required else ""
        params.append(
            click.Option(
                [spec.flag, spec.dest],
                metavar=metavar,
                help=spec.help[0].upper() + spec.help[1:] + "." + req,
            )
        )
    params += query_options(action.query)
    params += common_options(action.pageable, file=action.response.shape == "file")
    extra = [click.Option(["--dry-run"], is_flag=True, help=DRY_RUN_HELP)]
    if offers_strict(action):
        extra.append(click.Option(["--strict", "strict_numbers"], is_flag=True, help=STRICT_HELP))
    if asks_first(action):
        extra.append(click.Option(["--yes", "-y"], is_flag=True, help=YES_HELP))
    # An action parameter of the same name keeps its flag (GetConverterRequestStatus
    # has a `strict` parameter): the CLI's own option gives way.
    taken = {o for p in params for o in getattr(p, "opts", ())}
    params += [o for o in extra if not taken.intersection(o.opts)]
    lookup = number_lookup(cat, action)
    by_number = ""
    if lookup is not None:  # `3cx users delete 105`: the number instead of --id
        params.insert(0, click.Argument(["by_number"], required=False, metavar="[NUMBER]"))
        by_number = f"NUMBER: {NUMBER_HELP.format(lookup=lookup.id)}.\n\n"

    def callback(**kwargs: Any) -> None:
        from .run import run_action_command

        run_action_command(click.get_current_context(), action, specs, kwargs)

    help_text = (
        f"{summary_line(action)}.\n\n{action.method} /xapi/v1{action.path}\n\n{by_number}"
        f"The full page, with a body example and the errors to expect: "
        f"`3cx actions show {action.id}`.\n\n{GLOBAL_NOTE}"
    )
    cmd = click.Command(
        action.cli_name,
        params=params,
        callback=callback,
        help=help_text,
        short_help=summary_line(action),
        no_args_is_help=False,
    )
    add_global_options([cmd])
    return cmd


class HelpOnEmpty(click.Group):
    """A group that answers a bare invocation with its help on stdout and exit 0.

    Click's default prints the help to stderr with exit 2, so `3cx | less` or
    `3cx users | grep phone` show nothing; asking for a menu is not an error.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            click.echo(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)


class ResourceGroup(HelpOnEmpty):
    """A resource (spec tag) whose action commands are built when asked for."""

    def __init__(self, name: str, resource: str, **attrs: Any) -> None:
        super().__init__(name, **attrs)
        self.resource = resource

    def _actions(self, ctx: click.Context) -> dict[str, str]:
        cat = release_of(ctx)
        return {a.cli_name: a.id for a in cat.by_resource(self.resource)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = sorted(self._actions(ctx))
        if ctx.resilient_parsing:  # shell completion: offer the short verbs too
            names += list(short_verbs(release_of(ctx), self.resource))
        return names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        actions = self._actions(ctx)
        action_id = actions.get(cmd_name)
        if action_id is None and cmd_name in VERBS:
            action_id = short_verbs(release_of(ctx), self.resource).get(cmd_name)
        if action_id is None:
            # Accept the operationId or snake_case too: `3cx peers RetreivePeersByNumbers`.
            cat = release_of(ctx)
            found = cat.get(cmd_name)
            if found is None or found.resource != self.resource:
                return None
            action_id = found.id
        return action_command(release_of(ctx), action_id)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_commands(ctx, formatter)
        verbs = short_verbs(release_of(ctx), self.resource)
        if verbs:
            cat = release_of(ctx)
            with formatter.section("Short verbs"):
                formatter.write_dl([(v, cat.require(i).cli_name) for v, i in verbs.items()])

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        cmd = self.get_command(ctx, name)
        if cmd is None and name and not name.startswith("-"):
            import difflib

            from ..catalog.search import search_actions

            # A short verb within a typo ("lst" -> list), then the one search within
            # this resource ("3cx users disable" -> update-user).
            cat = release_of(ctx)
            verbs = difflib.get_close_matches(name, list(short_verbs(cat, self.resource)), n=1)
            hits = search_actions(name, cat, resource=self.resource, limit=5)
            close = list(dict.fromkeys([*verbs, *(a.cli_name for a in hits)]))[:5]
            extra = f" Did you mean: {', '.join(close)}?" if close else ""
            ctx.fail(
                f"No action {name!r} in {self.name}.{extra} "
                f"List them with `3cx {self.name} --help` or `3cx actions --resource {self.name}`."
            )
        return super().resolve_command(ctx, args)


@cache
def resource_map(cat: Catalog) -> dict[str, tuple[str, int]]:
    """``{cli name: (tag, number of actions)}``, computed per tag (not per action)."""
    counts: dict[str, int] = {}
    for a in cat:
        counts[a.resource] = counts.get(a.resource, 0) + 1
    return {kebab(tag): (tag, n) for tag, n in counts.items()}


def resource_group(cat: Catalog, cli_name: str) -> ResourceGroup | None:
    found = resource_map(cat).get(cli_name)
    if found is None:
        tag = cat.resource_name(cli_name)  # snake or CamelCase spelling
        if tag is None:
            return None
        found = resource_map(cat)[kebab(tag)]
        cli_name = kebab(tag)
    resource, n = found
    group = ResourceGroup(
        cli_name,
        resource,
        help=f"Actions on {resource} ({n} action{'s' if n != 1 else ''}).\n\n"
        f"See also `3cx actions --resource {cli_name}`.",
        short_help=f"{resource} ({n} action{'s' if n != 1 else ''})",
        no_args_is_help=True,
    )
    add_global_options([group])
    return group
