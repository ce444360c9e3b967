"""Items mode: one call per input item, results streamed as JSONL.

Mapping of an item's fields (documented in docs/cli.md):

* a field named like a path/function parameter (spec name, snake_case or
  kebab-case) fills that parameter;
* a field named like a named body argument (``peersRequest``) fills it;
* ``body`` replaces the whole body; ``select``/``filter``/... are OData options;
* any other field is a body property: merged into the entity body (``--body``
  is the base), or into the single named argument of an action body;
* options given on the command line are defaults for every item.

Output lines: a collection result gives one line per row, an entity one line,
a primitive ``{"item": N, "value": ...}``, an empty answer
``{"item": N, "status": "ok"}``; a failed item (with --continue-on-error)
``{"item": N, "input": {...}, "error": {...}}``.  N counts from 1.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog import snake
from ..catalog.options import QUERY_OPTION_NAMES
from ..errors import PartialFailure, UncertainWriteError, UsageError
from .errors import check_command, error_fields
from .jsonin import MalformedJSON, load_json_text
from .output import Printer, items_of

if TYPE_CHECKING:
    from ..catalog import Action, Catalog
    from ..client import Client

__all__ = ["ITEMS_CONCURRENCY", "item_kwargs", "load_items", "read_items", "run_items"]

#: Calls in flight in items mode unless --concurrency says otherwise.
ITEMS_CONCURRENCY = 4

#: A header row of field names (``Id``, ``Number,FirstName,Hours.Type``); no JSON line looks so.
_CSV_HEADER = re.compile(r"[A-Za-z_][\w.-]*(\s*,\s*[A-Za-z_][\w.-]*)*")


def _is_csv(source: str, text: str) -> bool:
    """A ``.csv`` file, or stdin whose first line is a header row rather than JSON."""
    if source != "-":
        return source.lower().endswith(".csv")
    first = text.lstrip().split("\n", 1)[0].strip()
    return bool(_CSV_HEADER.fullmatch(first)) and first not in ("true", "false", "null")


def read_items(
    source: str, action: Action | None = None, cat: Catalog | None = None
) -> Iterator[tuple[int, Any]]:
    """``(line_or_index, item)`` from JSONL, a JSON array or CSV; a file or stdin (``-``).

    CSV cells are typed from ``action``'s schema (see :mod:`tcxkit.cli.csvitems`).
    """
    where = "--items (stdin)" if source == "-" else f"--items file {source}"
    if source == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"--items: cannot read {source!r}: {exc.strerror or exc}.",
                hint="Pass a JSONL, JSON array or CSV file, or - for stdin.",
            ) from None
    name = "stdin" if source == "-" else source
    if _is_csv(source, text):
        from .csvitems import read_csv_items

        yield from read_csv_items(text, name, action, cat)
        return
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = load_json_text(text, where, hint=f"Fix the JSON array in {name}.")
        for i, item in enumerate(data, 1):
            yield i, _object(item, where, f"element {i}")
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = load_json_text(
                line,
                f"{where} line {lineno}",
                hint=f"Fix line {lineno} of {name}: each line must be one JSON object. "
                "Nothing was sent.",
            )
        except MalformedJSON as exc:
            exc.message = exc.message.replace("at line 1, column", f"at line {lineno}, column")
            raise
        yield lineno, _object(item, where, f"line {lineno}")


def _object(item: Any, where: str, at: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UsageError(
            f"{where}, {at}: each item must be a JSON object, got {type(item).__name__}.",
            hint='Example item: {"Number": "100"}',
        )
    return item


def item_kwargs(action: Action, item: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Client keyword arguments for one item (see the module docstring for the mapping)."""
    kwargs = copy.deepcopy(base)
    names: dict[str, tuple[str, str]] = {}
    for p in action.params:
        for alias in (p.name, p.python_name, p.cli_name):
            names[alias] = ("param", p.name)
    wrapped = action.body.wrapped if action.body else None
    for arg in wrapped or ():
        for alias in (arg, snake(arg), snake(arg).replace("_", "-")):
            names[alias] = ("arg", arg)
    extra: dict[str, Any] = {}
    for key, value in item.items():
        kind, name = names.get(key, ("", key))
        if kind:
            kwargs[name] = value
        elif key == "body" or key in QUERY_OPTION_NAMES:
            kwargs[key] = value
        else:
            extra[key] = value
    if extra:
        if action.body is not None and not wrapped:
            body = kwargs.get("body")
            kwargs["body"] = {**(body if isinstance(body, dict) else {}), **extra}
        elif wrapped and len(wrapped) == 1 and "body" not in kwargs:
            arg = kwargs.get(wrapped[0])
            kwargs[wrapped[0]] = {**(arg if isinstance(arg, dict) else {}), **extra}
        else:
            kwargs.update(extra)  # the client names them as unknown parameters
    return kwargs


