"""Items from a spreadsheet: CSV rows -> item objects typed from the action's schema.

Bulk work on a PBX starts from a spreadsheet export, so ``--items users.csv``
reads a CSV file whose header row names the fields:

* a column ``A.B`` fills ``{"A": {"B": ...}}`` (any depth);
* a cell is converted to the type the action's schema gives the field
  (parameter, named body argument or body property): integer, number,
  boolean (true/false, yes/no, 1/0), JSON for arrays and objects
  (``["a","b"]``, or ``a;b`` for an array of scalars); anything else stays text;
* an empty cell leaves the field out; ``null`` sets null where the schema
  allows it.

Every error names the file and line (the header is line 1), before anything
is sent.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..odata import integer_too_long

if TYPE_CHECKING:
    from ..catalog import Action, Catalog
    from ..schemas import SchemaIndex

__all__ = ["read_csv_items"]

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


class _Fields:
    """Schema lookup for item field paths (``Number``, ``Hours.Type``)."""

    def __init__(self, action: Action | None, cat: Catalog | None) -> None:
        self.index: SchemaIndex | None = cat.schema_index if cat is not None else None
        self.top: dict[str, dict[str, Any]] = {}
        if action is None:
            return
        for p in action.params:
            for alias in (p.name, p.python_name, p.cli_name):
                self.top[alias] = p.schema
        body = action.body
        if body is None or self.index is None:
            return
        props = self.index.declared_properties(body.schema) or {}
        if body.wrapped and len(body.wrapped) == 1:
            # Fields of the single argument (DnNumbers of peersRequest) sit at the top.
            arg = self.index.unwrap(props.get(body.wrapped[0], {}))
            props = {**(self.index.declared_properties(arg) or {}), **props}
        for name, schema in props.items():
            self.top.setdefault(name, schema)

    def schema(self, path: list[str]) -> dict[str, Any]:
        schema = self.top.get(path[0], {})
        for part in path[1:]:
            if self.index is None:
                return {}
            props = self.index.declared_properties(self.index.unwrap(schema)) or {}
            schema = props.get(part, {})
        return self.index.unwrap(schema) if self.index is not None else schema


def _convert(text: str, schema: dict[str, Any], where: str, column: str) -> Any:
    kind = schema.get("type")
    if text == "null" and (schema.get("nullable") or kind is None):
        return None

    def bad(what: str) -> UsageError:
        return UsageError(
            f"{where}, column {column!r}: {text!r} is not {what}.",
            hint="Fix the cell (or leave it empty to leave the field out). Nothing was sent.",
        )

    if kind in ("integer", "number") and integer_too_long(text):
        return text  # not converted: the request's validation says why, with the others
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise bad("an integer") from None
    if kind == "number":
        try:
            return float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise bad("a number") from None
    if kind == "boolean":
        low = text.strip().lower()
        if low in _TRUE | _FALSE:
            return low in _TRUE
        raise bad("a boolean (true/false, yes/no, 1/0)")
    if kind == "array" or kind == "object" or (kind is None and text[:1] in "[{"):
        if text.lstrip()[:1] in "[{":
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise bad(f"valid JSON ({exc.msg} at column {exc.colno})") from None
        if kind == "array":
            item = schema.get("items") or {}
            return [_convert(v.strip(), item, where, column) for v in text.split(";") if v.strip()]
        raise bad("a JSON object")
    return text


def read_csv_items(
    text: str, name: str, action: Action | None, cat: Catalog | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, item)`` per data row of CSV ``text``; ``name`` is the file, for errors."""
    fields = _Fields(action, cat)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        return
    columns = [h.strip() for h in header]
    empty = [i + 1 for i, c in enumerate(columns) if not c]
    if empty or len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1 and c})
        raise UsageError(
            f"--items file {name} line 1: the header row needs one unique field name per column"
            + (f" (column {', '.join(map(str, empty))} empty)" if empty else "")
            + (f" (repeated: {', '.join(dupes)})" if dupes else "")
            + ".",
            hint="Use field names such as Number,FirstName,Hours.Type. Nothing was sent.",
        )
    paths = [c.split(".") for c in columns]
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        where = f"--items file {name} line {line}"
        if len(row) > len(columns):
            raise UsageError(
                f"{where}: {len(row)} cells, but the header names {len(columns)} fields.",
                hint="Quote cells that contain commas. Nothing was sent.",
            )
        item: dict[str, Any] = {}
        for path, column, cell in zip(paths, columns, row, strict=False):
            if cell == "":
                continue
            value = _convert(cell, fields.schema(path), where, column)
            target = item
            for part in path[:-1]:
                nxt = target.setdefault(part, {})
                if not isinstance(nxt, dict):
                    raise UsageError(
                        f"{where}: column {column!r} nests inside {part!r}, which has a value.",
                        hint="Use either A or A.B columns, not both. Nothing was sent.",
                    )
                target = nxt
            target[path[-1]] = value
        yield line, item
