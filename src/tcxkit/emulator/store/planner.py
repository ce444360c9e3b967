"""OData query options to SQL: a pure planner, with no connection and no state.

A :class:`QueryPlanner` knows one thing about its table, the name of the key property
(stored in the column ``k``; every other property is a ``json_extract`` path, the same
expression the declared indexes are built on).  From parsed :class:`QueryOptions` and
programmatic conditions it writes a :class:`Plan`: WHERE clauses and their parameters,
the ORDER BY items (always ending with the key, so the order is total and
:class:`~tcxkit.emulator.seek.SeekPager` can seek), the page limit and the skip.

Because it runs no SQL, the translation is tested on its own (``tests/emulator/
test_planner.py``) and the :class:`~.entityset.EntitySet` that executes a plan only
decides *how* to fetch it (seek paging, the row and count caches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..odata import (
    ODataQueryError,
    QueryOptions,
    compile_filter,
    compile_orderby,
    condition,
    json_column,
)

__all__ = ["Plan", "QueryPlanner", "Where"]

#: Programmatic conditions: ``(property, OData operator, value)`` triples, AND-ed.
Where = Sequence[tuple[str, str, Any]]

#: ``$search``: a case-insensitive substring of any text value in the document.
SEARCH_CLAUSE = (
    "EXISTS (SELECT 1 FROM json_tree(data) AS t WHERE t.type = 'text'"
    " AND instr(lower(t.value), lower(?)) > 0)"
)


@dataclass(slots=True)
class Plan:
    """One query as SQL pieces: ``clauses`` (AND-ed) with ``params``, the order, the page."""

    clauses: list[str]
    params: list[Any]
    order: list[tuple[str, bool]]  # (SQL expression, descending), ending with the key
    order_params: list[Any]
    limit: int  # -1: no limit
    skip: int

    @property
    def where_sql(self) -> str:
        """`` WHERE a AND b`` (empty without clauses)."""
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""

    def count_sql(self, table: str) -> str:
        """``SELECT count(*)`` over the plan's matches (the page bounds do not apply)."""
        return f'SELECT count(*) FROM "{table}"{self.where_sql}'


class QueryPlanner:
    """Writes the SQL of queries over one table whose key property is ``key``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def column(self, path: str) -> str:
        """SQL for a property: the primary-key column for the key, else a JSON path."""
        return "k" if path == self.key else json_column(path)

    def conditions(self, where: Where) -> tuple[list[str], list[Any]]:
        """SQL clauses (to be AND-ed) and their parameters for programmatic conditions.

        The clauses use the same expressions as the declared indexes, so callers writing
        their own SELECT (report aggregates) stay index-served.
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

    def plan(
        self,
        options: QueryOptions,
        *,
        where: Where = (),
        order: Sequence[str] = (),
        max_top: int | None = None,
    ) -> Plan:
        """The plan of an OData request (see :meth:`.entityset.EntitySet.query`)."""
        clauses, params = self.conditions(where)
        if options.filter is not None:
            sql, sql_params = compile_filter(options.filter, self.column)
            clauses.append(sql)
            params.extend(sql_params)
        if options.search:
            clauses.append(SEARCH_CLAUSE)
            params.append(options.search.strip().strip('"'))
        order_items, order_params = self.order(options, order)
        limit = -1 if options.top is None else options.top
        if max_top is not None:
            limit = max_top if limit < 0 else min(limit, max_top)
        return Plan(clauses, params, order_items, order_params, limit, options.skip)

    def order(
        self, options: QueryOptions, order: Sequence[str] = ()
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
