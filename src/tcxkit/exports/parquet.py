"""Parquet output (extra ``parquet``: pyarrow): a dataset directory, one file per window.

``--into calls.parquet`` makes the directory ``calls.parquet/`` holding
``part-000001.parquet``, ``part-000002.parquet``, ... and ``_checkpoint.json`` (pyarrow,
DuckDB and pandas skip names starting with ``_``).  A part is written under a temporary
name and renamed, then the checkpoint records how many parts are whole; ``--resume``
deletes any part past that number, so a killed run leaves no duplicate.  Times are
Parquet timestamps in UTC (``start_utc``, ``end_utc``), legs a list of structs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, OutputExistsError, UsageError
from ..private_files import open_private
from .legs import parse_utc
from .statefile import WHAT, save_state

__all__ = ["ParquetSink", "call_schema", "leg_schema"]

_INT = ("segment_id", "call_id")
_SMALL = ("indent", "transfers", "legs_count")
_FLOAT = ("ring_seconds", "talk_seconds", "wait_seconds", "duration_seconds")
_TIMES = ("start_utc", "end_utc")


def _pa() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ConfigurationError(
            "Parquet output needs pyarrow.",
            hint="Install the extra: pip install 'tcxkit[parquet]'.",
        ) from None
    return pyarrow


def _type(pa: Any, name: str) -> Any:
    if name in _INT:
        return pa.int64()
    if name in _SMALL:
        return pa.int32()
    if name in _FLOAT:
        return pa.float64()
    if name in _TIMES:
        return pa.timestamp("us", tz="UTC")
    if name == "answered":
        return pa.bool_()
    if name == "recording_ids":
        return pa.list_(pa.int64())
    if name == "transferred_to":
        return pa.list_(pa.string())
    return pa.string()


def leg_schema() -> Any:
    """The documented leg columns as a Parquet schema."""
    from .legs import LEG_COLUMNS

    pa = _pa()
    return pa.schema([pa.field(c, _type(pa, c)) for c in LEG_COLUMNS])


def call_schema() -> Any:
    """The documented call columns; ``legs`` a list of leg structs."""
    from .calls import CALL_COLUMNS

    pa = _pa()
    legs = pa.list_(pa.struct(list(leg_schema())))
    return pa.schema([pa.field(c, legs if c == "legs" else _type(pa, c)) for c in CALL_COLUMNS])


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in _TIMES:
        if key in out:
            out[key] = parse_utc(out[key])
    if "legs" in out:
        out["legs"] = [_typed(leg) for leg in out["legs"]]
    return out


class ParquetSink:
    """A Parquet dataset directory with its checkpoint inside (see the module docstring)."""

    def __init__(self, path: Path, *, legs_only: bool, resume: bool):
        _pa()
        import pyarrow.parquet as pq

        self.pq = pq
        self.path = path
        self.schema = leg_schema() if legs_only else call_schema()
        self.state_path = path / "_checkpoint.json"
        self._state: dict[str, Any] | None = None
        if path.exists() and not path.is_dir():
            raise OutputExistsError(
                f"{path} exists and is not a Parquet export directory.",
                hint="Choose another name, or remove it.",
            )
        if self.state_path.exists():
            self._state = json.loads(self.state_path.read_text(encoding="utf-8"))
            if not resume:
                raise OutputExistsError(
                    f"{path} holds an export (checkpoint {self.state_path.name}).",
                    hint="Add --resume to continue it, or remove the directory to start again.",
                )
        elif path.exists() and any(path.iterdir()):
            raise OutputExistsError(
                f"{path} is a directory that is not an export this command can resume.",
                hint="Choose another name, or empty it.",
            )
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.parts = int((self._state or {}).get("sink", {}).get("parts", 0))
        for part in path.glob("part-*.parquet*"):  # past the checkpoint: a killed run's
            number = part.name[len("part-") :].split(".", 1)[0]
            if not number.isdigit() or int(number) > self.parts or part.suffix != ".parquet":
                part.unlink()
        self._rows: list[dict[str, Any]] = []

    def checkpoint(self) -> dict[str, Any] | None:
        return self._state

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._rows.extend(rows)

    def commit(self, checkpoint: dict[str, Any]) -> None:
        if self._rows:
            table = _pa().Table.from_pylist([_typed(r) for r in self._rows], schema=self.schema)
            part = self.path / f"part-{self.parts + 1:06d}.parquet"
            tmp = part.with_name(part.name + ".tmp")
            with open_private(tmp, "wb", what=WHAT) as fh:  # owner only, like the other sinks
                self.pq.write_table(table, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, part)
            self.parts += 1
            self._rows = []
        state = {**checkpoint, "sink": {"parts": self.parts}}
        save_state(self.state_path, state)
        self._state = state

    def close(self) -> None:
        self._rows = []


def refuse_stdout() -> UsageError:
    return UsageError(
        "Parquet is written into a directory, not to standard output.",
        hint="Add --into calls.parquet (a directory of one file per window).",
    )
