"""SQLite entity store for the emulator: one table of JSON documents per entity set.

Why JSON documents: the PBX schema has hundreds of types whose shapes we take from the spec
at run time; a fixed relational schema per type would be code-generation sprawl.  Each
table is ``(k PRIMARY KEY, data TEXT)``; queries use ``json_extract`` and the OData compiler
in :mod:`tcxkit.emulator.odata`, and declared ``indexes`` are SQLite expression indexes on
exactly the expressions that compiler emits, so large sets (call history) stay fast.

One connection serves all threads, guarded by a re-entrant lock: the emulator's load is
small, and a single connection is the only way an in-memory database can be shared.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from tcxkit.emulator.odata import (
    IDENTIFIER,
    ODataQueryError,
    QueryOptions,
    compile_filter,
    compile_orderby,
    condition,
    json_column,
    normalize_datetime,
    project,
    validate_options,
)
from tcxkit.emulator.seek import SeekPager

__all__ = [
    "DuplicateKeyError",
    "EntityNotFoundError",
    "EntitySet",
    "QueryResult",
    "Store",
    "StoreError",
]

KeyType = Literal["int", "str", "uuid"]
#: Encoded rows one set handle keeps for :meth:`EntitySet.query` with ``encoded=True``
#: (about 1 kB each: 20 MB at most for the call log).
FRAGMENT_CACHE_ROWS = 20_000
Where = Sequence[tuple[str, str, Any]]


class StoreError(Exception):
    """A write the store cannot perform (bad key, key change, ...)."""


class DuplicateKeyError(StoreError):
    """An insert used a key that already exists."""


class EntityNotFoundError(StoreError):
    """An update or replace named a key that does not exist."""


@dataclass
class QueryResult:
    """One page of a query: projected ``items`` and the total ``count`` when $count=true."""

    items: list[dict[str, Any]]
    count: int | None = None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return normalize_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"value of type {type(value).__name__} cannot be stored as JSON")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default)

try:  # orjson encodes and decodes several times faster; the stdlib is the fallback
    import orjson

    _loads: Callable[[str], Any] = orjson.loads
    _Fragment: Callable[[bytes], Any] | None = orjson.Fragment
    _PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME  # date-times go through _json_default

    def _dumps(entity: Mapping[str, Any]) -> str:
        try:
            return orjson.dumps(entity, default=_json_default, option=_PASSTHROUGH).decode()
        except TypeError:  # e.g. an integer beyond 64 bits: the stdlib copes
            return _ENCODER.encode(entity)

except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads
    _Fragment = None

    def _dumps(entity: Mapping[str, Any]) -> str:
        return _ENCODER.encode(entity)


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
            from ..errors import ConfigurationError

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
        """A transaction that writes ``table``: its generation moves before and after.

        Before, so a cache filled from now on is not taken as current; after (the lock
        still held by the writer or its transaction), so a cache filled by another thread
        just before the write's statement cannot pass for the new state either.
        """
        self.wrote(table)
        try:
            with self.transaction():
                yield self
        finally:
            self.wrote(table)

    @contextmanager
    def locked(self) -> Iterator[Store]:
        """Hold the store's lock across several statements that only read."""
        with self._lock:
            yield self

    def wrote(self, table: str) -> None:
        """Note a write to ``table`` (drops every handle's encoded rows for it)."""
        self._writes[table] = self._writes.get(table, 0) + 1

    def writes(self, table: str) -> int:
        """How many writes ``table`` has had (a cache generation)."""
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


