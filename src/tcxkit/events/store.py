"""Durable cursors: where each source stopped, and the events not yet delivered.

A poll's events and its source's next state are committed in **one transaction**
(:meth:`CursorStore.commit`), into an outbox ordered by a sequence number; a consumer
(the JSONL printer, the webhook relay) reads the outbox after its own position and moves
the position only past what it delivered (:meth:`CursorStore.ack`).  So:

* a crash before the commit loses nothing -- the next poll sees the same change again
  (same PBX data, same id);
* a crash after the commit and before delivery loses nothing -- the event waits in the
  outbox;
* a crash after delivery and before the ack re-delivers that event, with the same id and
  body: delivery is at least once, exactly once for a consumer that dedupes by ``id``;
* an id already in the outbox is never recorded twice (``UNIQUE(pbx, id)``).

:class:`CursorStore` is the protocol (implement it to keep cursors in your scheduler's
database, as with ``auth.TokenStore``); :class:`SqliteCursorStore` is the default, a
0600 file (it holds call data: numbers and names) refused when others could change it
(:func:`tcxkit.private_files.check_private`), or ``:memory:`` for a run that need not
survive a restart.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import UsageError
from ..private_files import check_private, open_private
from ..redaction import redact
from .model import Event

__all__ = ["KEEP", "CursorStore", "SqliteCursorStore"]

#: Delivered events kept per PBX after their ack (their ids still dedupe re-detections).
KEEP = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    pbx TEXT NOT NULL, source TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (pbx, source));
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, pbx TEXT NOT NULL, id TEXT NOT NULL,
    body TEXT NOT NULL, UNIQUE (pbx, id));
CREATE TABLE IF NOT EXISTS positions (
    consumer TEXT NOT NULL, pbx TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (consumer, pbx));
"""


class CursorStore(Protocol):
    """Sources' states and the outbox, per PBX (see the module docstring)."""

    def load(self, pbx: str, source: str) -> dict[str, Any] | None:
        """The source's committed state, None before its first poll."""

    def commit(self, pbx: str, source: str, state: dict[str, Any], events: Sequence[Event]) -> int:
        """Record ``events`` and ``state`` atomically; returns how many events were new."""

    def pending(self, consumer: str, pbx: str, limit: int = 100) -> list[tuple[int, Event]]:
        """Events after ``consumer``'s position for ``pbx``, oldest first, with their seq."""

    def ack(self, consumer: str, pbx: str, seq: int) -> None:
        """``consumer`` is done with every event of ``pbx`` up to ``seq``."""


def _body(event: Event) -> str:
    """The stored body, through the one redaction (:func:`tcxkit.redaction.redact`): every
    consumer -- JSON lines, webhooks, the dead-letter file, MCP, Airflow -- reads the outbox,
    so a secret-named field a source picks up is masked once, here, for all of them."""
    return json.dumps(redact(event.to_dict()), ensure_ascii=False)


def _hold(file: Path) -> Any:
    """An exclusive lock on ``file`` for this process (released by the OS if it dies)."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(file) + ".lock", thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise UsageError(
            f"Another process is using the event cursor store {file}.",
            hint="Stop it first, or give this run its own --cursor FILE.",
        ) from None
    return lock


class SqliteCursorStore:
    """The default store: one SQLite file (WAL), safe for threads of one process."""

    def __init__(
        self, path: str | os.PathLike[str] = ":memory:", *, exclusive: bool = False
    ) -> None:
        """``exclusive``: refuse (:class:`~tcxkit.errors.UsageError`) while another process
        holds the file so (two relays on one cursor would send everything twice)."""
        self.path = str(path)
        self._file_lock: Any = None
        if self.path != ":memory:":
            file = Path(self.path)
            file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not file.exists():
                open_private(file, "ab", what="event cursor store").close()
            check_private(file, "event cursor store", secret=True, why="it holds call data")
            if exclusive:
                self._file_lock = _hold(file)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA busy_timeout = 10000")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if self._file_lock is not None:
            self._file_lock.release()

    def __enter__(self) -> SqliteCursorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, pbx: str, source: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM cursors WHERE pbx = ? AND source = ?", (pbx, source)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def commit(self, pbx: str, source: str, state: dict[str, Any], events: Sequence[Event]) -> int:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                before = db.total_changes
                db.executemany(
                    "INSERT OR IGNORE INTO outbox (pbx, id, body) VALUES (?, ?, ?)",
                    [(pbx, e.id, _body(e)) for e in events],
                )
                added = db.total_changes - before
                db.execute(
                    "INSERT INTO cursors (pbx, source, state) VALUES (?, ?, ?) "
                    "ON CONFLICT (pbx, source) DO UPDATE SET state = excluded.state",
                    (pbx, source, json.dumps(state)),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return added

    def pending(self, consumer: str, pbx: str, limit: int = 100) -> list[tuple[int, Event]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, body FROM outbox WHERE pbx = ? AND seq > coalesce("
                "(SELECT seq FROM positions WHERE consumer = ? AND pbx = ?), 0) "
                "ORDER BY seq LIMIT ?",
                (pbx, consumer, pbx, limit),
            ).fetchall()
        return [(seq, Event.from_dict(json.loads(body))) for seq, body in rows]

    def forget(self, pbx: str, seqs: Sequence[int]) -> None:
        """Drop these events of ``pbx`` from the outbox, delivered or not (a consumer that
        never acks -- MCP's in-memory feed -- bounds its store so)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "DELETE FROM outbox WHERE pbx = ? AND seq = ?", [(pbx, s) for s in seqs]
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def ack(self, consumer: str, pbx: str, seq: int) -> None:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT INTO positions (consumer, pbx, seq) VALUES (?, ?, ?) ON CONFLICT "
                    "(consumer, pbx) DO UPDATE SET seq = max(seq, excluded.seq)",
                    (consumer, pbx, seq),
                )
                low = db.execute("SELECT min(seq) FROM positions WHERE pbx = ?", (pbx,)).fetchone()[
                    0
                ]
                db.execute(
                    "DELETE FROM outbox WHERE pbx = ? AND seq <= ? AND seq <= "
                    "(SELECT max(seq) FROM outbox WHERE pbx = ?) - ?",
                    (pbx, low, pbx, KEEP),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
