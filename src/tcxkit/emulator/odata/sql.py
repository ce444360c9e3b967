"""Compile ``$filter``/``$orderby`` ASTs into SQLite SQL over JSON documents.

User input never reaches SQL text: property segments must match :data:`IDENTIFIER` and
every literal is bound as a ``?`` parameter.  Date-time comparisons are rewritten into
exact, index-friendly text ranges (:func:`_datetime_compare`): in the normal form a whole
second (``...:00Z``) sorts *after* its own fractions (``...:00.5Z``) because ``'.' < 'Z'``.
``condition`` builds the same ASTs from programmatic ``(property, op, value)`` tests, so
the store's ``where`` goes through this one compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from .datetimes import looks_like_datetime, normalize_datetime
from .errors import ODataQueryError
from .lexer import IDENTIFIER
from .nodes import Binary, Call, In, Lambda, Literal, Node, OrderBy, Prop, Unary

__all__ = ["Fragment", "compile_filter", "compile_orderby", "condition", "json_column"]

#: How SQL writes each unary operator of a filter.
_UNARY_SQL = {"not": "NOT ", "-": "-"}

Fragment = tuple[str, list[Any]]


def json_column(path: str, doc: str = "data") -> str:
    """SQL for property ``path`` ("A" or "A/B") inside the JSON column ``doc``.

    The store builds its expression indexes with this same function, so the text matches
    what the filter compiler emits and SQLite can use the index.  Segments are checked
    against an identifier pattern, which is what makes embedding them in SQL safe.
    """
    segments = path.split("/")
    for segment in segments:
        if not IDENTIFIER.match(segment):
            raise ODataQueryError(f"'{path}' is not a valid property path.")
    return f"json_extract({doc}, '$.{'.'.join(segments)}')"


_SQL_COMPARE = {"eq": "IS", "ne": "IS NOT", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_SQL_ARITH = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}
_FLIP = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


def _datetime_compare(column: Fragment, op: str, literal: str) -> Fragment:
    """Compare normalised date-time text ``column`` with a normalised literal, exactly.

    Within one second the normal form sorts ``b.000001Z .. b.999999Z`` before the whole
    second ``bZ``; every other second lies outside ``['b.', 'bZ']``.  The rewrite below
    puts ``bZ`` back where it belongs in time order, using plain range tests so an index on
    the column still serves them.
    """
    sql, params = column
    base = literal[:19]
    whole = base + "Z"
    if op in ("eq", "ne"):
        return f"({sql} {_SQL_COMPARE[op]} ?)", [*params, literal]
    if literal == whole:  # no fraction: the moment is the start of its second
        if op == "ge":
            return f"({sql} >= ?)", [*params, base + "."]
        if op == "lt":
            return f"({sql} < ?)", [*params, base + "."]
        if op == "gt":
            return f"({sql} >= ? AND {sql} IS NOT ?)", [*params, base + ".", *params, whole]
        return f"({sql} < ? OR {sql} IS ?)", [*params, base + ".", *params, whole]  # le
    if op in ("ge", "gt"):
        sign = ">=" if op == "ge" else ">"
        return f"({sql} {sign} ? AND {sql} IS NOT ?)", [*params, literal, *params, whole]
    sign = "<=" if op == "le" else "<"
    return f"({sql} {sign} ? OR {sql} IS ?)", [*params, literal, *params, whole]


class _Compiler:
    def __init__(self, column: Callable[[str], str]) -> None:
        self.column = column
        self.scopes: dict[str, str] = {}
        self.aliases = 0

    def compile(self, node: Node) -> Fragment:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, Prop):
            return self.prop(node), []
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Unary):
            sql, params = self.compile(node.operand)
            return f"({_UNARY_SQL[node.op]}{sql})", params
        if isinstance(node, In):
            sql, params = self.compile(node.operand)
            parts = [self.compile(value) for value in node.values]
            holders = ", ".join(part[0] for part in parts)
            return f"({sql} IN ({holders}))", params + [p for part in parts for p in part[1]]
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Lambda):
            return self.lambda_(node)
        raise TypeError(f"not an OData AST node: {node!r}")

    @staticmethod
    def literal(node: Literal) -> Fragment:
        if node.kind == "null":
            return "NULL", []
        if node.kind == "bool":
            return ("1" if node.value else "0"), []
        return "?", [node.value]

    def prop(self, node: Prop) -> str:
        head, rest = node.path[0], node.path[1:]
        if head in self.scopes:
            alias = self.scopes[head]
            if not rest:
                return f"{alias}.value"
            return json_column("/".join(rest), f"{alias}.value")
        for segment in node.path:
            if not IDENTIFIER.match(segment):
                raise ODataQueryError(f"'{node.name}' is not a valid property path.")
        return self.column(node.name)

    def binary(self, node: Binary) -> Fragment:
        op = node.op
        if op in ("and", "or"):
            left, lp = self.compile(node.left)
            right, rp = self.compile(node.right)
            return f"({left} {op.upper()} {right})", lp + rp
        if op in _SQL_ARITH:
            left, lp = self.compile(node.left)
            right, rp = self.compile(node.right)
            return f"({left} {_SQL_ARITH[op]} {right})", lp + rp
        left_node, right_node = node.left, node.right
        if isinstance(left_node, Literal) and not isinstance(right_node, Literal):
            left_node, right_node, op = right_node, left_node, _FLIP[op]
        if isinstance(right_node, Literal) and right_node.kind == "null" and op in ("eq", "ne"):
            sql, params = self.compile(left_node)
            return f"({sql} {'IS NULL' if op == 'eq' else 'IS NOT NULL'})", params
        if isinstance(right_node, Literal) and right_node.kind == "datetime":
            return _datetime_compare(self.compile(left_node), op, right_node.value)
        left, lp = self.compile(left_node)
        right, rp = self.compile(right_node)
        return f"({left} {_SQL_COMPARE[op]} {right})", lp + rp

    def call(self, node: Call) -> Fragment:
        name = node.name
        if name == "now":
            return "?", [normalize_datetime(datetime.now(UTC))]
        args = [self.compile(arg) for arg in node.args]
        (a, ap), rest = args[0], args[1:]
        if name in ("contains", "startswith", "endswith", "indexof"):
            b, bp = rest[0]
            if name == "contains":
                return f"(instr({a}, {b}) > 0)", ap + bp
            if name == "startswith":
                return f"(instr({a}, {b}) = 1)", ap + bp
            if name == "indexof":
                return f"(instr({a}, {b}) - 1)", ap + bp
            return f"(length({b}) = 0 OR substr({a}, -length({b})) IS {b})", bp + ap + bp + bp
        simple = {"tolower": "lower", "toupper": "upper", "length": "length", "trim": "trim"}
        if name in simple:
            return f"{simple[name]}({a})", ap
        if name == "round":
            return f"round({a})", ap
        if name == "floor":
            return f"(CAST({a} AS INTEGER) - ({a} < CAST({a} AS INTEGER)))", ap * 3
        if name == "ceiling":
            return f"(CAST({a} AS INTEGER) + ({a} > CAST({a} AS INTEGER)))", ap * 3
        if name == "concat":
            sql = " || ".join(part[0] for part in args)
            return f"({sql})", [p for part in args for p in part[1]]
        if name == "substring":
            i, ip = rest[0]
            if len(rest) == 2:
                n, np_ = rest[1]
                return f"substr({a}, ({i}) + 1, {n})", ap + ip + np_
            return f"substr({a}, ({i}) + 1)", ap + ip
        spans = {
            "date": (1, 10),
            "time": (12, 8),
            "year": (1, 4),
            "month": (6, 2),
            "day": (9, 2),
            "hour": (12, 2),
            "minute": (15, 2),
            "second": (18, 2),
        }
        start, length = spans[name]
        if name in ("date", "time"):
            return f"substr({a}, {start}, {length})", ap
        return f"CAST(substr({a}, {start}, {length}) AS INTEGER)", ap

    def lambda_(self, node: Lambda) -> Fragment:
        array, params = self.compile(node.collection)
        self.aliases += 1
        alias = f"j{self.aliases}"
        source = f"json_each(CASE WHEN json_valid({array}) THEN {array} END) AS {alias}"
        params = params * 2
        if node.body is None or node.var is None:
            return f"EXISTS (SELECT 1 FROM {source})", params
        saved = self.scopes.get(node.var)
        self.scopes[node.var] = alias
        try:
            body, body_params = self.compile(node.body)
        finally:
            if saved is None:
                self.scopes.pop(node.var)
            else:
                self.scopes[node.var] = saved
        if node.kind == "any":
            return f"EXISTS (SELECT 1 FROM {source} WHERE {body})", params + body_params
        return (
            f"NOT EXISTS (SELECT 1 FROM {source} WHERE NOT COALESCE({body}, 0))",
            params + body_params,
        )


def compile_filter(node: Node, column: Callable[[str], str] = json_column) -> Fragment:
    """Compile a filter AST into ``(sql, params)``; ``column(path)`` maps a property to SQL."""
    return _Compiler(column).compile(node)


def compile_orderby(
    items: Sequence[OrderBy], column: Callable[[str], str] = json_column
) -> Fragment:
    """Compile ``$orderby`` items into an ORDER BY list (without the keywords)."""
    compiler = _Compiler(column)
    parts: list[str] = []
    params: list[Any] = []
    for item in items:
        sql, item_params = compiler.compile(item.expr)
        parts.append(f"{sql} {'DESC' if item.descending else 'ASC'}")
        params.extend(item_params)
    return ", ".join(parts), params


_OPERATORS = set(_SQL_COMPARE) | {"in"}


def condition(prop: str, op: str, value: Any) -> Node:
    """Build the AST for a programmatic condition such as ``("StartTime", "ge", "2025-...Z")``.

    Strings that look like ISO date-times and ``datetime`` objects compare as date-times.
    """
    if op not in _OPERATORS:
        raise ValueError(f"unknown operator '{op}': use one of {', '.join(sorted(_OPERATORS))}")
    target = Prop(tuple(prop.split("/")))
    if op == "in":
        return In(target, tuple(_literal(item) for item in value))
    return Binary(op, target, _literal(value))


def _literal(value: Any) -> Literal:
    if value is None:
        return Literal(None, "null")
    if isinstance(value, bool):
        return Literal(value, "bool")
    if isinstance(value, int):
        return Literal(value, "int")
    if isinstance(value, float):
        return Literal(value, "decimal")
    if isinstance(value, datetime):
        return Literal(normalize_datetime(value), "datetime")
    if isinstance(value, date):
        return Literal(value.isoformat(), "date")
    if isinstance(value, str):
        if looks_like_datetime(value):
            return Literal(normalize_datetime(value), "datetime")
        return Literal(value, "string")
    raise ValueError(f"cannot compare with a value of type {type(value).__name__}")
