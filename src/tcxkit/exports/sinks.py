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

Which sink ``--into`` names is decided in one place, :func:`parse_target` (the URL
schemes in :data:`SCHEMES`, the file endings that say a format in :data:`SUFFIX_FORMATS`);
a requested format the target contradicts is refused with the fix.  A fleet's rows on
standard output share one :class:`FleetStream` (one table, ``pbx`` its first column).

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
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from ..errors import OutputExistsError, UsageError
from ..private_files import open_private
from .calls import CALL_COLUMNS
from .legs import LEG_COLUMNS
from .statefile import WHAT, save_state
from .tables import TableSink

__all__ = [
    "SCHEMES",
    "SUFFIX_FORMATS",
    "FileSink",
    "FleetStream",
    "Sink",
    "SqliteSink",
    "StreamSink",
    "Target",
    "open_sink",
    "parse_target",
]


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
    """Standard output (or any text stream): written as it comes, never resumable; with
    ``pbx``, each row starts with that ``pbx`` column (see :class:`FleetStream`)."""

    def __init__(
        self,
        out: IO[str],
        fmt: str,
        columns: tuple[str, ...],
        *,
        pbx: str | None = None,
        header: bool = True,
    ):
        self.out, self.pbx = out, pbx
        self.form = _Formatter(fmt, columns)
        if header:
            self.out.write(self.form.header())

    def checkpoint(self) -> dict[str, Any] | None:
        return None

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self.pbx is not None:  # one of a fleet's PBXs on a shared stream
            rows = [{"pbx": self.pbx, **r} for r in rows]
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
        # Append mode: created 0600 if new, never truncated on open (a resumed run keeps
        # its checkpointed bytes; the truncate below drops only what came after them).
        self._fh = open_private(path, "ab", what=WHAT)
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
        open_private(path, "a", what=WHAT).close()  # 0600 first: its -wal/-shm copy the mode
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


#: ``--into`` URL schemes -> the kind of sink they open: the one list of them (the CLI
#: asks :func:`parse_target`, never a copy).  ``file://`` and a plain path are files.
SCHEMES: dict[str, str] = {
    "file": "file",
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
}
#: Sink kinds whose one target holds many PBXs' rows (told apart by their ``pbx`` column).
SHARED_KINDS = frozenset({"sqlite", "postgresql"})
#: File name endings that say the format; a contradicting ``-o`` is refused.
SUFFIX_FORMATS: dict[str, str] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}


@dataclass(frozen=True)
class Target:
    """Where ``--into`` points, and the format rows are written in there.

    ``kind``: ``stdout``, ``file``, ``parquet``, ``sqlite`` or ``postgresql``;
    ``location``: the path or URL (None for standard output); ``fmt``: ``jsonl``,
    ``csv`` or ``parquet`` (a database's is ``table``)."""

    kind: str
    fmt: str
    location: str | None = None

    @property
    def shared(self) -> bool:
        """One target for a whole fleet (a database with its ``pbx`` column)."""
        return self.kind in SHARED_KINDS

    @property
    def url(self) -> str:
        assert self.location is not None, "standard output has no location"
        return self.location

    @property
    def path(self) -> Path:
        return Path(self.url.removeprefix("file://"))


#: What ``--into`` accepts, for a refusal's fix.
_KNOWN = "a file path, DIR.parquet, sqlite:///PATH or postgresql://USER@HOST/DB"


def parse_target(into: str | None, fmt: str | None, default: str = "jsonl") -> Target:
    """The sink ``into`` names and the format to write, or why they contradict.

    ``fmt`` is what the user asked for (``-o``; None when not given); ``default`` applies
    when neither ``fmt`` nor a file's ending (``.csv``, ``.parquet``, ...) says one.  An
    explicit ``fmt`` that the target contradicts is refused with the fix, never guessed
    (``-o csv --into calls.parquet``; ``-o csv`` into a database)."""
    if into is None:
        chosen = fmt or default
        if chosen == "parquet":
            from .parquet import refuse_stdout

            raise refuse_stdout()
        return Target("stdout", chosen)
    scheme = into.partition("://")[0].lower() if "://" in into else ""
    kind = SCHEMES.get(scheme, "file") if scheme else "file"
    if scheme and scheme not in SCHEMES:
        raise UsageError(
            f"Cannot export into {scheme}:// yet.",
            hint=f"Use {_KNOWN} (docs/exports.md).",
        )
    if kind in SHARED_KINDS:
        if fmt == "parquet":
            raise UsageError(
                f"Parquet is written into a directory, not into {scheme}://.",
                hint="Add --into calls.parquet, or leave -o parquet out for a database.",
            )
        if fmt is not None:
            raise UsageError(
                f"-o {fmt} and --into {scheme}://... disagree: a database holds tables "
                "(calls, call_legs), not a text format.",
                hint=f"Leave -o out for the database, or export into a file (--into calls.{fmt}).",
            )
        if kind == "sqlite" and not into.startswith("sqlite:///"):
            raise UsageError(
                f"{into} is not a SQLite URL: it is sqlite:/// and then the file's path.",
                hint="e.g. --into sqlite:///cdr.db (relative) or sqlite:////srv/cdr.db.",
            )
        return Target(kind, "table", into)
    return _file_target(into, fmt, default)


