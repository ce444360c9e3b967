"""The SQLite database behind the emulator: one connection, one lock, table generations.

Why JSON documents: the PBX schema has hundreds of types whose shapes we take from the spec
at run time; a fixed relational schema per type would be code-generation sprawl.  Each
table is ``(k PRIMARY KEY, data TEXT)``; queries use ``json_extract`` (see
:mod:`.planner`), and declared ``indexes`` are SQLite expression indexes on exactly the
expressions the planner emits, so large sets (call history) stay fast.

One connection serves all threads, guarded by a re-entrant lock: the emulator's load is
small, and a single connection is the only way an in-memory database can be shared.
Each table has a *generation*, moved by every write while the writer holds that lock;
the caches of :mod:`.rowcache` and :mod:`..seek` are tagged with it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..odata import IDENTIFIER
from .entityset import EntitySet, KeyType
from .errors import StoreError

__all__ = ["FRAGMENT_CACHE_ROWS", "Store"]

#: Encoded rows one set handle keeps for :meth:`EntitySet.query` with ``encoded=True``
#: (about 1 kB each: 20 MB at most for the call log).
FRAGMENT_CACHE_ROWS = 20_000


class Store:
    """A SQLite database holding the emulator's entity sets.

    ``path=None`` keeps everything in memory; a file path uses WAL mode and survives a
    restart.  Every statement runs under one lock; :meth:`transaction` holds it across a
    group of statements so they commit or roll back together.
    """

    def __init__(self, path: str | None = None, *, cache_rows: int = FRAGMENT_CACHE_ROWS) -> None:
        self.path = path
        self.cache_rows = cache_rows  # encoded rows each set handle may keep (0: none)
        self._lock = threading.RLock()
        self._depth = 0
        # A short busy timeout: only this connection ever uses the file (see _lock_file),
        # so "busy" can only mean another emulator holds it, and waiting will not help.
        self._conn = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None, timeout=0.2
        )
        if path:
            self._lock_file(path)
        self._sets: dict[str, EntitySet] = {}
        self._writes: dict[str, int] = {}

    def _lock_file(self, path: str) -> None:
        """Hold an exclusive lock on the database file for as long as the store is open.

        Two emulators on one file would each number DNs from their own view and hand out
        the same extension twice, so the second one refuses to start instead.  SQLite's
        exclusive locking mode takes the lock with the first write and keeps it until the
        connection closes (released by the OS if the process dies); WAL then runs without
        shared memory, as only this connection uses the file.
        """
        conn = self._conn
        try:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" not in str(exc):
                raise
            from ...errors import ConfigurationError

            raise ConfigurationError(
                f"The emulator database {path} is in use by another emulator.",
                hint="Stop the other emulator first, or give this one its own --db file.",
            ) from None

    # plumbing ----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run the enclosed statements atomically; nested uses become savepoints."""
        with self._lock:
            depth = self._depth
            if depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            else:
                self._conn.execute(f"SAVEPOINT sp{depth}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO sp{depth}")
                    self._conn.execute(f"RELEASE sp{depth}")
                raise
            self._depth -= 1
            self._conn.execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement under the lock and return all rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def changes(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one writing statement under the lock and return how many rows it changed."""
        with self._lock:
            return self._conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._lock:
            self._conn.executemany(sql, rows)

    @contextmanager
    def writing(self, table: str) -> Iterator[Store]:
        """A transaction that writes ``table``; its generation moves before the lock is freed.

        The move happens under the lock, after the write's statements (whether they
        commit or roll back): no reader, which reads holding the same lock, can see the
        pre-write rows with the post-write generation, or the reverse.
        """
        with self._lock:
            try:
                with self.transaction():
                    yield self
            finally:
                self._writes[table] = self._writes.get(table, 0) + 1

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Hold the store's lock across several statements that only read.

        Statements and :meth:`writes` taken inside describe one state of the database.
        """
        with self._lock:
            yield self

    def writes(self, table: str) -> int:
        """The generation of ``table``: how many writes it has had.

        Read it inside :meth:`locked` together with the rows it is to tag.
        """
        return self._writes.get(table, 0)

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # sets ----------------------------------------------------------------------------
    def entity_set(
        self,
        name: str,
        *,
        key: str = "Id",
        key_type: KeyType = "int",
        type_name: str | None = None,
        properties: set[str] | frozenset[str] | None = None,
        nav_props: set[str] | frozenset[str] = frozenset(),
        datetime_props: set[str] | frozenset[str] = frozenset(),
        indexes: Sequence[str] = (),
        nav_lists: set[str] | frozenset[str] = frozenset(),
        key_max: int | None = None,
    ) -> EntitySet:
        """Open (creating if needed) the table for entity set ``name`` and return its handle.

        ``key_max`` bounds an integer key (2 147 483 647 for an ``Edm.Int32`` key): a key
        beyond it is refused, and so is assigning one when the sequence is used up.
        """
        if not IDENTIFIER.match(name):
            raise StoreError(f"'{name}' is not a valid entity set name (letters, digits, '_').")
        if not IDENTIFIER.match(key):
            raise StoreError(f"'{key}' is not a valid key property name.")
        if key_type not in ("int", "str", "uuid"):
            raise StoreError(f"key_type must be 'int', 'str' or 'uuid', not '{key_type}'.")
        entity_set = EntitySet(
            self,
            name,
            key=key,
            key_type=key_type,
            type_name=type_name or f"Pbx.{name}",
            properties=frozenset(properties) if properties is not None else None,
            nav_props=frozenset(nav_props),
            datetime_props=frozenset(datetime_props),
            nav_lists=frozenset(nav_lists),
            key_max=key_max,
        )
        column = (
            "k INTEGER PRIMARY KEY AUTOINCREMENT" if key_type == "int" else "k TEXT PRIMARY KEY"
        )
        with self.transaction():
            self._conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{entity_set.table}" ({column}, data TEXT NOT NULL)'
            )
            for prop in indexes:
                expr = entity_set.column(prop)
                index = f"ix_{name}_{prop.replace('/', '__')}"
                self._conn.execute(
                    f'CREATE INDEX IF NOT EXISTS "{index}" ON "{entity_set.table}" ({expr})'
                )
        self._sets[name] = entity_set
        return entity_set

    def __getitem__(self, name: str) -> EntitySet:
        return self._sets[name]
