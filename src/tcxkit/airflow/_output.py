"""Write action results to files: JSONL, CSV or JSON, streamed and atomic.

Why files: XCom lives in Airflow's metadata database and is meant for small values; a
call-log export can hold millions of rows. Writers consume an iterator (so paginated results
are never held in memory) and replace the target only when complete, so a failed task never
leaves a half-written export that a downstream task could mistake for a finished one.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..downloads import atomic_file
from ..errors import UsageError

__all__ = ["FORMATS", "format_for", "write_records"]

FORMATS = ("jsonl", "csv", "json")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "json"}


def format_for(path: str, output_format: str | None) -> str:
    """The explicit format, else the one the file suffix names, else JSONL."""
    if output_format:
        fmt = output_format.lower()
        if fmt not in FORMATS:
            raise UsageError(
                f"output_format {output_format!r} is not supported.",
                hint=f"Use one of: {', '.join(FORMATS)} (or leave it out to infer from the path).",
            )
        return fmt
    return _SUFFIXES.get(Path(path).suffix.lower(), "jsonl")


@contextmanager
def _atomic(path: str) -> Iterator[IO[Any]]:
    """A text file that replaces ``path`` only when complete (tcxkit's one atomic write)."""
    with atomic_file(Path(path), overwrite=True, mode="w", make_parents=True) as handle:
        yield handle


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _cell(value: Any) -> Any:
    """CSV cell: scalars as-is, nested values as compact JSON (no information lost)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _dumps(value)
    return value


def _write_csv(path: str, records: Iterable[Any]) -> int:
    """Two passes through a spool file: the header must list every column seen in any row."""
    columns: dict[str, None] = {}
    count = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for record in records:
            row = record if isinstance(record, dict) else {"value": record}
            for key in row:
                if not str(key).startswith("@odata."):
                    columns.setdefault(str(key), None)
            spool.write(_dumps(row) + "\n")
            count += 1
        spool.seek(0)
        with _atomic(path) as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            for line in spool:
                row = json.loads(line)
                writer.writerow({k: _cell(v) for k, v in row.items() if k in columns})
    return count


def write_records(path: str, records: Iterable[Any], fmt: str) -> int:
    """Write records to ``path`` in ``fmt``; returns how many were written."""
    if fmt == "csv":
        return _write_csv(path, records)
    count = 0
    with _atomic(path) as handle:
        if fmt == "json":
            handle.write("[")
        for record in records:
            if fmt == "json":
                handle.write(("," if count else "") + "\n" + _dumps(record))
            else:
                handle.write(_dumps(record) + "\n")
            count += 1
        if fmt == "json":
            handle.write("\n]\n" if count else "]\n")
    return count