class EntitySet:
    """CRUD and OData queries over one entity set (create it with :meth:`Store.entity_set`)."""

    def __init__(
        self,
        store: Store,
        name: str,
        *,
        key: str,
        key_type: KeyType,
        type_name: str,
        properties: frozenset[str] | None,
        nav_props: frozenset[str],
        datetime_props: frozenset[str],
        nav_lists: frozenset[str] = frozenset(),
        key_max: int | None = None,
    ) -> None:
        self.store = store
        self.key_max = key_max
        self.name = name
        self.table = f"set_{name}"
        self.key = key
        self.key_type = key_type
        self.type_name = type_name
        self.properties = properties
        self.nav_props = nav_props
        self.nav_lists = nav_lists
        self.datetime_props = datetime_props
        self._encoded: dict[Any, Any] = {}
        self._encoded_for: tuple[int, frozenset[str]] = (-1, frozenset())
        self._counts: dict[tuple[str, tuple[Any, ...]], int] = {}
        self._pager = SeekPager(store, self.table)
        self._counted_at = -1

    def __repr__(self) -> str:
        return f"EntitySet({self.name!r}, key={self.key!r}, key_type={self.key_type!r})"

    # helpers -------------------------------------------------------------------------
    def column(self, path: str) -> str:
        """SQL for a property: the primary-key column for the key, else a JSON path."""
        return "k" if path == self.key else json_column(path)

    def _coerce_key(self, value: Any) -> Any:
        """Check and convert a key value to the column's type (say what is wrong if not)."""
        if self.key_type == "int":
            if isinstance(value, bool):
                raise StoreError(f"{self.name} key {self.key} must be an integer, not {value!r}.")
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise StoreError(
                    f"{self.name} key {self.key} must be an integer, not {value!r}."
                ) from None
            if self.key_max is not None and not -self.key_max - 1 <= number <= self.key_max:
                raise StoreError(
                    f"{self.name} key {self.key} {number} is outside its type's range "
                    f"({-self.key_max - 1}..{self.key_max})."
                )
            return number
        if self.key_type == "uuid":
            try:
                return str(uuid.UUID(str(value)))
            except ValueError:
                raise StoreError(
                    f"{self.name} key {self.key} must be a GUID, not {value!r}."
                ) from None
        if not isinstance(value, str) or not value:
            raise StoreError(
                f"{self.name} key {self.key} must be a non-empty string, not {value!r}."
            )
        return value

    def _normalise(self, entity: dict[str, Any]) -> dict[str, Any]:
        for prop in self.datetime_props:
            value = entity.get(prop)
            if isinstance(value, str | datetime):
                # Text that is no date-time is kept as is: validation is the caller's job.
                with contextlib.suppress(ValueError):
                    entity[prop] = normalize_datetime(value)
        return entity

    def next_key(self) -> int:
        """The next integer key: one above the highest key this table has ever held.

        ``AUTOINCREMENT`` keeps that high-water mark in ``sqlite_sequence``, which
        survives deletes and restarts, so a key is never handed out twice: an automation
        that cached an Id can never reach a different entity with it, as with the
        sequences of a PBX's database.
        """
        rows = self.store.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),"
            f' coalesce((SELECT max(k) FROM "{self.table}"), 0))',
            (self.table,),
        )
        key = int(rows[0][0]) + 1
        if self.key_max is not None and key > self.key_max:
            raise StoreError(f"{self.name}: every key up to {self.key_max} has been used.")
        return key

    def _prepare(self, entity: Mapping[str, Any], next_id: int | None) -> dict[str, Any]:
        """Copy ``entity``, assign or check its key (placed first), normalise date-times."""
        data = dict(entity)
        raw = data.pop(self.key, None)
        if raw is None:
            if self.key_type == "int":
                if next_id is None:
                    raise StoreError(f"{self.name}: no key to assign")  # internal misuse
                raw = next_id
            elif self.key_type == "uuid":
                raw = str(uuid.uuid4())
            else:
                raise StoreError(
                    f"A new {self.type_name} needs its key '{self.key}' (a non-empty string)."
                )
        return self._normalise({self.key: self._coerce_key(raw), **data})

    def _duplicate(self, key: Any) -> DuplicateKeyError:
        return DuplicateKeyError(f"A {self.type_name} with {self.key} {key!r} already exists.")

    def where_sql(self, where: Where) -> tuple[list[str], list[Any]]:
        """SQL clauses (to be AND-ed) and their parameters for programmatic conditions.

        ``where`` is ``(property, operator, value)`` triples with OData operators
        (``eq``, ``ge``, ...); the clauses use the same expressions as the declared
        indexes, so callers writing their own SELECT (report aggregates) stay index-served.
        """
        clauses: list[str] = []
        params: list[Any] = []
        for prop, op, value in where:
            try:
                node = condition(prop, op, value)
            except ValueError as exc:
                raise ODataQueryError(f"Invalid condition on '{prop}': {exc}.") from None
            sql, sql_params = compile_filter(node, self.column)
            clauses.append(sql)
            params.extend(sql_params)
        return clauses, params

    # writes --------------------------------------------------------------------------
    def insert(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store a new entity, assigning its key when absent; returns the stored entity."""
        with self.store.writing(self.table):
            needs_id = self.key_type == "int" and entity.get(self.key) is None
            data = self._prepare(entity, self.next_key() if needs_id else None)
            try:
                self.store.execute(
                    f'INSERT INTO "{self.table}" (k, data) VALUES (?, ?)',
                    (data[self.key], _dumps(data)),
                )
            except sqlite3.IntegrityError:
                raise self._duplicate(data[self.key]) from None
        return data

    def insert_many(self, entities: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Bulk insert in one transaction with ``executemany`` (loads 100 000 rows in ~1 s)."""
        with self.store.writing(self.table):
            next_id = self.next_key() if self.key_type == "int" else None
            prepared: list[dict[str, Any]] = []
            for entity in entities:
                if next_id is not None and entity.get(self.key) is None:
                    data = self._prepare(entity, next_id)
                    next_id += 1
                else:
                    data = self._prepare(entity, None)
                    if next_id is not None:
                        next_id = max(next_id, data[self.key] + 1)
                prepared.append(data)
            try:
                self.store.executemany(
                    f'INSERT INTO "{self.table}" (k, data) VALUES (?, ?)',
                    ((data[self.key], _dumps(data)) for data in prepared),
                )
            except sqlite3.IntegrityError as exc:
                raise DuplicateKeyError(
                    f"Bulk insert into {self.name} failed: a key is used twice or already "
                    f"exists ({exc})."
                ) from None
        return prepared

    def insert_raw(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Bulk-load complete rows as they are: keys present, date-times already normal.

        Skips :meth:`insert_many`'s per-row copy and checks, for generated data sets
        (100 000 call-log segments) whose rows are known to be well formed.
        """
        key = self.key
        with self.store.writing(self.table):
            try:
                self.store.executemany(
                    f'INSERT INTO "{self.table}" (k, data) VALUES (?, ?)',
                    ((row[key], _dumps(row)) for row in rows),
                )
            except sqlite3.IntegrityError as exc:
                raise DuplicateKeyError(
                    f"Bulk insert into {self.name} failed: a key is used twice or already "
                    f"exists ({exc})."
                ) from None

    def update(self, key: Any, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Shallow-merge ``patch`` into an entity (arrays are replaced whole, like a PBX PATCH)."""
        with self.store.writing(self.table):
            current = self.get(key)
            if current is None:
                raise self._missing(key)
            new_key = patch.get(self.key)
            if new_key is not None and self._coerce_key(new_key) != current[self.key]:
                raise StoreError(
                    f"The key {self.key} of a {self.type_name} cannot be changed "
                    f"({current[self.key]!r} -> {patch[self.key]!r})."
                )
            merged = self._normalise({**current, **patch, self.key: current[self.key]})
            self.store.execute(
                f'UPDATE "{self.table}" SET data = ? WHERE k = ?',
                (_dumps(merged), merged[self.key]),
            )
        return merged

    def replace(self, key: Any, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Replace an entity whole (the key stays the same)."""
        with self.store.writing(self.table):
            current = self.get(key)
            if current is None:
                raise self._missing(key)
            if (
                entity.get(self.key) is not None
                and self._coerce_key(entity[self.key]) != current[self.key]
            ):
                raise StoreError(
                    f"The key {self.key} of a {self.type_name} cannot be changed "
                    f"({current[self.key]!r} -> {entity[self.key]!r})."
                )
            data = self._normalise({self.key: current[self.key], **dict(entity)})
            data[self.key] = current[self.key]
            self.store.execute(
                f'UPDATE "{self.table}" SET data = ? WHERE k = ?', (_dumps(data), data[self.key])
            )
        return data

    def delete(self, key: Any) -> bool:
        """Delete an entity; False when there was none with that key."""
        try:
            k = self._coerce_key(key)
        except StoreError:
            return False
        with self.store.writing(self.table):
            return self.store.changes(f'DELETE FROM "{self.table}" WHERE k = ?', (k,)) > 0

    def _missing(self, key: Any) -> EntityNotFoundError:
        return EntityNotFoundError(f"No {self.type_name} with {self.key} {key!r} exists.")

    # reads ---------------------------------------------------------------------------
    def check(self, options: QueryOptions) -> None:
        """400 for options naming a property this set's type lacks (list and single reads)."""
        if self.properties is not None:
            validate_options(options, self.properties | self.nav_props | {self.key}, self.type_name)

    def shape(self, row: dict[str, Any], options: QueryOptions) -> dict[str, Any]:
        """One row as a response shows it (``$select``/``$expand`` applied).

        An expanded collection navigation property the row has never stored (a new queue's
        ``Managers``) is an empty list, as OData requires, not an absent key: clients
        that expand a link may index it without checking for it first.
        """
        if options.expand and self.nav_lists:
            names = self.nav_lists if "*" in options.expand else options.expand.keys()
            missing = [n for n in names if n in self.nav_lists and n not in row]
            if missing:
                row = {**row, **{n: [] for n in missing}}
        return project(row, options, self.nav_props)

    def get(self, key: Any) -> dict[str, Any] | None:
        """The entity with this key, or None (also None for a key of the wrong type)."""
        try:
            k = self._coerce_key(key)
        except StoreError:
            return None
        rows = self.store.execute(f'SELECT data FROM "{self.table}" WHERE k = ?', (k,))
        return _loads(rows[0][0]) if rows else None

    def find(self, **equals: Any) -> list[dict[str, Any]]:
        """Entities whose properties equal the given values (by key order)."""
        return self._select([(prop, "eq", value) for prop, value in equals.items()])

    def find_one(self, **equals: Any) -> dict[str, Any] | None:
        """The first entity (by key) matching ``equals``, or None."""
        found = self._select([(prop, "eq", value) for prop, value in equals.items()], limit=1)
        return found[0] if found else None

    def _select(self, where: Where, limit: int = -1) -> list[dict[str, Any]]:
        clauses, params = self.where_sql(where)
        sql = f'SELECT data FROM "{self.table}"'
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY k LIMIT ?"
        return [_loads(row[0]) for row in self.store.execute(sql, [*params, limit])]

    def all(self) -> list[dict[str, Any]]:
        """Every entity, by key."""
        return self._select(())

    def count(self, where: Where | None = None) -> int:
        """How many entities match ``where`` (all when None)."""
        clauses, params = self.where_sql(where or ())
        sql = f'SELECT count(*) FROM "{self.table}"'
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return int(self.store.execute(sql, params)[0][0])

    def __len__(self) -> int:
        return self.count()

    def query(
        self,
        options: QueryOptions,
        *,
        where: Where = (),
        max_top: int | None = None,
        order: Sequence[str] = (),
        hide: frozenset[str] = frozenset(),
        encoded: bool = False,
    ) -> QueryResult:
        """Answer an OData request over this set.

        ``where`` adds programmatic conditions (same operators as OData).  ``max_top`` is a
        silent server-side cap on the page size (report functions cap at 20 000 rows); the
        *rejection* of a too-large ``$top`` on ordinary sets happens in ``parse_query``.

        Without ``$orderby`` rows come in ``order`` (property names, ascending), then by
        key; ``order`` should name an indexed property, so the index returns the rows
        already sorted and ``LIMIT`` stops early instead of sorting the whole match (the
        call log orders by ``StartTime``).  ``$orderby`` ties are broken by key in the
        direction of the last ``$orderby`` item, so one expression index serves it too.

        Rows are fetched in two steps: the page's keys first (the sort carries keys, not
        JSON payloads), then only those payloads; the keys come from a
        :class:`~.seek.SeekPager`, which starts a deep page from a remembered sort key
        instead of skipping rows where it can (same rows as ``OFFSET``).  ``hide`` names stored fields this
        handle's type does not declare (a table shared by two typed views): they are
        dropped from each row before shaping.

        ``encoded=True`` is for answers sent as they are: without ``$select`` and
        ``$expand`` (and with orjson installed) the items are pre-encoded JSON fragments
        from a per-handle cache (see :meth:`_encoded_rows`), not dicts.
        """
        self.check(options)
        clauses, params = self.where_sql(where)
        if options.filter is not None:
            sql, sql_params = compile_filter(options.filter, self.column)
            clauses.append(sql)
            params.extend(sql_params)
        if options.search:
            term = options.search.strip().strip('"')
            clauses.append(
                "EXISTS (SELECT 1 FROM json_tree(data) AS t WHERE t.type = 'text'"
                " AND instr(lower(t.value), lower(?)) > 0)"
            )
            params.append(term)
        where_sql = " WHERE " + " AND ".join(clauses) if clauses else ""

        order_items, order_params = self._order(options, order)
        limit = -1 if options.top is None else options.top
        if max_top is not None:
            limit = max_top if limit < 0 else min(limit, max_top)
        try:
            with self.store.locked():  # a page and the anchors noted from it: one state
                keys = self._pager.keys(
                    clauses, params, order_items, order_params, limit, options.skip
                )
            total = self._count_where(where_sql, params) if options.count else None
        except sqlite3.OperationalError as exc:
            raise ODataQueryError(f"The query cannot be evaluated: {exc}.") from None
        except OverflowError:  # a number beyond SQLite's 64 bits ($skip=2**63, a literal)
            raise ODataQueryError(
                "A number in the query is outside the 64-bit integer range."
            ) from None
        if encoded and _Fragment is not None and not options.select and not options.expand:
            return QueryResult(self._encoded_rows(keys, hide), total)
        items = []
        for data in self._payloads(keys):
            row = _loads(data)
            for name in hide:
                row.pop(name, None)
            items.append(self.shape(row, options))
        return QueryResult(items, total)

    def _order(
        self, options: QueryOptions, order: Sequence[str]
    ) -> tuple[list[tuple[str, bool]], list[Any]]:
        """ORDER BY items ``(SQL, descending)`` ending with the key, and their parameters.

        Without ``$orderby``: ``order`` ascending, then the key.  With it, ties are broken
        by key in the direction of the last item, so one expression index serves it.
        """
        if not options.orderby:
            return [*((self.column(p), False) for p in order), ("k", False)], []
        items: list[tuple[str, bool]] = []
        params: list[Any] = []
        for item in options.orderby:
            sql, item_params = compile_orderby([item], self.column)
            items.append((sql.rsplit(" ", 1)[0], item.descending))
            params.extend(item_params)
        items.append(("k", options.orderby[-1].descending))
        return items, params

    def _count_where(self, where_sql: str, params: list[Any]) -> int:
        """``count(*)`` for a WHERE clause, remembered until the table is next written.

        The count walks the index over the whole match (25 000 rows for a week of a busy
        call log, about 2 ms), while the page itself reads only its rows; clients that
        page with ``$count=true`` ask the same count again for every page.
        """
        writes = self.store.writes(self.table)
        if self._counted_at != writes:
            self._counts.clear()
            self._counted_at = writes
        key = (where_sql, tuple(params))
        total = self._counts.get(key)
        if total is None:
            sql = f'SELECT count(*) FROM "{self.table}"{where_sql}'
            total = int(self.store.execute(sql, params)[0][0])
            if len(self._counts) >= 256:
                self._counts.clear()
            self._counts[key] = total
        return total

    def _encoded_rows(self, keys: list[Any], hide: frozenset[str]) -> list[Any]:
        """Rows of ``keys`` as ready-encoded JSON (``orjson.Fragment``), cached per key.

        A row shaped for a response (hidden fields and navigation properties dropped) is
        encoded once and reused until the table is next written to: repeated report
        pages then cost a key lookup per row instead of a JSON decode and encode.  Any
        write to the table (through any handle) empties the cache, so it is never stale.
        """
        assert _Fragment is not None
        stamp = (self.store.writes(self.table), hide)
        if self._encoded_for != stamp:
            self._encoded.clear()
            self._encoded_for = stamp
        cache = self._encoded
        found = {k: cache[k] for k in keys if k in cache}
        missing = [k for k in keys if k not in found]
        if missing:
            drop = hide | self.nav_props
            limit = self.store.cache_rows
            for k, data in self._payload_map(missing).items():
                row = _loads(data)
                for name in drop:
                    row.pop(name, None)
                found[k] = _Fragment(orjson.dumps(row))
                if limit > 0:
                    if len(cache) >= limit:
                        del cache[next(iter(cache))]  # oldest first
                    cache[k] = found[k]
        return [found[k] for k in keys if k in found]

    def _payloads(self, keys: list[Any]) -> list[str]:
        """The JSON payloads of ``keys``, in that order (keys that no longer exist left out)."""
        found = self._payload_map(keys)
        return [found[k] for k in keys if k in found]

    def _payload_map(self, keys: list[Any]) -> dict[Any, str]:
        """Key to JSON payload for ``keys`` (chunked under SQLite's variable limit)."""
        found: dict[Any, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.store.execute(
                    f'SELECT k, data FROM "{self.table}" WHERE k IN ({marks})', chunk
                )
            )
        return found
