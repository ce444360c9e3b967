"""Seek paging: a page deep into a large set costs about what the first page costs.

``LIMIT n OFFSET s`` makes SQLite walk and throw away ``s`` index entries, so page 1 000
of the 100 000-row call log costs a thousand first pages and a full export by
``$skip`` is quadratic.  A :class:`SeekPager` remembers, per query shape (WHERE clause,
parameters and ORDER BY), the sort key of the row just before known offsets: the end of
every page it served and the row before its start.  A later request at or after such an
offset starts from it with a row-value range, ``(sort..., k) > (anchor...)``, which the
expression index answers as a seek, and skips only the remaining distance.

The answer is exactly the ``OFFSET`` answer:

* the order is total (every ORDER BY ends with the key ``k``), so "the rows after the
  anchor" are exactly the rows after that offset;
* anchors belong to one generation of the table: any write (the store's per-table write
  counter, moved by the writer under the store's lock) forgets them all, so an insert or
  delete in between can never shift a page; a page and its anchors are computed under
  the store's lock, so they describe one state of the table;
* only orders whose items share one direction and carry no bound parameters are
  seeked; a descending order is seeked only when no matching row has a NULL sort value
  (NULLs sort first and a row-value comparison with NULL is unknown), and an anchor with
  a NULL value is never used.  Everything else pages with ``OFFSET``, as before.

Where an index delivers the order, a first jump far past every known anchor walks
there in hops of :data:`HOP` rows,
noting an anchor at each: about the walk ``OFFSET`` makes, once per shape and table
generation.  After it, every page of that shape costs at most a ``HOP``-row walk, and
paging forward page by page, or repeating a page, is a seek.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store

__all__ = ["SeekPager"]

#: Query shapes remembered per table handle, and anchors per shape (memory stays small:
#: an anchor is a tuple of a few sort values).
MAX_SHAPES = 64
MAX_ANCHORS = 4096
#: Rows between the anchors a far jump leaves behind it.
HOP = 2048

Shape = tuple[str, tuple[Any, ...], str]


class _Anchors:
    """Known offsets of one query shape, sorted, with the sort key of the row before each."""

    def __init__(self, nullable: bool, ordered: bool) -> None:
        self.nullable = nullable  # some matching row has a NULL sort value
        self.ordered = ordered  # an index delivers the order (no sort of the whole match)
        self.offsets: list[int] = []
        self.keys: dict[int, tuple[Any, ...]] = {}

    def nearest(self, skip: int) -> int:
        """The largest known offset at or before ``skip`` (0 when none)."""
        i = bisect.bisect_right(self.offsets, skip)
        return self.offsets[i - 1] if i else 0

    def add(self, offset: int, key: tuple[Any, ...]) -> None:
        if offset <= 0 or offset in self.keys or any(v is None for v in key):
            return
        if len(self.offsets) >= MAX_ANCHORS:  # keep the newest half: hops build on it
            for dropped in self.offsets[: MAX_ANCHORS // 2]:
                del self.keys[dropped]
            del self.offsets[: MAX_ANCHORS // 2]
        bisect.insort(self.offsets, offset)
        self.keys[offset] = key


def _seek(
    order: Sequence[tuple[str, bool]], descending: bool, anchor: tuple[Any, ...] | None
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """WHERE clauses and parameters for "the rows after ``anchor``" (none without one)."""
    if anchor is None:
        return (), ()
    exprs = ", ".join(expr for expr, _ in order)
    marks = ", ".join("?" * len(order))
    # The bound on the first item alone is what SQLite turns into an index range (it does
    # not for a row value ending in the rowid); the row value is the exact condition.
    clauses = (
        f"{order[0][0]} {'<=' if descending else '>='} ?",
        f"({exprs}) {'<' if descending else '>'} ({marks})",
    )
    return clauses, (anchor[0], *anchor)


class SeekPager:
    """Fetches the keys of one page of a table, seeking from remembered anchors."""

    def __init__(self, store: Store, table: str) -> None:
        self.store = store
        self.table = table
        self._shapes: dict[Shape, _Anchors] = {}
        self._generation = -1

    def keys(
        self,
        where: Sequence[str],
        params: Sequence[Any],
        order: Sequence[tuple[str, bool]],
        order_params: Sequence[Any],
        limit: int,
        skip: int,
    ) -> list[Any]:
        """Keys of the rows ``skip`` .. ``skip + limit`` (``limit`` -1: all) in ``order``.

        ``order`` is ``(SQL expression, descending)`` items ending with the key column
        ``k``; ``where`` are clauses to AND.  Same rows as ``LIMIT limit OFFSET skip``.
        Call it holding the store's lock (``store.locked()``), so that a page and the
        anchors noted from it describe one state of the table.
        """
        order_sql = ", ".join(f"{expr} {'DESC' if desc else 'ASC'}" for expr, desc in order)
        directions = {desc for _, desc in order}
        if skip <= 0 or limit == 0 or order_params or len(directions) != 1:
            return self._select(where, params, order_sql, (), order_params, limit, skip)
        descending = directions.pop()
        anchors = self._anchors(where, params, order, order_sql, descending)
        if anchors is None:
            return self._select(where, params, order_sql, (), (), limit, skip)
        base = anchors.nearest(skip)
        # A jump far past every known anchor hops there HOP rows at a time, noting an
        # anchor at each hop: about the walk OFFSET would make, done once, and any later
        # page of this shape (forward, back, or a parallel export's other chunk) is near
        # an anchor.
        while anchors.ordered and skip - base > HOP:
            seek, seek_params = _seek(order, descending, anchors.keys.get(base))
            hop = self._select(where, params, order_sql, seek, seek_params, 1, HOP - 1)
            if not hop:
                return []  # fewer rows than base + HOP <= skip
            self._remember(anchors, order, base + HOP, hop)
            base += HOP
        anchor = anchors.keys.get(base)
        if base and anchor is None:  # a NULL sort value at the hop: nothing to seek from
            return self._select(where, params, order_sql, (), (), limit, skip)
        seek, seek_params = _seek(order, descending, anchor)
        if base == skip:
            keys = self._select(where, params, order_sql, seek, seek_params, limit, 0)
            self._remember(anchors, order, skip + len(keys), keys[-1:])
            return keys
        # One row more, from just before ``skip``: it is the anchor of ``skip`` itself,
        # so asking for this page again is a seek too.
        wider = -1 if limit < 0 else limit + 1
        rows = self._select(where, params, order_sql, seek, seek_params, wider, skip - base - 1)
        if not rows:
            return []
        self._remember(anchors, order, skip, rows[:1])
        keys = rows[1:]
        self._remember(anchors, order, skip + len(keys), keys[-1:])
        return keys

    # -- plumbing -----------------------------------------------------------------------
    def _select(
        self,
        where: Sequence[str],
        params: Sequence[Any],
        order_sql: str,
        seek: Sequence[str],
        seek_params: Sequence[Any],
        limit: int,
        offset: int,
    ) -> list[Any]:
        clauses = [*where, *seek]
        where_sql = " WHERE " + " AND ".join(f"({c})" for c in clauses) if clauses else ""
        sql = f'SELECT k FROM "{self.table}"{where_sql} ORDER BY {order_sql} LIMIT ? OFFSET ?'
        rows = self.store.execute(sql, [*params, *seek_params, limit, offset])
        return [row[0] for row in rows]

    def _anchors(
        self,
        where: Sequence[str],
        params: Sequence[Any],
        order: Sequence[tuple[str, bool]],
        order_sql: str,
        descending: bool,
    ) -> _Anchors | None:
        """This shape's anchors in the table's current generation (None: cannot seek)."""
        generation = self.store.writes(self.table)
        if generation != self._generation:
            self._shapes.clear()
            self._generation = generation
        shape: Shape = (" AND ".join(where), tuple(params), order_sql)
        anchors = self._shapes.get(shape)
        if anchors is None:
            nullable = descending and self._has_nulls(where, params, order)
            if len(self._shapes) >= MAX_SHAPES:
                self._shapes.clear()
            anchors = self._shapes[shape] = _Anchors(
                nullable, self._index_ordered(where, params, order_sql)
            )
        return None if anchors.nullable else anchors

    def _index_ordered(self, where: Sequence[str], params: Sequence[Any], order_sql: str) -> bool:
        """Whether SQLite reads this shape's rows in order from an index.

        Only then is a hop a walk of ``HOP`` index entries; without such an index every
        query sorts the whole match, and hopping would repeat that sort at every hop.
        """
        where_sql = " WHERE " + " AND ".join(f"({c})" for c in where) if where else ""
        sql = f'SELECT k FROM "{self.table}"{where_sql} ORDER BY {order_sql} LIMIT 1'
        plan = self.store.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return not any("TEMP B-TREE" in str(row[-1]) for row in plan)

    def _has_nulls(
        self, where: Sequence[str], params: Sequence[Any], order: Sequence[tuple[str, bool]]
    ) -> bool:
        tests = [f"{expr} IS NULL" for expr, _ in order if expr != "k"]
        if not tests:
            return False
        clauses = [*where, "(" + " OR ".join(tests) + ")"]
        sql = f'SELECT 1 FROM "{self.table}" WHERE {" AND ".join(clauses)} LIMIT 1'
        return bool(self.store.execute(sql, params))

    def _remember(
        self,
        anchors: _Anchors,
        order: Sequence[tuple[str, bool]],
        offset: int,
        last: list[Any],
    ) -> None:
        """Note the sort key of row ``last[0]`` as the anchor of ``offset``."""
        if not last:
            return
        exprs = ", ".join(expr for expr, _ in order)
        rows = self.store.execute(f'SELECT {exprs} FROM "{self.table}" WHERE k = ?', last)
        if rows:
            anchors.add(offset, tuple(rows[0]))