def _lines(index: int, result: Any) -> list[Any]:
    from ..results import FileResult

    if result is None:
        return [{"item": index, "status": "ok"}]
    if isinstance(result, FileResult):
        return [{"item": index, "file": result.filename, "bytes": result.size}]
    rows = items_of(result)
    if rows is not None:
        return rows
    if isinstance(result, dict) and set(result) - {"@odata.context"} == {"value"}:
        return [{"item": index, "value": result["value"]}]
    return [result]


def _error_line(index: int, item: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    return {"item": index, "input": item, "error": error_fields(exc)}


def load_items(
    source: str, action: Action | None = None, cat: Catalog | None = None
) -> tuple[list[dict[str, Any]], list[int]]:
    """Every item of ``source`` and where it came from (line, or array element).

    All of it is parsed before anything is sent (see :func:`run_items`).
    """
    loaded = list(read_items(source, action, cat))
    return [item for _at, item in loaded], [at for at, _item in loaded]


def run_items(
    client: Client,
    action: Action,
    items: list[dict[str, Any]],
    base: dict[str, Any],
    values: dict[str, Any],
    printer: Printer,
    lines: list[int] | None = None,
) -> None:
    """Call ``action`` per item with ``values['concurrency']`` threads, in input order.

    ``items`` come from :func:`load_items`: the whole input is parsed before the first call, so a malformed line 40
    cannot leave items 1-39 applied.  When an item fails without
    ``--continue-on-error``, items queued behind it are cancelled but the ones
    already in flight are waited for and reported: a create that did reach the
    PBX must never go unreported.  ``lines`` (from :func:`load_items`) let a
    failure name the input line, which differs from the item number in a file
    with a header row or blank lines.
    """
    keep_going = bool(values.get("continue_on_error"))
    workers = int(values.get("concurrency") or ITEMS_CONCURRENCY)
    if not items:
        print("3cx: --items: no items in the input.", file=sys.stderr)
        return

    def one(item: dict[str, Any]) -> Any:
        return client.call(action.id, **item_kwargs(action, item, base))

    failures = 0
    first: tuple[int, BaseException] | None = None
    uncertain: list[tuple[int, UncertainWriteError]] = []  # items that may have been applied
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = iter(enumerate(items, 1))
        window: list[tuple[int, dict[str, Any], Future[Any]]] = []
        try:
            while True:
                while first is None and len(window) < workers * 2:
                    nxt = next(pending, None)
                    if nxt is None:
                        break
                    window.append((nxt[0], nxt[1], pool.submit(one, nxt[1])))
                if not window:
                    break
                index, item, future = window.pop(0)
                if first is not None and future.cancel():
                    continue
                try:
                    result = future.result()
                except Exception as exc:
                    if isinstance(exc, UncertainWriteError):
                        uncertain.append((index, exc))
                    if keep_going or first is not None:
                        failures += 1
                        printer.rows([_error_line(index, item, exc)])
                        continue
                    first = (index, exc)
                    for _i, _item, fut in window:
                        fut.cancel()
                    continue
                printer.rows(_lines(index, printer.answer(result)))
        except BaseException:
            for _i, _item, fut in window:
                fut.cancel()
            raise
    if first is not None:
        index, exc = first
        at = f" (input line {lines[index - 1]})" if lines and lines[index - 1] != index else ""
        if isinstance(exc, UncertainWriteError):
            print(
                f"3cx: item {index} of {len(items)}{at} may have been applied; stopping (items "
                "already sent are still reported; later ones were not sent). Do not run the "
                f"whole input again: check item {index} on the PBX, then send only the items "
                "that were not applied.",
                file=sys.stderr,
            )
        else:
            print(
                f"3cx: item {index} of {len(items)}{at} failed; stopping (items already sent "
                "are still reported; later ones were not sent).",
                file=sys.stderr,
            )
        raise exc
    if failures:
        raise PartialFailure(
            f"{failures} of {len(items)} items failed (their lines carry an 'error' field).",
            hint=_failures_hint(failures, uncertain),
        )


def _failures_hint(failures: int, uncertain: list[tuple[int, UncertainWriteError]]) -> str:
    """What to do about failed items: refused ones can be fixed and sent again, but items
    whose write may have been applied must be checked first (sending them again could
    create duplicates)."""
    if not uncertain:
        return (
            "Fix those items and run them again, e.g. select them with "
            "`jq -c 'select(.error) | .input'`."
        )
    numbers = ", ".join(str(i) for i, _exc in uncertain)
    one = len(uncertain) == 1
    which = f"Item {numbers} may" if one else f"Items {numbers} may"
    text = (
        f"{which} have been applied (the connection broke after sending; exit_code 11 in "
        f"{'its line' if one else 'their lines'}); check on the PBX before sending "
        f"{'it' if one else 'any of them'} again: {check_command(uncertain[0][1])}"
    )
    if failures > len(uncertain):
        text += (
            " The other failed items were refused and not applied: fix and run only them, "
            "e.g. `jq -c 'select(.error and .error.exit_code != 11) | .input'`."
        )
    return text
