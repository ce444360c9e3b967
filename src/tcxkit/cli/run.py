"""Run an action from the command line: options -> client call -> output.

Values are handed to the client as given (strings from the command line,
decoded JSON from JSON options); the client validates and coerces them
against the spec and reports every problem at once (exit 3).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from ..catalog.options import QUERY_OPTION_NAMES
from ..errors import UsageError
from ..results import items_of
from .jsonin import read_json_option
from .lookups import NumberCheck
from .output import Printer

if TYPE_CHECKING:
    from ..catalog import Action
    from ..catalog.render import CliOption

__all__ = [
    "build_kwargs",
    "execute",
    "missing_options",
    "parse_param_pairs",
    "run_action_command",
    "run_call",
]

COMMON = (
    "output",
    "out",
    "force",
    "show_secrets",
    "fetch_all",
    "page_size",
    "items",
    "concurrency",
    "continue_on_error",
    "strict_numbers",
    "dry_run",
    "yes",
    "by_number",
)


def _param_value(action: Action, name: str, text: str) -> Any:
    """``null`` means None for nullable parameters; everything else stays text."""
    p = action.param(name)
    if p is not None and text == "null" and p.nullable:
        return None
    return text


def build_kwargs(action: Action, specs: list[CliOption], values: dict[str, Any]) -> dict[str, Any]:
    """Client keyword arguments from an action command's option values."""
    kwargs: dict[str, Any] = {}
    for spec in specs:
        if spec.source == "query":
            continue
        raw = values.get(spec.dest)
        if raw is None:
            continue
        if spec.json:
            value = read_json_option(raw, spec.flag)
        else:
            value = _param_value(action, spec.name, raw)
        kwargs[spec.name] = value
    for q in QUERY_OPTION_NAMES:
        if values.get(q) is not None:
            kwargs[q] = values[q]
    return kwargs


