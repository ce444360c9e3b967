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

from ..errors import UsageError
from .jsonin import read_json_option
from .output import Printer

if TYPE_CHECKING:
    from ..catalog import Action
    from ..catalog.render import CliOption
    from ..client import Client

__all__ = ["build_kwargs", "execute", "parse_param_pairs", "run_action_command", "run_call"]

QUERY_NAMES = ("select", "filter", "orderby", "expand", "top", "skip", "count", "search")
COMMON = (
    "output",
    "out",
    "show_secrets",
    "fetch_all",
    "page_size",
    "items",
    "concurrency",
    "continue_on_error",
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
    for q in QUERY_NAMES:
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


def run_action_command(
    ctx: click.Context, action: Action, specs: list[CliOption], values: dict[str, Any]
) -> None:
    execute(ctx, action, build_kwargs(action, specs, values), values)


def run_call(ctx: click.Context, action_name: str, values: dict[str, Any]) -> None:
    """``3cx call ACTION --param K=V --body JSON [OData options]``."""
    from .lazy import release_of

    action = release_of(ctx).require(action_name)
    kwargs = parse_param_pairs(action, values.get("param") or ())
    if values.get("body") is not None:
        kwargs["body"] = read_json_option(values["body"], "--body")
    for q in QUERY_NAMES:
        if values.get(q) not in (None, False):
            kwargs[q] = values[q]
    execute(ctx, action, kwargs, values)


def _printer(values: dict[str, Any], fmt: str | None = None) -> Printer:
    return Printer(fmt=fmt or values.get("output") or "json", show_secrets=values["show_secrets"])


def _client(ctx: click.Context) -> Client:
    from .connect import make_client, resolve

    opts = ctx.find_root().obj
    return make_client(resolve(opts), opts)


def execute(
    ctx: click.Context, action: Action, kwargs: dict[str, Any], values: dict[str, Any]
) -> None:
    """Run ``action`` once, page through it, or once per item; print the results."""
    if values.get("items"):
        if values.get("fetch_all"):
            raise UsageError("--items and --all cannot be combined.", hint="Use one of them.")
        from .items import run_items

        client = _client(ctx)
        try:
            run_items(client, action, kwargs, values, _printer(values, "jsonl"))
        finally:
            client.close()
        return
    if values.get("continue_on_error"):
        raise UsageError(
            "--continue-on-error only applies with --items.",
            hint="Add --items FILE, or drop --continue-on-error.",
        )
    printer = _printer(values)
    client = _client(ctx)
    try:
        if values.get("fetch_all"):
            rows = client.paginate(action.id, page_size=values.get("page_size"), **kwargs)
            n = printer.rows(_progress(rows))
            if n == 0:
                _note_empty(action, kwargs)
            return
        if action.response.kind == "file" and values.get("out") not in (None, "-"):
            res = client.download(action.id, values["out"], **kwargs)
            _file_summary(printer, res.path or values["out"], res.size, res.content_type)
            return
        result = client.call(action.id, **kwargs)
    finally:
        client.close()
    _print_result(printer, action, result, kwargs, values)


def _print_result(
    printer: Printer, action: Action, result: Any, kwargs: dict[str, Any], values: dict[str, Any]
) -> None:
    from ..results import FileResult

    if isinstance(result, FileResult):
        name = result.filename or f"{action.id}.bin"
        written = printer.file(result.read(), values.get("out"), name)
        if written["path"] != "-":
            _file_summary(printer, written["path"], written["bytes"], result.content_type)
        return
    if result is None:
        print(f"3cx: {action.id}: done (no content).", file=sys.stderr)
        return
    n = printer.result(result, collection=action.response.kind == "collection")
    if n == 0 and action.response.kind == "collection":
        _note_empty(action, kwargs)


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
