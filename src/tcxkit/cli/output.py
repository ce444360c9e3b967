"""Print results as json, jsonl, table, csv or raw; write files; hide secrets.

Humans get pretty JSON or a compact table on a terminal; pipes get compact
JSON.  Secret fields (passwords, PINs, licence keys, API keys) are masked
unless ``--show-secrets``, because a real PBX returns them whenever a call
does not ``$select`` its fields.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..redaction import MASK, is_secret_key, redact

__all__ = [
    "FORMATS",
    "MASK",
    "Printer",
    "is_secret_key",
    "items_of",
    "redact",
    "table_columns",
]

FORMATS = ("json", "jsonl", "table", "csv", "raw")

_FIRST_COLUMNS = (
    "Id",
    "Number",
    "Name",
    "DisplayName",
    "FirstName",
    "LastName",
    "EmailAddress",
    "Type",
    "Status",
    "Enabled",
)
MAX_COLUMNS = 8
_CELL = 40


def items_of(result: Any) -> list[Any] | None:
    """The rows of a collection result (``{"value": [...]}`` or a list), else None."""
    if isinstance(result, list):
        return result
    if (
        isinstance(result, dict)
        and isinstance(result.get("value"), list)
        and all(k == "value" or k.startswith("@odata.") for k in result)
    ):
        return result["value"]
    return None


def table_columns(rows: list[dict[str, Any]], limit: int | None = MAX_COLUMNS) -> list[str]:
    """Identifying columns first, scalars before nested values, at most ``limit``."""
    seen: dict[str, bool] = {}
    for row in rows[:200]:
        for k, v in row.items():
            if k.startswith("@odata."):
                continue
            nested = isinstance(v, dict | list)
            seen[k] = seen.get(k, True) and not nested if k in seen else not nested
    first = [c for c in _FIRST_COLUMNS if c in seen]
    scalars = [c for c, scalar in seen.items() if scalar and c not in first]
    nested = [c for c, scalar in seen.items() if not scalar and c not in first]
    cols = first + scalars + nested
    return cols[:limit] if limit else cols


def summarise(value: Any, width: int = _CELL) -> str:
    """A short cell text for any value: lists by count or names, objects by name."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if not value:
            return ""
        if all(not isinstance(v, dict | list) for v in value):
            text = ", ".join(str(v) for v in value)
        else:
            names = [_label(v) for v in value]
            text = ", ".join(n for n in names if n) or f"[{len(value)} items]"
    elif isinstance(value, dict):
        text = _label(value) or "{" + ", ".join(list(value)[:3]) + ("…}" if len(value) > 3 else "}")
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _label(obj: Any) -> str:
    if not isinstance(obj, dict):
        return str(obj)
    for key in ("Name", "Number", "DisplayName", "Id", "Title"):
        if obj.get(key) not in (None, ""):
            return str(obj[key])
    return ""