def _file_target(into: str, fmt: str | None, default: str) -> Target:
    path = into.removeprefix("file://")
    implied = SUFFIX_FORMATS.get(Path(path).suffix.lower())
    if fmt is not None and implied is not None and fmt != implied:
        stem = Path(path).with_suffix("").name
        better = f"{stem}.parquet" if fmt == "parquet" else f"{stem}.{fmt}"
        raise UsageError(
            f"-o {fmt} and --into {path} disagree: the name says {implied}.",
            hint=f"Drop -o (the name's {Path(path).suffix} says {implied}), or name the "
            f"target for {fmt} (--into {better}).",
        )
    chosen = fmt or implied or default
    return Target("parquet" if chosen == "parquet" else "file", chosen, into)


def open_sink(
    into: str | None,
    *,
    fmt: str | None,
    legs_only: bool,
    resume: bool,
    export_key: str,
    pbx: str,
    out: IO[str] | None = None,
    default_fmt: str = "jsonl",
    password: str | None = None,
) -> Sink:
    """The sink ``into`` names (:func:`parse_target`): a file, ``DIR.parquet``,
    ``sqlite:///PATH``, ``postgresql://...``, or None for ``out`` (standard output).

    ``password``: PostgreSQL's, when it comes from a secret store rather than the
    environment (``PGPASSWORD``, ``~/.pgpass``); refused for any other sink."""
    target = parse_target(into, fmt, default_fmt)
    if password is not None and target.kind != "postgresql":
        raise UsageError("A password is only used with a postgresql:// target.")
    columns = LEG_COLUMNS if legs_only else CALL_COLUMNS
    if target.kind == "stdout":
        if resume:
            raise _no_resume()
        import sys

        return StreamSink(out or sys.stdout, target.fmt, columns)
    if target.kind == "parquet":
        from .parquet import ParquetSink

        return ParquetSink(target.path, legs_only=legs_only, resume=resume)
    if target.kind == "sqlite":
        path = Path(target.url[len("sqlite:///") :])
        try:
            return SqliteSink(path, export_key, pbx=pbx, resume=resume, legs_only=legs_only)
        except (OSError, sqlite3.Error) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise UsageError(f"Cannot open the SQLite database {path}: {why}.") from None
    if target.kind == "postgresql":
        from .postgres import PostgresSink

        return PostgresSink(
            target.url, export_key, pbx=pbx, resume=resume, legs_only=legs_only, password=password
        )
    try:
        return FileSink(target.path, target.fmt, columns, resume=resume)
    except OSError as exc:
        raise UsageError(f"Cannot write {target.path}: {exc.strerror or exc}.") from None


def _no_resume() -> UsageError:
    return UsageError(
        "--resume needs --into: standard output cannot be resumed.",
        hint="Write to a file (--into calls.jsonl) or a database (--into sqlite:///cdr.db).",
    )


class FleetStream:
    """Standard output shared by a fleet's PBXs: one table whose first column is ``pbx``.

    The header (CSV) is written once; :meth:`sink` gives each PBX a stream sink that adds
    its name to every row.  Windows are written whole, one at a time (one event loop), so
    PBXs' rows interleave by window, never inside a line."""

    def __init__(self, out: IO[str], target: Target, *, legs_only: bool, resume: bool):
        if resume:
            raise _no_resume()
        self.out, self.fmt = out, target.fmt
        self.columns = ("pbx", *(LEG_COLUMNS if legs_only else CALL_COLUMNS))
        self.out.write(_Formatter(self.fmt, self.columns).header())

    def sink(self, pbx: str) -> StreamSink:
        return StreamSink(self.out, self.fmt, self.columns, pbx=pbx, header=False)
