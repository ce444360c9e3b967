"""Print results as json, jsonl, table, csv or raw; write files; hide secrets.

Humans get pretty JSON or a compact table on a terminal; pipes get compact
JSON.  Secret fields (passwords, PINs, licence keys, API keys) are masked
unless ``--show-secrets``, because a real PBX returns them whenever a call
does not ``$select`` its fields.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, TextIO

from ..redaction import MASK, is_secret_action, is_secret_key, redact
from .columns import cut_middle

__all__ = [
    "MASK",
    "Printer",
    "is_secret_key",
    "items_of",
    "redact",
    "table_columns",
]

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
# Rows per write (and flush) when streaming, and rows a table sizes its columns from.
_BATCH = 100
_TABLE_SAMPLE = 200


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
    if isinstance(value, list):  # the first items, then "…" for the rest
        return text if len(text) <= width else text[: width - 1] + "…"
    return cut_middle(text, width)  # a path's or URL's end is what tells rows apart


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
    #: The action whose answers this prints: a secret-returning one is masked whole.
    action: str | None = None
    pretty: bool | None = None
    layout: Any = None  # tcxkit.cli.columns.Layout: which columns, in which order

    def __post_init__(self) -> None:
        self.out = self.out or sys.stdout
        if self.pretty is None:
            self.pretty = self.out.isatty()

    # -- helpers --------------------------------------------------------
    def _clean(self, value: Any) -> Any:
        return value if self.show_secrets else redact(value)

    def answer(self, value: Any) -> Any:
        """A PBX's answer to :attr:`action`, before it is printed or wrapped in a row
        (``--fleet``, ``--items``): masked whole when the action returns a secret
        (everything printed is also masked by field)."""
        if self.show_secrets or self.action is None:
            return value
        return redact(value, self.action) if is_secret_action(self.action) else value

    def _dump(self, value: Any, pretty: bool | None = None) -> str:
        return self._encoder(pretty)(value)

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

        Every format streams: rows are masked, encoded and written as they
        come, in batches, so an export of any size runs in constant memory.
        Only the json format has room for ``@odata.count``; the row formats
        would drop it silently, so it goes to stderr there.
        """
        if count is not None and self.fmt != "json":
            print(f"3cx: @odata.count: {count} items match in total.", file=sys.stderr)
        clean = iter(rows) if self.show_secrets else map(redact, rows)  # by field: rows are wrapped
        if self.fmt in ("jsonl", "raw"):
            encode = self._encoder(False)
            return self._batched(encode(row) + "\n" for row in clean)
        if self.fmt == "table":
            return self._table(clean)
        if self.fmt == "csv":
            return self._csv(clean)
        return self._json_array(clean, count)

    def _encoder(self, pretty: bool | None) -> Any:
        """``json.dumps`` with this printer's settings, its encoder made once (not per row)."""
        pretty = self.pretty if pretty is None else pretty
        if pretty:
            return json.JSONEncoder(indent=2, ensure_ascii=False, default=str).encode
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

    def _batched(self, pieces: Iterable[str]) -> int:
        """Write ``pieces`` in batches (one write and flush per batch); returns how many."""
        assert self.out is not None
        batch: list[str] = []
        n = 0
        for piece in pieces:
            batch.append(piece)
            n += 1
            if len(batch) >= _BATCH:
                self.out.write("".join(batch))
                self.out.flush()
                batch.clear()
        if batch:
            self.out.write("".join(batch))
        self.out.flush()
        return n

    def _json_array(self, rows: Iterator[Any], count: int | None) -> int:
        """The same text as ``json.dumps`` of the whole list, written row by row."""
        encode = self._encoder(None)
        pretty = bool(self.pretty)
        if count is None:
            opening, closing, pad = "[", "]", "\n  "
        elif pretty:
            opening, closing, pad = (
                f'{{\n  "@odata.count": {count},\n  "value": [',
                "]\n}",
                "\n    ",
            )
        else:
            opening, closing, pad = f'{{"@odata.count":{count},"value":[', "]}", ""
        if not pretty:
            pad = ""
        n = 0

        def pieces() -> Iterator[str]:
            nonlocal n
            yield opening
            for row in rows:
                text = encode(row)
                if pretty:
                    text = text.replace("\n", pad)  # nest one level (strings hold no raw \n)
                yield (pad if n == 0 else "," + pad) + text
                n += 1
            if n and pretty:
                yield pad[:-2]  # the closing bracket's own line and indentation
            yield closing + "\n"

        self._batched(pieces())
        return n

    def stream(self, rows: Iterable[Any]) -> Iterator[Any]:
        """Yield rows while printing JSONL at once (used by items mode)."""
        for row in rows:
            self.write(self._dump(self._clean(row), False) + "\n")
            yield row

    # -- formats --------------------------------------------------------
    def _csv(self, rows: Iterable[Any]) -> int:
        """Columns from the first rows (every one they have), then each row as it comes."""
        assert self.out is not None
        rows = iter(rows)
        head = [_as_dict(r) for r in islice(rows, _TABLE_SAMPLE)]
        if not head:
            return 0
        cols = table_columns(head, limit=None)
        if self.layout is not None:
            cols = self.layout.csv_columns(head, cols)
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(cols)
        n = 0
        for r in chain(head, map(_as_dict, rows)):
            writer.writerow(
                [
                    json.dumps(r.get(c), ensure_ascii=False)
                    if isinstance(r.get(c), dict | list)
                    else ("" if r.get(c) is None else _scalar(r.get(c)))
                    for c in cols
                ]
            )
            n += 1
            if n % _BATCH == 0:
                self.out.flush()
        self.out.flush()
        return n

    def _table(self, rows: Iterable[Any]) -> int:
        """A table; beyond the first rows it streams with the column widths they set."""
        rows = iter(rows)
        head = [_as_dict(r) for r in islice(rows, _TABLE_SAMPLE + 1)]
        if not head:
            return 0
        cols = table_columns(head)
        value = _get if self.layout is None else self.layout.value
        if self.layout is not None:
            cols = self.layout.table_columns(head, cols)
        cells = [[summarise(value(r, c)) for c in cols] for r in head]
        if len(head) <= _TABLE_SAMPLE:
            self._grid(cols, cells)
            n = len(head)
        else:
            cols, cells = _fit(cols, cells)
            widths = _widths(cols, cells)
            more = ([summarise(value(r, c)) for c in cols] for r in map(_as_dict, rows))
            lines = (_line(r, widths) for r in chain(cells, more))
            n = self._batched(chain([_line(cols, widths)], lines)) - 1
        if _is_terminal(self.out):  # a file or a pipe has no screen to overflow
            _note_long_table(n)
        return n

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
        header, cells = _fit(header, cells)
        widths = _widths(header, cells)
        self.write("".join(_line(r, widths) for r in [header, *cells]))

    def file(
        self, data: bytes, target: str | None, fallback_name: str, *, overwrite: bool = False
    ) -> dict[str, Any]:
        """Write a file result to ``target`` (``-`` = stdout) or the server's file name
        (already made safe); an existing file only with ``overwrite`` (``--force``)."""
        from ..downloads import safe_filename, write_new

        if target == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return {"path": "-", "bytes": len(data)}
        name = safe_filename(fallback_name, "download.bin")
        path = Path(target).expanduser() if target else Path(name)
        if path.is_dir():
            path = path / name
        write_new(path, data, overwrite)
        return {"path": str(path), "bytes": len(data)}