@dataclass
class Printer:
    """Writes results in one format; created once per command run."""

    fmt: str = "json"
    show_secrets: bool = False
    out: TextIO | None = None
    pretty: bool | None = None
    layout: Any = None  # tcxkit.cli.columns.Layout: which columns, in which order

    def __post_init__(self) -> None:
        self.out = self.out or sys.stdout
        if self.pretty is None:
            self.pretty = self.out.isatty()

    # -- helpers --------------------------------------------------------
    def _clean(self, value: Any) -> Any:
        return value if self.show_secrets else redact(value)

    def _dump(self, value: Any, pretty: bool | None = None) -> str:
        pretty = self.pretty if pretty is None else pretty
        if pretty:
            return json.dumps(value, indent=2, ensure_ascii=False, default=str)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

    def write(self, text: str) -> None:
        assert self.out is not None
        self.out.write(text)
        self.out.flush()

    # -- public ---------------------------------------------------------
    def result(self, result: Any, *, collection: bool = False) -> int:
        """Print one call's result; returns how many rows it had (or 1)."""
        if result is None:
            return 0
        rows = items_of(result) if collection or isinstance(result, list) else None
        if rows is not None:
            count = result.get("@odata.count") if isinstance(result, dict) else None
            self.rows(rows, count=count)
            return len(rows)
        value = self._clean(result)
        if self.fmt == "raw":
            if isinstance(value, dict) and set(value) - {"@odata.context"} == {"value"}:
                value = value["value"]
            self.write((value if isinstance(value, str) else self._dump(value, False)) + "\n")
        elif self.fmt == "jsonl":
            self.write(self._dump(value, False) + "\n")
        elif self.fmt in ("table", "csv") and isinstance(value, dict):
            if self.fmt == "csv":
                self._csv([value])
            else:
                self._kv_table(value)
        else:
            self.write(self._dump(value) + "\n")
        return 1

    def rows(self, rows: Iterable[Any], *, count: int | None = None) -> int:
        """Print a sequence of items (a list, or a generator from ``--all``).

        Only the json format has room for ``@odata.count``; the row formats
        would drop it silently, so it goes to stderr there.
        """
        if count is not None and self.fmt != "json":
            print(f"3cx: @odata.count: {count} items match in total.", file=sys.stderr)
        if self.fmt in ("jsonl", "raw"):
            n = 0
            for row in rows:
                self.write(self._dump(self._clean(row), False) + "\n")
                n += 1
            return n
        data = [self._clean(r) for r in rows]
        if self.fmt == "table":
            self._table(data)
        elif self.fmt == "csv":
            self._csv(data)
        elif count is not None:
            self.write(self._dump({"@odata.count": count, "value": data}) + "\n")
        else:
            self.write(self._dump(data) + "\n")
        return len(data)

    def stream(self, rows: Iterable[Any]) -> Iterator[Any]:
        """Yield rows while printing JSONL at once (used by items mode)."""
        for row in rows:
            self.write(self._dump(self._clean(row), False) + "\n")
            yield row

    # -- formats --------------------------------------------------------
    def _csv(self, rows: list[Any]) -> None:
        dict_rows = [r if isinstance(r, dict) else {"value": r} for r in rows]
        if not dict_rows:
            return
        cols = table_columns(dict_rows, limit=None)
        if self.layout is not None:
            cols = self.layout.csv_columns(dict_rows, cols)
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(cols)
        for r in dict_rows:
            writer.writerow(
                [
                    json.dumps(r.get(c), ensure_ascii=False)
                    if isinstance(r.get(c), dict | list)
                    else ("" if r.get(c) is None else _scalar(r.get(c)))
                    for c in cols
                ]
            )
        assert self.out is not None
        self.out.flush()

    def _table(self, rows: list[Any]) -> None:
        dict_rows = [r if isinstance(r, dict) else {"value": r} for r in rows]
        if not dict_rows:
            return
        cols = table_columns(dict_rows)
        if self.layout is None:
            cells = [[summarise(r.get(c)) for c in cols] for r in dict_rows]
        else:
            cols = self.layout.table_columns(dict_rows, cols)
            cells = [[summarise(self.layout.value(r, c)) for c in cols] for r in dict_rows]
        self._grid(cols, cells)

    def _kv_table(self, obj: dict[str, Any]) -> None:
        keys = [k for k in table_columns([obj], limit=None)]
        self._grid(["Field", "Value"], [[k, summarise(obj.get(k), 70)] for k in keys])

    def _grid(self, header: list[str], cells: list[list[str]]) -> None:
        assert self.out is not None
        if self.out.isatty():
            try:
                from rich.console import Console
                from rich.table import Table
            except ImportError:  # rich is optional: fall back to plain columns
                pass
            else:
                table = Table(show_edge=False, header_style="bold")
                for h in header:
                    table.add_column(h, overflow="fold")
                for row in cells:
                    table.add_row(*row)
                Console(file=self.out).print(table)
                return
        from .columns import fit_to_width, terminal_width

        width = terminal_width()
        if width is not None:
            header, cells, dropped = fit_to_width(header, cells, width)
            if dropped:
                print(
                    f"3cx: {dropped} more column{'s' if dropped > 1 else ''} did not fit the "
                    "terminal; choose with --select, or use -o csv / -o json.",
                    file=sys.stderr,
                )
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
        for r in cells:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        self.write("\n".join(lines) + "\n")

    def file(self, data: bytes, target: str | None, fallback_name: str) -> dict[str, Any]:
        """Write a file result to ``target`` (``-`` = stdout) or the server's file name."""
        if target == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return {"path": "-", "bytes": len(data)}
        path = Path(target or fallback_name).expanduser()
        if path.is_dir():
            path = path / fallback_name
        path.write_bytes(data)
        return {"path": str(path), "bytes": len(data)}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
