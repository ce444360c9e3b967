"""Where exported rows go, and where the checkpoint that makes them resumable lives.

Every sink commits a window's rows *and* the checkpoint after them together, so a run
killed at any point resumes without a duplicate or a gap:

* :class:`FileSink` (JSON lines or CSV in a file): rows are flushed and synced first,
  then the checkpoint (``FILE.checkpoint.json``, replaced atomically) records the file's
  length; ``--resume`` cuts the file back to that length before going on, dropping a
  window written after the last checkpoint;
* :class:`StreamSink` (standard output): nothing to resume;
* :class:`SqliteSink` (``sqlite:///path``): one transaction per window upserts the rows
  and the checkpoint row, so re-running an export changes no row;
* :class:`~.parquet.ParquetSink` (``DIR.parquet``, extra ``parquet``): a part file per
  window, then the checkpoint;
* :class:`~.postgres.PostgresSink` (``postgresql://``, extra ``postgres``): as SQLite.

CSV cells follow the CLI's renderer: nested values (legs, lists) as JSON text,
booleans ``true``/``false``, nothing for null.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import IO, Any, Protocol

from ..errors import OutputExistsError, UsageError
from .calls import CALL_COLUMNS
from .legs import LEG_COLUMNS
from .statefile import private_open, save_state
from .tables import TableSink

__all__ = ["FileSink", "Sink", "SqliteSink", "StreamSink", "open_sink"]


class Sink(Protocol):
    """What a run writes to (see the module docstring)."""

    def checkpoint(self) -> dict[str, Any] | None: ...
    def write(self, rows: list[dict[str, Any]]) -> None: ...
    def commit(self, checkpoint: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_line(row: dict[str, Any]) -> str:
    """Compact JSON text of one row and a newline; orjson's bytes when it is installed (the
    emulator extra brings it) are the same text, several times faster."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:

    def _json_line(row: dict[str, Any]) -> str:
        return _orjson.dumps(row, option=_orjson.OPT_APPEND_NEWLINE).decode()


class _Formatter:
    """Rows as JSON lines or CSV text (header once, from the documented columns)."""

    def __init__(self, fmt: str, columns: tuple[str, ...]):
        if fmt not in ("jsonl", "csv"):
            raise UsageError(
                f"Exports are written as jsonl or csv, not {fmt!r}.",
                hint="Use -o jsonl (calls with their legs nested), -o csv or -o parquet "
                "(with --into DIR.parquet).",
            )
        self.fmt = fmt
        self.columns = columns

    def header(self) -> str:
        return self._csv_line(list(self.columns)) if self.fmt == "csv" else ""

    def text(self, rows: list[dict[str, Any]]) -> str:
        if self.fmt == "jsonl":
            return "".join(_json_line(r) for r in rows)
        return "".join(self._csv_line([_cell(r.get(c)) for c in self.columns]) for r in rows)

    @staticmethod
    def _csv_line(cells: list[str]) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        return buf.getvalue()


class StreamSink:
    """Standard output (or any text stream): written as it comes, never resumable."""

    def __init__(self, out: IO[str], fmt: str, columns: tuple[str, ...]):
        self.out = out
        self.form = _Formatter(fmt, columns)
        self.out.write(self.form.header())

    def checkpoint(self) -> dict[str, Any] | None:
        return None

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.out.write(self.form.text(rows))

    def commit(self, checkpoint: dict[str, Any]) -> None:
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class FileSink:
    """A JSON lines or CSV file with its checkpoint beside it (see the module docstring)."""

    def __init__(self, path: Path, fmt: str, columns: tuple[str, ...], *, resume: bool):
        self.path = path
        self.state_path = path.with_name(path.name + ".checkpoint.json")
        self.form = _Formatter(fmt, columns)
        self._state = self._read_state()
        if self._state is not None and not resume:
            done = (self._state.get("state") or {}).get("done")
            raise OutputExistsError(
                f"{path} holds {'a finished export' if done else 'an export in progress'} "
                f"(checkpoint {self.state_path.name}).",
                hint="Add --resume to continue it, or remove both files to start again.",
            )
        if self._state is None and path.exists() and path.stat().st_size:
            raise OutputExistsError(
                f"{path} exists and is not an export this command can resume (no checkpoint).",
                hint="Choose another file, or remove it.",
            )
        size = path.stat().st_size if path.exists() else 0
        if self._state is not None and size < int(self._state["sink"]["bytes"]):
            raise UsageError(
                f"{path} is shorter than its checkpoint says ({size} bytes, not "
                f"{self._state['sink']['bytes']}): it was changed since.",
                hint="Remove the file and its checkpoint to start again.",
            )
        self._fh = private_open(path, "r+b" if path.exists() else "wb")
        if self._state is None:
            self._fh.truncate(0)
            self._fh.write(self.form.header().encode())
        else:  # drop whatever a killed run wrote after its last checkpoint
            self._fh.truncate(int(self._state["sink"]["bytes"]))
        self._fh.seek(0, os.SEEK_END)

    def _read_state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise UsageError(
                f"Cannot read the checkpoint {self.state_path}: {exc}.",
                hint="Remove the export file and its checkpoint to start again.",
            ) from None

    def checkpoint(self) -> dict[str, Any] | None:
        return self._state

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._fh.write(self.form.text(rows).encode())

    def commit(self, checkpoint: dict[str, Any]) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        state = {**checkpoint, "sink": {"bytes": self._fh.tell()}}
        save_state(self.state_path, state)
        self._state = state

    def close(self) -> None:
        with suppress(OSError):
            self._fh.close()


