"""Shape result rows for a response: ``$select``, ``$expand`` and nested options.

Unexpanded navigation properties are hidden; expanded lists get their nested
``$filter``/``$orderby``/``$skip``/``$top`` evaluated by SQLite over ``json_each`` (through
the same compiler as top-level queries), in a private in-memory database per thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ODataQueryError
from .options import QueryOptions
from .sql import compile_filter, compile_orderby, json_column

__all__ = ["project"]

_scratch = threading.local()


def _scratch_db() -> sqlite3.Connection:
    """A private in-memory database per thread, used to filter and order expanded lists."""
    conn = getattr(_scratch, "conn", None)
    if conn is None:
        conn = _scratch.conn = sqlite3.connect(":memory:")
    return conn


def _shape_list(items: list[Any], options: QueryOptions) -> list[Any]:
    """Apply nested ``$filter``/``$orderby``/``$skip``/``$top`` to an expanded list.

    SQLite itself evaluates the nested options over ``json_each`` of the list, so nested
    filters behave exactly like top-level ones and need no second evaluator.
    """
    if options.filter is None and not options.orderby and not options.skip and options.top is None:
        return items

    def column(path: str) -> str:
        return json_column(path, "j.value")

    sql = "SELECT j.key FROM json_each(?) AS j"
    params: list[Any] = [json.dumps(items)]
    if options.filter is not None:
        where, where_params = compile_filter(options.filter, column)
        sql += f" WHERE {where}"
        params += where_params
    order, order_params = compile_orderby(options.orderby, column)
    sql += f" ORDER BY {order + ', ' if order else ''}j.key"
    params += order_params
    sql += " LIMIT ? OFFSET ?"
    params += [-1 if options.top is None else options.top, options.skip]
    try:
        rows = _scratch_db().execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise ODataQueryError(f"The nested query options cannot be applied: {exc}.") from None
    return [items[row[0]] for row in rows]


def _select_paths(entity: dict[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """Keep only ``paths`` (``A`` or ``A/B``) of ``entity``, in the entity's own key order."""
    whole = {p for p in paths if "/" not in p}
    nested: dict[str, list[str]] = {}
    for p in paths:
        if "/" in p:
            head, _, tail = p.partition("/")
            nested.setdefault(head, []).append(tail)
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key in whole:
            out[key] = value
        elif key in nested:
            if isinstance(value, dict):
                out[key] = _select_paths(value, nested[key])
            elif isinstance(value, list):
                out[key] = [
                    _select_paths(v, nested[key]) if isinstance(v, dict) else v for v in value
                ]
            else:
                out[key] = value
    return out


def project(
    entity: Mapping[str, Any],
    options: QueryOptions,
    nav_props: set[str] | frozenset[str] = frozenset(),
    nested_nav: Mapping[str, set[str] | frozenset[str]] | None = None,
) -> dict[str, Any]:
    """Shape one entity for a response: hide unexpanded navigation properties, apply
    ``$select``, and apply nested options to expanded values.

    ``nested_nav`` maps an expanded property to the navigation properties of its target
    type, so nested levels hide their own unexpanded links too.
    """
    expand = options.expand
    select = options.select
    if not expand and not select:  # the common case: one pass, no per-key branching
        if not nav_props:
            return dict(entity)
        return {k: v for k, v in entity.items() if k not in nav_props}
    expand_all = "*" in expand
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key in expand or (expand_all and key in nav_props):
            sub = expand.get(key) or QueryOptions()
            inner_nav = (nested_nav or {}).get(key, frozenset())
            out[key] = _shape_value(value, sub, inner_nav)
        elif key not in nav_props:
            out[key] = value
    if options.select and "*" not in options.select:
        expanded = {k for k in out if k in expand or (expand_all and k in nav_props)}
        selected = _select_paths(out, options.select)
        out = {
            k: selected[k] if k in selected else out[k]
            for k in out
            if k in selected or k in expanded
        }
    return out


def _shape_value(value: Any, options: QueryOptions, nav_props: set[str] | frozenset[str]) -> Any:
    if isinstance(value, list):
        return [
            project(item, options, nav_props) if isinstance(item, dict) else item
            for item in _shape_list(value, options)
        ]
    if isinstance(value, dict):
        return project(value, options, nav_props)
    return value
