"""The system query options of a request: parse them into :class:`QueryOptions`, check them.

``parse_query`` reads the options of the one table the whole project shares
(:data:`tcxkit.catalog.options.QUERY_OPTIONS`: ``$select``, ``$filter``, ...; nested
``$expand`` options recurse into it); ``validate_options`` rejects references to
properties a type does not have, worded as the PBX words it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...catalog.options import QUERY_OPTIONS, QueryOption
from ..limits import INT32_MAX, MAX_EXPAND_DEPTH
from .errors import ODataQueryError
from .lexer import IDENTIFIER, split_top_level
from .nodes import Binary, Call, In, Lambda, Node, OrderBy, Prop, Unary
from .parser import parse_filter, parse_orderby
from .types import check_types

__all__ = [
    "QueryOptions",
    "filter_properties",
    "parse_expand",
    "parse_query",
    "parse_select",
    "validate_options",
]


@dataclass
class QueryOptions:
    """The parsed system query options of one request (or of one ``$expand`` item)."""

    filter: Node | None = None
    select: tuple[str, ...] | None = None
    orderby: tuple[OrderBy, ...] = ()
    top: int | None = None
    skip: int = 0
    count: bool = False
    expand: dict[str, QueryOptions] = field(default_factory=dict)
    search: str | None = None


def parse_select(text: str) -> tuple[str, ...]:
    """Parse ``$select``: a comma list of property names or paths, or ``*``."""
    items: list[str] = []
    offset = 0
    for raw in text.split(","):
        item = raw.strip()
        if item != "*" and not all(IDENTIFIER.match(seg) for seg in item.split("/")):
            raise ODataQueryError(
                f"Syntax error at position {offset} in $select '{text}': '{item}' is not a "
                "property name (use a comma list such as Number,FirstName)."
            )
        items.append(item)
        offset += len(raw) + 1
    return tuple(items)


def _split_top(text: str, sep: str, option: str) -> list[tuple[int, str]]:
    """Split on ``sep`` outside parentheses and quotes into (offset, piece); 400 if unbalanced."""
    split = split_top_level(text, sep)
    if split.problem is not None:
        raise ODataQueryError(
            f"Syntax error at position {split.at} in {option} '{text}': {split.problem}."
        )
    return split.pieces


_EXPAND_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\*)\s*(?:\((.*)\))?\s*\Z", re.DOTALL)


def parse_expand(text: str, _level: int = 1) -> dict[str, QueryOptions]:
    """Parse ``$expand`` such as ``Groups($select=Name;$expand=Rights),Tags``."""
    if _level > MAX_EXPAND_DEPTH:
        raise ODataQueryError(
            "The request includes a $expand path which is too deep. The maximum depth "
            f"allowed is {MAX_EXPAND_DEPTH}."
        )
    result: dict[str, QueryOptions] = {}
    for offset, piece in _split_top(text, ",", "$expand"):
        match = _EXPAND_ITEM.match(piece)
        if not match:
            raise ODataQueryError(
                f"Syntax error at position {offset} in $expand '{text}': '{piece.strip()}' is not "
                "a navigation property, optionally followed by options in parentheses, as in "
                "Groups($select=Name;$expand=Rights)."
            )
        name, inner = match.groups()
        nested: dict[str, str] = {}
        if inner is not None and inner.strip():
            for _, option in _split_top(inner, ";", f"$expand of {name}"):
                key, eq, value = option.partition("=")
                if not eq or not key.strip().startswith("$"):
                    raise ODataQueryError(
                        f"Invalid nested option '{option.strip()}' in $expand of {name}: write "
                        "options as $name=value separated by ';'."
                    )
                nested[key.strip()] = value.strip()
        result[name] = parse_query(nested, max_top=None, _level=_level + 1)
    return result


def _non_negative(name: str, raw: str) -> int:
    """A ``$top``/``$skip`` value: an Edm.Int32 of 0 or more, as ASP.NET OData reads them."""
    text = raw.strip()
    if not re.fullmatch(r"\+?\d+", text):
        kind = "a negative number" if re.fullmatch(r"-\d+", text) else "not an integer"
        raise ODataQueryError(
            f"Invalid value '{raw[:40]}' for {name}: {kind}; {name} takes a whole number "
            "0 or larger."
        )
    digits = text.lstrip("+").lstrip("0") or "0"
    value = int(digits) if len(digits) <= 10 else INT32_MAX + 1  # no 4 300-digit int()
    if value > INT32_MAX:
        raise ODataQueryError(
            f"Invalid value '{text[:40]}' for {name}: it is larger than {INT32_MAX}, the most an "
            f"Edm.Int32 holds."
        )
    return value


def _flag(option: QueryOption, raw: str) -> bool:
    """A ``$count`` value: true or false (any case)."""
    flag = raw.strip().lower()
    if flag not in ("true", "false"):
        raise ODataQueryError(f"Invalid value '{raw}' for {option.odata}: use true or false.")
    return flag == "true"


#: How each option of the one table (:data:`tcxkit.catalog.options.QUERY_OPTIONS`) is
#: read: ``(option, text, expand level) -> value`` of the same-named QueryOptions field.
_READERS: dict[str, Callable[[QueryOption, str, int], Any]] = {
    "select": lambda option, text, level: parse_select(text),
    "filter": lambda option, text, level: parse_filter(text),
    "orderby": lambda option, text, level: parse_orderby(text),
    "expand": lambda option, text, level: parse_expand(text, level),
    "top": lambda option, text, level: _non_negative(option.odata, text),
    "skip": lambda option, text, level: _non_negative(option.odata, text),
    "count": lambda option, text, level: _flag(option, text),
    "search": lambda option, text, level: text,
}


def parse_query(
    params: Mapping[str, str], *, max_top: int | None = 100, _level: int = 1
) -> QueryOptions:
    """Read the OData system query options out of ``params`` (unknown ``$`` options are ignored).

    The options and their URL names are those of the one table in
    :mod:`tcxkit.catalog.options`, read in its order; an empty list option (``$select=``)
    is absent.  ``max_top`` is the PBX's page limit for ordinary entity sets; pass None
    where the PBX accepts any ``$top`` (report functions, nested expand options).
    """
    options = QueryOptions()
    for option in QUERY_OPTIONS:
        text = params.get(option.odata)
        if text is None or (option.kind == "list" and not text.strip()):
            continue
        setattr(options, option.name, _READERS[option.name](option, text, _level))
    if max_top is not None and options.top is not None and options.top > max_top:
        raise ODataQueryError(
            f"The limit of '{max_top}' for Top query has been exceeded. "
            f"The value from the incoming request is '{options.top}'."
        )
    return options


def filter_properties(node: Node | None, _bound: frozenset[str] = frozenset()) -> Iterator[Prop]:
    """Yield the property paths ``node`` refers to, skipping lambda variables."""
    if node is None:
        return
    if isinstance(node, Prop):
        if node.path[0] not in _bound:
            yield node
    elif isinstance(node, Binary):
        yield from filter_properties(node.left, _bound)
        yield from filter_properties(node.right, _bound)
    elif isinstance(node, Unary):
        yield from filter_properties(node.operand, _bound)
    elif isinstance(node, In):
        yield from filter_properties(node.operand, _bound)
        for value in node.values:
            yield from filter_properties(value, _bound)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from filter_properties(arg, _bound)
    elif isinstance(node, Lambda):
        yield from filter_properties(node.collection, _bound)
        inner = _bound | {node.var} if node.var else _bound
        yield from filter_properties(node.body, inner)


def _unknown(name: str, type_name: str) -> ODataQueryError:
    return ODataQueryError(f"Could not find a property named '{name}' on type '{type_name}'.")


def validate_options(
    options: QueryOptions,
    properties: set[str] | frozenset[str],
    type_name: str,
    types: Mapping[str, str] | None = None,
) -> None:
    """Reject references to properties ``type_name`` does not have (top-level names only),
    and, given the properties' Edm ``types``, filters the PBX could not bind."""
    for item in options.select or ():
        if item != "*" and item.split("/")[0] not in properties:
            raise _unknown(item.split("/")[0], type_name)
    for order in options.orderby:
        for prop in filter_properties(order.expr):
            if prop.path[0] not in properties:
                raise _unknown(prop.path[0], type_name)
    for prop in filter_properties(options.filter):
        if prop.path[0] not in properties:
            raise _unknown(prop.path[0], type_name)
    for name in options.expand:
        if name != "*" and name not in properties:
            raise _unknown(name, type_name)
    if types:
        check_types(options.filter, types)