def _get(row: dict[str, Any], column: str) -> Any:
    return row.get(column)


def _fit(header: list[str], cells: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Fit a plain table to the terminal width (tcxkit.cli.columns); note dropped columns."""
    from .columns import fit_to_width, terminal_width

    width = terminal_width()
    if width is None:
        return header, cells
    header, cells, dropped = fit_to_width(header, cells, width)
    if dropped:
        print(
            f"3cx: {dropped} more column{'s' if dropped > 1 else ''} did not fit the "
            "terminal; choose with --select, or use -o csv / -o json.",
            file=sys.stderr,
        )
    return header, cells


def _as_dict(row: Any) -> dict[str, Any]:
    return row if isinstance(row, dict) else {"value": row}


def _widths(header: list[str], cells: list[list[str]]) -> list[int]:
    return [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]


def _line(cells: list[str], widths: list[int]) -> str:
    """One table line; a cell wider than its column (rows after the sample) is cut."""
    fitted = (cut_middle(c, w) for c, w in zip(cells, widths, strict=True))
    return "  ".join(c.ljust(w) for c, w in zip(fitted, widths, strict=True)).rstrip() + "\n"


def _is_terminal(out: Any) -> bool:
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _note_long_table(rows: int) -> None:
    """Say so when a table is longer than the terminal (LINES, else the terminal, else 24)."""
    lines = shutil.get_terminal_size().lines
    if rows + 2 > lines:
        print(
            f"3cx: {rows} rows do not fit the terminal ({lines} lines); for exports use "
            "-o jsonl or -o csv (every column, streamed).",
            file=sys.stderr,
        )


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
