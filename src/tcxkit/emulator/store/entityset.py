"""CRUD and OData queries over one entity set: the part of the store that touches rows.

An :class:`EntitySet` is a handle on one table of the :class:`~.db.Store`.  Writes go
through :meth:`.db.Store.writing` (one transaction, the table's generation moved under
the lock).  An OData query is planned by the pure :class:`~.planner.QueryPlanner` and
fetched by the set's :class:`~.reader.Reader` (seek paging, and the generation-tagged
caches of :mod:`.rowcache`); the simple reads here (``get``, ``find``, ``count``) run
their one statement directly.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ..odata import QueryOptions, normalize_datetime, project, validate_options
from . import codec
from .errors import DuplicateKeyError, EntityNotFoundError, StoreError
from .planner import QueryPlanner, Where
from .reader import QueryResult, Reader

if TYPE_CHECKING:
    from .db import Store

__all__ = ["EntitySet", "KeyType", "QueryResult"]

KeyType = Literal["int", "str", "uuid"]


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
        self.planner = QueryPlanner(key)
        self.reader = Reader(self)
        #: Edm type of each property (``Edm.String``...), when the release declares them:
        #: filters are then bound as the PBX binds them (see ``odata.types``).
        self.property_types: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"EntitySet({self.name!r}, key={self.key!r}, key_type={self.key_type!r})"

    # helpers -------------------------------------------------------------------------
    def column(self, path: str) -> str:
        """SQL for a property: the primary-key column for the key, else a JSON path."""
        return self.planner.column(path)

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
        """SQL clauses (to be AND-ed) and parameters for ``(property, op, value)`` triples.

        For callers writing their own SELECT (report aggregates); see
        :meth:`.planner.QueryPlanner.conditions`.
        """
        return self.planner.conditions(where)

    # writes --------------------------------------------------------------------------
    def insert(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store a new entity, assigning its key when absent; returns the stored entity."""
        with self.store.writing(self.table):
            needs_id = self.key_type == "int" and entity.get(self.key) is None
            data = self._prepare(entity, self.next_key() if needs_id else None)
            try:
                self.store.execute(
                    f'INSERT INTO "{self.table}" (k, data) VALUES (?, ?)',
                    (data[self.key], codec.dumps(data)),
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
                    ((data[self.key], codec.dumps(data)) for data in prepared),
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
                    ((row[key], codec.dumps(row)) for row in rows),
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
                (codec.dumps(merged), merged[self.key]),
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
                f'UPDATE "{self.table}" SET data = ? WHERE k = ?',
                (codec.dumps(data), data[self.key]),
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
            validate_options(
                options,
                self.properties | self.nav_props | {self.key},
                self.type_name,
                self.property_types,
            )

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
        return codec.loads(rows[0][0]) if rows else None

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
        return [codec.loads(row[0]) for row in self.store.execute(sql, [*params, limit])]

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
        """Answer an OData request over this set (see :meth:`.reader.Reader.query`)."""
        self.check(options)
        plan = self.planner.plan(options, where=where, order=order, max_top=max_top)
        return self.reader.query(plan, options, hide=hide, encoded=encoded)