def parse_param_pairs(action: Action, pairs: tuple[str, ...]) -> dict[str, Any]:
    """``--param Number=100`` pairs of ``3cx call`` (names: spec, snake or kebab)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(
                f"--param {pair!r} is not NAME=VALUE.",
                hint=f"Example: --param {action.params[0].name if action.params else 'Id'}=100.",
            )
        name, _, value = pair.partition("=")
        p = action.param(name.strip()) or action.param(name.strip().replace("-", "_"))
        key = p.name if p else name.strip()
        out[key] = _param_value(action, key, value)
    return out


def missing_options(action: Action, specs: list[CliOption], values: dict[str, Any]) -> None:
    """Stop with exit 2 when required options are absent, naming all of them at once.

    A user who forgets ``--id`` should read "missing option --id", not a
    validation error about the spec name ``Id``, and a required body must not
    be left for the PBX to reject after a round trip.  Items mode is exempt:
    there every item may supply the value.
    """
    wrapped = action.body.wrapped if action.body else None
    missing = [
        spec
        for spec in specs
        if spec.required
        and values.get(spec.dest) is None
        and (spec.source in ("param", "body") or (spec.source == "arg" and len(wrapped or ()) == 1))
    ]
    if not missing:
        return
    names = ", ".join(f"{s.flag} ({s.type_label})" for s in missing)
    example = " ".join(
        f"{s.flag} {'@' + s.flag[2:] + '.json' if s.json else s.type_label.split()[0].upper()}"
        for s in missing
    )
    show = f"`3cx actions show {action.id}`"
    hint = (
        f"Run `3cx {action.resource_cli_name} {action.cli_name} {example}`; see {show}."
        if len(missing) <= 3
        else f"Every option, with its type and an example, is on {show}."
    )
    raise UsageError(
        f"{action.id}: missing required option{'s' if len(missing) > 1 else ''}: {names}.",
        hint=hint,
    )


def run_action_command(
    ctx: click.Context, action: Action, specs: list[CliOption], values: dict[str, Any]
) -> None:
    if values.get("by_number") is not None:  # never an action's own --number option
        _by_number(ctx, action, values)
    if not values.get("items"):
        missing_options(action, specs, values)
    execute(ctx, action, build_kwargs(action, specs, values), values)


def _by_number(ctx: click.Context, action: Action, values: dict[str, Any]) -> None:
    """``3cx users delete 105``: the Id of number 105 (one read) becomes ``--id``."""
    from .connect import make_client, resolve
    from .lookups import number_lookup, resolve_number
    from .release import release_of

    number = values["by_number"]
    if values.get("id") is not None:
        raise UsageError(f"Both a number ({number}) and --id were given.", hint="Give one of them.")
    opts = ctx.find_root().obj
    if values.get("items") or opts.fleet:
        raise UsageError(
            "A NUMBER argument only applies to one PBX and one call.",
            hint="Drop --items/--fleet, or give the Id of each item with --id / an Id column.",
        )
    lookup = number_lookup(release_of(ctx), action)
    assert lookup is not None  # the argument exists only where the lookup does
    conn = resolve(opts)
    client = make_client(conn, opts)
    try:
        uid = resolve_number(
            client, lookup, number, base_url=conn.url, announce=bool(values.get("dry_run"))
        )
    finally:
        client.close()
    values["id"] = str(uid)


def run_call(ctx: click.Context, action_name: str, values: dict[str, Any]) -> None:
    """``3cx call ACTION --param K=V --body JSON [OData options]``."""
    from .release import release_of

    action = release_of(ctx).require(action_name)
    kwargs = parse_param_pairs(action, values.get("param") or ())
    if values.get("body") is not None:
        kwargs["body"] = read_json_option(values["body"], "--body")
    for q in QUERY_OPTION_NAMES:
        if values.get(q) not in (None, False):
            kwargs[q] = values[q]
    execute(ctx, action, kwargs, values)


def _printer(
    ctx: click.Context, action: Action, values: dict[str, Any], fmt: str | None = None
) -> Printer:
    """The printer for this run; the format: flag (here or before the command) > env > config."""
    from .columns import Layout
    from .settings import settle

    opts = settle(ctx.find_root().obj)
    return Printer(
        fmt=fmt or values.get("output") or opts.output or "json",
        show_secrets=values["show_secrets"],
        action=action.id,
        layout=Layout.for_action(action, values.get("select"), fleet=bool(opts.fleet)),
    )


def _client(
    ctx: click.Context,
    action: Action,
    kwargs: dict[str, Any],
    values: dict[str, Any],
    count: int | None = None,
    asynchronous: bool = False,
) -> Any:
    """Connect for ``action``, after a delete is confirmed (see :mod:`.safety`); an
    AsyncClient with ``asynchronous`` (items mode runs on the fleet engine)."""
    from .connect import make_async_client, make_client, resolve
    from .safety import confirm_delete

    opts = ctx.find_root().obj
    conn = resolve(opts)
    confirm_delete(action, kwargs, conn.url, count=count, yes=bool(values.get("yes")))
    return (make_async_client if asynchronous else make_client)(conn, opts)


def _dry_run(
    ctx: click.Context,
    action: Action,
    calls: list[dict[str, Any]],
    values: dict[str, Any],
    fmt: str | None = None,
) -> None:
    from .connect import resolve
    from .release import release_of
    from .safety import print_dry_run

    conn = resolve(ctx.find_root().obj, announce=False, start=False)
    printer = _printer(ctx, action, values, fmt)
    print_dry_run(printer, action, release_of(ctx), conn.url, calls)


def _refuse_ignored(action: Action, values: dict[str, Any]) -> None:
    """Options that would be ignored in this combination stop the run (exit 2)."""
    if values.get("items"):
        if values.get("fetch_all"):
            raise UsageError("--items and --all cannot be combined.", hint="Use one of them.")
        if values.get("strict_numbers"):
            raise UsageError(
                "--strict does not apply with --items.",
                hint="Each item's lookup reports its own result; drop --strict.",
            )
        return
    if values.get("page_size") is not None and not values.get("fetch_all"):
        raise UsageError(
            "--page-size only applies with --all.",
            hint="Add --all to fetch every page, or use --top N for one page of N items.",
        )
    if values.get("out") is not None and action.response.shape != "file":
        raise UsageError(
            f"--out only applies to file results; {action.id} returns {action.response.label}.",
            hint="Redirect the output instead, e.g. `> result.json` (with -o json/jsonl/csv).",
        )
    if values.get("force") and action.response.shape != "file":
        raise UsageError(
            f"--force only applies to file results; {action.id} returns {action.response.label}.",
            hint="Drop --force: it allows replacing an existing file written by --out.",
        )
    if values.get("continue_on_error"):
        raise UsageError(
            "--continue-on-error only applies with --items.",
            hint="Add --items FILE, or drop --continue-on-error.",
        )


def _execute_items(
    ctx: click.Context, action: Action, kwargs: dict[str, Any], values: dict[str, Any]
) -> None:
    from .items import item_kwargs, load_items, run_items
    from .release import release_of

    # Bad input stops here, before connecting.
    items, lines = load_items(values["items"], action, release_of(ctx))
    if values.get("dry_run"):
        calls = [item_kwargs(action, i, kwargs) for i in items]
        _dry_run(ctx, action, calls, values, "jsonl")  # one line per item, as items mode prints
        return
    printer = _printer(ctx, action, values, "jsonl")
    # An async client: items run on the fleet engine, which closes it.
    client = _client(ctx, action, kwargs, values, count=len(items), asynchronous=True)
    run_items(client, action, items, kwargs, values, printer, lines)


def execute(
    ctx: click.Context, action: Action, kwargs: dict[str, Any], values: dict[str, Any]
) -> None:
    """Run ``action`` once, page through it, or once per item; print the results."""
    _refuse_ignored(action, values)
    opts = ctx.find_root().obj
    if opts.fleet:
        from .fleetrun import run_fleet

        run_fleet(ctx, action, kwargs, values, _printer(ctx, action, values))
        return
    from .connect import check_inventory_use

    check_inventory_use(opts)
    if values.get("concurrency") is None:
        values["concurrency"] = opts.concurrency  # `3cx --concurrency 8 ... --items f`
    if values.get("items"):
        _execute_items(ctx, action, kwargs, values)
        return
    check = NumberCheck(action, kwargs, bool(values.get("strict_numbers")))
    if values.get("dry_run"):
        _dry_run(ctx, action, [kwargs], values)
        return
    printer = _printer(ctx, action, values)
    client = _client(ctx, action, kwargs, values)
    try:
        if values.get("fetch_all"):
            rows = client.paginate(action.id, page_size=values.get("page_size"), **kwargs)
            n = printer.rows(check.watch(_progress(rows)))
            if n == 0:
                _note_empty(action, kwargs)
            elif kwargs.get("count"):
                print(f"3cx: {n} items in total (--all printed every one).", file=sys.stderr)
            check.finish()
            return
        if action.response.shape == "file" and values.get("out") != "-":
            # Streamed to --out, or into the current folder under the PBX's (safe) name.
            target = values.get("out") or "."
            res = client.download(action.id, target, overwrite=bool(values.get("force")), **kwargs)
            if res.path is None:  # 204: done, no file to write
                _done_without_content(action)
            else:
                _file_summary(printer, res.path, res.size, res.content_type)
            return
        result = client.call(action.id, **kwargs)
    finally:
        client.close()
    _print_result(printer, action, result, kwargs, values)
    if action.response.shape == "collection":
        page = items_of(result)
        for row in page.items if page is not None else ():
            check.note(row)
    check.finish()


def _print_result(
    printer: Printer, action: Action, result: Any, kwargs: dict[str, Any], values: dict[str, Any]
) -> None:
    from ..results import FileResult

    if isinstance(result, FileResult):
        name = result.filename or f"{action.id}.bin"
        written = printer.file(
            result.read(), values.get("out"), name, overwrite=bool(values.get("force"))
        )
        if written["path"] != "-":
            _file_summary(printer, written["path"], written["bytes"], result.content_type)
        return
    if result is None:
        _done_without_content(action)
        return
    n = printer.result(printer.answer(result), collection=action.response.shape == "collection")
    if n == 0 and action.response.shape == "collection":
        _note_empty(action, kwargs)


def _done_without_content(action: Action) -> None:
    print(f"3cx: {action.id}: done (no content).", file=sys.stderr)


def _file_summary(printer: Printer, path: str, size: int, content_type: str) -> None:
    print(f"3cx: wrote {size} bytes to {path}", file=sys.stderr)
    printer.result({"path": str(path), "bytes": size, "content_type": content_type})


def _note_empty(action: Action, kwargs: dict[str, Any]) -> None:
    why = "no item matched"
    if action.body is not None and action.body.wrapped:
        why = "no item matched the numbers or criteria given"
    elif kwargs.get("filter"):
        why = "no item matched the filter"
    print(f"3cx: {action.id}: {why} (0 results).", file=sys.stderr)


def _progress(rows: Iterator[Any]) -> Iterator[Any]:
    """Count items on stderr while paging, when stderr is a terminal."""
    tty = sys.stderr.isatty()
    n = 0
    for row in rows:
        n += 1
        if tty and n % 100 == 0:
            sys.stderr.write(f"\r3cx: fetched {n} items…")
            sys.stderr.flush()
        yield row
    if tty:
        sys.stderr.write(f"\r3cx: fetched {n} items.  \n")
        sys.stderr.flush()