class SqliteSink(TableSink):
    """``calls`` and ``call_legs`` tables (key: pbx + call_id / segment_id), upserted.

    An upsert rewrites a row only when a value differs, so running the same export twice
    changes no row (``changes`` counts what a run changed).  Lists are stored as JSON text.
    """

    def __init__(self, path: Path, export_key: str, *, pbx: str, resume: bool, legs_only: bool):
        self.path = path
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # its -wal/-shm copy the mode
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self._open(export_key, nullcontext(), pbx=pbx, resume=resume, legs_only=legs_only)

    def _ddl(self, table: str, columns: tuple[str, ...], key: str) -> str:
        cols = ", ".join(f'"{c}"' for c in columns)
        return (
            f'CREATE TABLE IF NOT EXISTS "{table}" (pbx TEXT NOT NULL, {cols}, '
            f'PRIMARY KEY (pbx, "{key}"))'
        )

    def commit(self, checkpoint: dict[str, Any]) -> None:
        before = self.db.total_changes
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._write_window(checkpoint)
            self.changes += self.db.total_changes - before - 1
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self._committed(checkpoint)

    def _upsert(
        self, table: str, columns: tuple[str, ...], key: str, rows: list[dict[str, Any]]
    ) -> None:
        names = ("pbx", *columns)
        quoted = ", ".join(f'"{c}"' for c in names)
        marks = ", ".join("?" for _ in names)
        rest = [c for c in columns if c != key]
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in rest)
        differs = " OR ".join(f'"{table}"."{c}" IS NOT excluded."{c}"' for c in rest)
        sql = (
            f'INSERT INTO "{table}" ({quoted}) VALUES ({marks}) '
            f'ON CONFLICT(pbx, "{key}") DO UPDATE SET {sets} WHERE {differs}'
        )
        self.db.executemany(sql, ([self.pbx, *(_sql(r.get(c)) for c in columns)] for r in rows))

    def close(self) -> None:
        with suppress(sqlite3.Error):
            self.db.close()


def _sql(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def open_sink(
    into: str | None,
    *,
    fmt: str,
    legs_only: bool,
    resume: bool,
    export_key: str,
    pbx: str,
    out: IO[str] | None = None,
    password: str | None = None,
) -> Sink:
    """The sink ``into`` names: ``sqlite:///PATH``, a file path, or None for ``out``.

    ``password``: PostgreSQL's, when it comes from a secret store rather than the
    environment (``PGPASSWORD``, ``~/.pgpass``); refused for any other sink."""
    columns = LEG_COLUMNS if legs_only else CALL_COLUMNS
    scheme = into.partition("://")[0] if into and "://" in into else ""
    if password is not None and scheme not in ("postgresql", "postgres"):
        raise UsageError("A password is only used with a postgresql:// target.")
    if fmt == "parquet" or (into or "").endswith(".parquet"):
        from .parquet import ParquetSink, refuse_stdout

        if into is None:
            raise refuse_stdout()
        if scheme not in ("", "file"):  # not a local directory named after the URL
            raise UsageError(
                f"Parquet is written into a directory, not into {scheme}://.",
                hint="Add --into calls.parquet, or leave -o parquet out for a database.",
            )
        return ParquetSink(Path(into.removeprefix("file://")), legs_only=legs_only, resume=resume)
    if into is None:
        if resume:
            raise UsageError(
                "--resume needs --into: standard output cannot be resumed.",
                hint="Write to a file (--into calls.jsonl) or a database (--into sqlite:///cdr.db).",
            )
        import sys

        return StreamSink(out or sys.stdout, fmt, columns)
    if into.startswith("sqlite:///"):
        path = Path(into[len("sqlite:///") :])
        try:
            return SqliteSink(path, export_key, pbx=pbx, resume=resume, legs_only=legs_only)
        except (OSError, sqlite3.Error) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise UsageError(f"Cannot open the SQLite database {path}: {why}.") from None
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresSink

        return PostgresSink(
            into, export_key, pbx=pbx, resume=resume, legs_only=legs_only, password=password
        )
    if scheme and scheme != "file":
        raise UsageError(
            f"Cannot export into {scheme}:// yet.",
            hint="Use a file path, DIR.parquet, sqlite:///PATH or postgresql://USER@HOST/DB "
            "(docs/exports.md).",
        )
    path = Path(into[len("file://") :] if scheme == "file" else into)
    try:
        return FileSink(path, fmt, columns, resume=resume)
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from None
