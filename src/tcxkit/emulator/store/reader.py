"""Running a query plan: the page's keys, its count and its rows, with their caches.

A :class:`Reader` belongs to one :class:`~.entityset.EntitySet`.  It fetches what the
pure :mod:`.planner` wrote: keys through a :class:`~..seek.SeekPager` (deep pages seek
from remembered sort keys), then only those rows' payloads.  ``$count`` totals and the
encoded rows of answers sent as they are come from :class:`~.rowcache.GenerationCache`
caches tagged with the table generation read in the same locked section as the rows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..odata import ODataQueryError, QueryOptions
from ..seek import SeekPager
from . import codec
from .planner import Plan
from .rowcache import GenerationCache

if TYPE_CHECKING:
    from .entityset import EntitySet

__all__ = ["COUNT_CACHE_SIZE", "QueryResult", "Reader"]

#: Distinct ``$count`` totals remembered per set handle and generation.
COUNT_CACHE_SIZE = 256


@dataclass
class QueryResult:
    """One page of a query: projected ``items`` and the total ``count`` when $count=true."""

    items: list[dict[str, Any]]
    count: int | None = None


class Reader:
    """Fetches plans over one entity set's table (see the module docstring)."""

    def __init__(self, entity_set: EntitySet) -> None:
        self.entity_set = entity_set
        self.store = entity_set.store
        self.table = entity_set.table
        self.pager = SeekPager(self.store, self.table)
        self._counts: GenerationCache[tuple[str, tuple[Any, ...]], int] = GenerationCache(
            COUNT_CACHE_SIZE
        )
        self._row_caches: dict[frozenset[str], GenerationCache[Any, Any]] = {}

    def query(
        self,
        plan: Plan,
        options: QueryOptions,
        *,
        hide: frozenset[str] = frozenset(),
        encoded: bool = False,
    ) -> QueryResult:
        """The page ``plan`` describes, shaped by ``options``.

        Rows are fetched in two steps: the page's keys first (the sort carries keys, not
        JSON payloads), then only those payloads; the keys come from a
        :class:`~..seek.SeekPager`, which starts a deep page from a remembered sort key
        instead of skipping rows where it can (same rows as ``OFFSET``).  Keys, count and
        payloads are read in one locked section, so they describe one state of the table.
        ``hide`` names stored fields this handle's type does not declare (a table shared
        by two typed views): they are dropped from each row before shaping.

        ``encoded=True`` is for answers sent as they are: without ``$select`` and
        ``$expand`` (and with orjson installed) the items are pre-encoded JSON fragments
        from a per-handle cache (see :meth:`row_cache`), not dicts.
        """
        cache = None
        if encoded and codec.Fragment is not None and not options.select and not options.expand:
            cache = self.row_cache(hide)
        try:
            with self.store.locked():  # keys, count and rows: one state of the table
                generation = self.store.writes(self.table)
                keys = self.pager.keys(
                    plan.clauses, plan.params, plan.order, plan.order_params, plan.limit, plan.skip
                )
                total = self._count(plan, generation) if options.count else None
                cached = cache.get_many(generation, keys) if cache is not None else {}
                payloads = self._payload_map([k for k in keys if k not in cached])
        except sqlite3.OperationalError as exc:
            raise ODataQueryError(f"The query cannot be evaluated: {exc}.") from None
        except OverflowError:  # a number beyond SQLite's 64 bits ($skip=2**63, a literal)
            raise ODataQueryError(
                "A number in the query is outside the 64-bit integer range."
            ) from None
        if cache is not None:
            encoded_rows = self._encode(keys, cached, payloads, hide, (cache, generation))
            return QueryResult(encoded_rows, total)
        shape = self.entity_set.shape
        items = []
        loads = codec.loads
        for data in [payloads[k] for k in keys if k in payloads]:
            row = loads(data)
            for name in hide:
                row.pop(name, None)
            items.append(shape(row, options))
        return QueryResult(items, total)

    def row_cache(self, hide: frozenset[str] = frozenset()) -> GenerationCache[Any, Any]:
        """The encoded-row cache for rows shown without ``hide`` (one per hidden-field set).

        A row shaped for a response (hidden fields and navigation properties dropped) is
        encoded once and reused until the table's next write: repeated report pages then
        cost a key lookup per row instead of a JSON decode and encode.
        """
        cache = self._row_caches.get(hide)
        if cache is None:
            if len(self._row_caches) >= 4:  # a handle serves one or two views in practice
                self._row_caches.clear()
            cache = self._row_caches[hide] = GenerationCache(self.store.cache_rows)
        return cache

    def _count(self, plan: Plan, generation: int) -> int:
        """``count(*)`` of a plan's matches, remembered for this generation of the table.

        The count walks the index over the whole match (25 000 rows for a week of a busy
        call log, about 2 ms), while the page itself reads only its rows; clients that
        page with ``$count=true`` ask the same count again for every page.  Call it in
        the locked section that read ``generation``.
        """
        key = (plan.where_sql, tuple(plan.params))
        total = self._counts.get(generation, key)
        if total is None:
            total = int(self.store.execute(plan.count_sql(self.table), plan.params)[0][0])
            self._counts.put(generation, key, total)
        return total

    def _encode(
        self,
        keys: list[Any],
        cached: dict[Any, Any],
        payloads: dict[Any, str],
        hide: frozenset[str],
        into: tuple[GenerationCache[Any, Any], int],
    ) -> list[Any]:
        """The page as encoded rows: cached ones, and the rest encoded and offered to the cache.

        Encoding runs outside the store's lock; the cache refuses the new rows if the
        table has moved past the generation in ``into`` meanwhile (see :mod:`.rowcache`).
        """
        if not payloads:  # the whole page was cached
            return [cached[k] for k in keys if k in cached]
        fresh: dict[Any, Any] = {}
        drop = hide | self.entity_set.nav_props
        for k, data in payloads.items():
            row = codec.loads(data)
            for name in drop:
                row.pop(name, None)
            fresh[k] = codec.encode(row)
        cache, generation = into
        cache.put_many(generation, fresh)
        return [found for k in keys if (found := cached.get(k, fresh.get(k))) is not None]

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
