"""OData v4 system query options for the emulator: parse them, compile them to SQL, project rows.

The emulator must answer ``$filter``/``$orderby``/``$select``/``$expand``/``$top``/``$skip``/
``$count`` the way a 3CX PBX does, over JSON documents kept in SQLite.  User input never
reaches SQL text: ``$filter`` is tokenised and parsed into a small AST, property names are
checked against an identifier pattern, and every literal is bound as a ``?`` parameter.

Date-times are the one subtle part.  The store keeps them as UTC text in the normal form
``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (see :func:`normalize_datetime`), fraction omitted when
zero, so outputs look like the PBX's.  In that form text order equals time order except that
a whole second (``...:00Z``) sorts *after* its own fractions (``...:00.5Z``) because
``'.' < 'Z'``; comparisons against date-time literals are therefore rewritten into exact
text ranges (:func:`_datetime_compare`) that stay index-friendly.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

__all__ = [
    "FUNCTIONS",
    "IDENTIFIER",
    "Binary",
    "Call",
    "In",
    "Lambda",
    "Literal",
    "Negate",
    "Node",
    "Not",
    "ODataQueryError",
    "OrderBy",
    "Prop",
    "QueryOptions",
    "compile_filter",
    "compile_orderby",
    "condition",
    "filter_properties",
    "json_column",
    "looks_like_datetime",
    "normalize_datetime",
    "parse_expand",
    "parse_filter",
    "parse_orderby",
    "parse_query",
    "parse_select",
    "project",
    "validate_options",
]


class ODataQueryError(Exception):
    """A query option is malformed or refers to something that does not exist.

    The message is written the way the PBX words it; the HTTP layer wraps it into the OData
    error envelope with status 400.
    """


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# --------------------------------------------------------------------------------------
# Date-times
# --------------------------------------------------------------------------------------

_DATETIME_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*([Zz]|[+-]\d{2}:?\d{2})?\Z"
)


_NORMAL_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(?!0{6})\d{6})?Z\Z")


def normalize_datetime(value: str | datetime) -> str:
    """Return ``value`` as UTC text ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.

    Accepts ISO 8601 text with ``Z`` or an offset and up to any number of fractional digits
    (.NET writes seven; Python keeps six, so extra digits are cut).  Text without an offset
    is taken as UTC, as the PBX does.  Raises ``ValueError`` when the text is no date-time.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        if _NORMAL_FORM.match(value):
            return value  # fast path: bulk loads mostly carry normalised text already
        if value.endswith("+00:00") and _NORMAL_FORM.match(value[:-6] + "Z"):
            return value[:-6] + "Z"
        match = _DATETIME_TEXT.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not an ISO 8601 date-time")
        day, clock, fraction, zone = match.groups()
        if len(clock) == 5:
            clock += ":00"
        text = f"{day}T{clock}"
        if fraction:
            text += "." + fraction[:6].ljust(6, "0")
        if zone and zone not in "Zz":
            text += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
        moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{moment.microsecond:06d}Z" if moment.microsecond else f"{base}Z"


def looks_like_datetime(value: str) -> bool:
    """True when ``value`` is ISO date-time text with a clock part (used for ``where`` values)."""
    return bool(_DATETIME_TEXT.match(value.strip())) and ("T" in value or "t" in value)


# --------------------------------------------------------------------------------------
# AST
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A constant; ``kind`` is string, int, decimal, bool, null, guid, datetime or date."""

    value: Any
    kind: str


@dataclass(frozen=True)
class Prop:
    """A property path such as ``Name`` or ``Address/City`` (segments in ``path``)."""

    path: tuple[str, ...]
    pos: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class Binary:
    """``left op right`` for comparison, logical and arithmetic operators."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class In:
    """``operand in (v1, v2, ...)`` (OData 4.01)."""

    operand: Node
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    """A canonical function call such as ``contains(Name,'x')``."""

    name: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Lambda:
    """``collection/any(v: body)`` or ``collection/all(v: body)``; ``body`` None for ``any()``."""

    collection: Node
    kind: str
    var: str | None
    body: Node | None


Node = Literal | Prop | Binary | Not | Negate | In | Call | Lambda


@dataclass(frozen=True)
class OrderBy:
    """One ``$orderby`` item."""

    expr: Node
    descending: bool = False


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


# --------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # str num guid datetime date ident punct eof
    text: str
    pos: int
    value: Any = None


_WS = re.compile(r"\s+")
_STRING = re.compile(r"'((?:[^']|'')*)'")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}| \d{2}:\d{2})"
    r"(?![\w:.])",
    re.IGNORECASE,
)
_GUID = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?!\w)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:.-])")
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?(?![\w.])")
_IDENT = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PUNCT = "(),/:-"


def _tokenize(text: str, option: str) -> list[_Token]:
    """Split ``text`` into tokens; errors name the option and the character position."""
    tokens: list[_Token] = []
    pos, end = 0, len(text)
    while pos < end:
        ws = _WS.match(text, pos)
        if ws:
            pos = ws.end()
            continue
        char = text[pos]
        if char == "'":
            match = _STRING.match(text, pos)
            if not match:
                raise ODataQueryError(
                    f"Syntax error at position {pos} in {option}: unterminated string literal "
                    "(quote it as 'text' and double any quote inside, e.g. 'O''Brien')."
                )
            value = match.group(1).replace("''", "'")
            tokens.append(_Token("str", match.group(0), pos, value))
            pos = match.end()
            continue
        if char.isdigit() or char in "abcdefABCDEF":
            match = _DATETIME.match(text, pos) if char.isdigit() else None
            if not match and char.isdigit() and re.match(r"\d{4}-\d{2}-\d{2}T", text[pos:]):
                raise ODataQueryError(
                    f"Syntax error at position {pos} in {option}: '{text[pos:].split()[0]}' is "
                    "not a valid date-time; write it as 2025-03-13T23:00:00Z or with an offset "
                    "such as 2025-03-13T23:00:00+01:00 (the time zone is required)."
                )
            if match:
                raw = match.group(0)
                fixed = raw[:-6] + "+" + raw[-5:] if raw[-6] == " " else raw
                tokens.append(_Token("datetime", raw, pos, normalize_datetime(fixed)))
                pos = match.end()
                continue
            match = _GUID.match(text, pos)
            if match:
                tokens.append(_Token("guid", match.group(0), pos, match.group(0)))
                pos = match.end()
                continue
            match = _DATE.match(text, pos) if char.isdigit() else None
            if match:
                try:
                    date.fromisoformat(match.group(0))
                except ValueError:
                    raise ODataQueryError(
                        f"Syntax error at position {pos} in {option}: "
                        f"'{match.group(0)}' is not a valid date."
                    ) from None
                tokens.append(_Token("date", match.group(0), pos, match.group(0)))
                pos = match.end()
                continue
            match = _NUMBER.match(text, pos) if char.isdigit() else None
            if match:
                raw = match.group(0)
                if match.group(1) or match.group(2):
                    tokens.append(_Token("num", raw, pos, float(raw)))
                else:
                    tokens.append(_Token("num", raw, pos, int(raw)))
                pos = match.end()
                continue
            if char.isdigit():
                bad = re.match(r"[\w.:-]+", text[pos:])
                word = bad.group(0) if bad else char
                raise ODataQueryError(
                    f"Syntax error at position {pos} in {option}: '{word}' is not a valid "
                    "number, GUID, date or date-time literal."
                )
        match = _IDENT.match(text, pos)
        if match:
            word = match.group(0)
            after = match.end()
            if "." in word and after < end and text[after] == "'":
                # Qualified enum literal such as Pbx.UserType'Extension': the value is the name.
                string = _STRING.match(text, after)
                if string:
                    value = string.group(1).replace("''", "'")
                    tokens.append(_Token("str", text[pos : string.end()], pos, value))
                    pos = string.end()
                    continue
            tokens.append(_Token("ident", word, pos, word))
            pos = after
            continue
        if char in _PUNCT:
            tokens.append(_Token("punct", char, pos, char))
            pos += 1
            continue
        raise ODataQueryError(
            f"Syntax error at position {pos} in {option}: unexpected character '{char}'."
        )
    tokens.append(_Token("eof", "", end))
    return tokens


# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------

_COMPARISON = {"eq", "ne", "gt", "ge", "lt", "le"}
_ADDITIVE = {"add", "sub"}
_MULTIPLICATIVE = {"mul", "div", "divby", "mod"}
_KEYWORDS = _COMPARISON | _ADDITIVE | _MULTIPLICATIVE | {"and", "or", "not", "in", "asc", "desc"}

# name -> (min args, max args)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "tolower": (1, 1),
    "toupper": (1, 1),
    "length": (1, 1),
    "trim": (1, 1),
    "concat": (2, 16),
    "indexof": (2, 2),
    "substring": (2, 3),
    "date": (1, 1),
    "time": (1, 1),
    "year": (1, 1),
    "month": (1, 1),
    "day": (1, 1),
    "hour": (1, 1),
    "minute": (1, 1),
    "second": (1, 1),
    "now": (0, 0),
    "round": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
}


class _Parser:
    """Recursive-descent parser; precedence: or < and < not < comparison < add < mul < unary."""

    def __init__(self, text: str, option: str) -> None:
        self.text = text
        self.option = option
        self.tokens = _tokenize(text, option)
        self.index = 0
        self.scope: list[str] = []

    # token helpers -----------------------------------------------------------------
    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.current
        if token.kind != "eof":
            self.index += 1
        return token

    def is_word(self, *words: str) -> bool:
        token = self.current
        return token.kind == "ident" and token.text.lower() in words

    def is_punct(self, char: str) -> bool:
        return self.current.kind == "punct" and self.current.text == char

    def error(self, expected: str, token: _Token | None = None) -> ODataQueryError:
        token = token or self.current
        found = "end of input" if token.kind == "eof" else f"'{token.text}'"
        return ODataQueryError(
            f"Syntax error at position {token.pos} in {self.option} '{self.text}': "
            f"expected {expected}, found {found}."
        )

    def expect_punct(self, char: str) -> _Token:
        if not self.is_punct(char):
            raise self.error(f"'{char}'")
        return self.advance()

    # grammar -------------------------------------------------------------------------
    def parse_whole(self) -> Node:
        node = self.parse_or()
        if self.current.kind != "eof":
            raise self.error("an operator such as 'and', 'or' or 'eq'")
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.is_word("or"):
            self.advance()
            node = Binary("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.is_word("and"):
            self.advance()
            node = Binary("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        # `not` takes a comparison as operand, so `not Name eq 'x'` means `not (Name eq 'x')`.
        if self.is_word("not"):
            self.advance()
            return Not(self.parse_not())
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        node = self.parse_additive()
        while True:
            if self.is_word(*_COMPARISON):
                op = self.advance().text.lower()
                node = Binary(op, node, self.parse_additive())
            elif self.is_word("in"):
                self.advance()
                node = In(node, self.parse_list())
            else:
                return node

    def parse_list(self) -> tuple[Node, ...]:
        self.expect_punct("(")
        values = [self.parse_additive()]
        while self.is_punct(","):
            self.advance()
            values.append(self.parse_additive())
        self.expect_punct(")")
        return tuple(values)

    def parse_additive(self) -> Node:
        node = self.parse_multiplicative()
        while self.is_word(*_ADDITIVE):
            op = self.advance().text.lower()
            node = Binary(op, node, self.parse_multiplicative())
        return node

    def parse_multiplicative(self) -> Node:
        node = self.parse_unary()
        while self.is_word(*_MULTIPLICATIVE):
            op = self.advance().text.lower()
            node = Binary("div" if op == "divby" else op, node, self.parse_unary())
        return node

    def parse_unary(self) -> Node:
        if self.is_punct("-"):
            self.advance()
            operand = self.parse_unary()
            if isinstance(operand, Literal) and operand.kind in ("int", "decimal"):
                return Literal(-operand.value, operand.kind)
            return Negate(operand)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.current
        if token.kind == "str":
            self.advance()
            return Literal(token.value, "string")
        if token.kind == "num":
            self.advance()
            return Literal(token.value, "int" if isinstance(token.value, int) else "decimal")
        if token.kind in ("guid", "datetime", "date"):
            self.advance()
            return Literal(token.value, token.kind)
        if self.is_punct("("):
            self.advance()
            node = self.parse_or()
            self.expect_punct(")")
            return node
        if token.kind != "ident":
            raise self.error("an expression")
        word = token.text.lower()
        if word in ("true", "false"):
            self.advance()
            return Literal(word == "true", "bool")
        if word == "null":
            self.advance()
            return Literal(None, "null")
        if word in _KEYWORDS:
            raise self.error("an expression")
        if self.peek().kind == "punct" and self.peek().text == "(":
            return self.parse_call()
        return self.parse_path()

    def parse_call(self) -> Node:
        token = self.advance()
        name = token.text.lower()
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ODataQueryError(
                f"Unknown function '{token.text}' at position {token.pos} in {self.option}. "
                f"Supported functions: {known}."
            )
        self.expect_punct("(")
        args: list[Node] = []
        if not self.is_punct(")"):
            args.append(self.parse_or())
            while self.is_punct(","):
                self.advance()
                args.append(self.parse_or())
        self.expect_punct(")")
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            raise ODataQueryError(
                f"Function '{name}' at position {token.pos} in {self.option} takes {wanted} "
                f"argument(s), {len(args)} given."
            )
        return Call(name, tuple(args), token.pos)

    def parse_path(self) -> Node:
        first = self.advance()
        if "." in first.text or first.text.startswith("$"):
            raise self.error("a property name", first)
        segments = [first.text]
        node: Node = Prop((first.text,), first.pos)
        while self.is_punct("/"):
            self.advance()
            seg = self.current
            if seg.kind != "ident" or "." in seg.text or seg.text.startswith("$"):
                raise self.error("a property name after '/'")
            self.advance()
            if seg.text.lower() in ("any", "all") and self.is_punct("("):
                node = self.parse_lambda(Prop(tuple(segments), first.pos), seg.text.lower())
                if self.is_punct("/"):
                    raise self.error("an operator after a lambda expression")
                return node
            segments.append(seg.text)
            node = Prop(tuple(segments), first.pos)
        return node

    def parse_lambda(self, collection: Prop, kind: str) -> Node:
        self.expect_punct("(")
        if self.is_punct(")"):
            self.advance()
            if kind == "all":
                raise self.error("a lambda variable and a condition, as in all(x: x eq 1)")
            return Lambda(collection, kind, None, None)
        var = self.current
        if var.kind != "ident" or not IDENTIFIER.match(var.text) or var.text.lower() in _KEYWORDS:
            raise self.error("a lambda variable name")
        self.advance()
        self.expect_punct(":")
        self.scope.append(var.text)
        try:
            body = self.parse_or()
        finally:
            self.scope.pop()
        self.expect_punct(")")
        return Lambda(collection, kind, var.text, body)


def parse_filter(text: str) -> Node:
    """Parse a ``$filter`` expression into an AST (raises :class:`ODataQueryError`)."""
    if not text.strip():
        raise ODataQueryError(
            "The $filter query option is empty: give an expression such as Name eq 'x'."
        )
    return _Parser(text, "$filter").parse_whole()


def parse_orderby(text: str) -> tuple[OrderBy, ...]:
    """Parse ``$orderby``: comma-separated expressions, each optionally ``asc`` or ``desc``."""
    parser = _Parser(text, "$orderby")
    items: list[OrderBy] = []
    while True:
        expr = parser.parse_additive()
        descending = False
        if parser.is_word("asc", "desc"):
            descending = parser.advance().text.lower() == "desc"
        items.append(OrderBy(expr, descending))
        if parser.current.kind == "eof":
            return tuple(items)
        if not parser.is_punct(","):
            raise parser.error("',' or 'asc'/'desc'")
        parser.advance()


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


def _split_top(text: str, sep: str, option: str) -> Iterator[tuple[int, str]]:
    """Split on ``sep`` outside parentheses and quotes, yielding (offset, piece)."""
    depth, start, quoted = 0, 0, False
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ODataQueryError(
                    f"Syntax error at position {i} in {option} '{text}': unbalanced ')'."
                )
        elif char == sep and depth == 0:
            yield start, text[start:i]
            start = i + 1
    if depth or quoted:
        what = "an unterminated string" if quoted else "an unclosed '('"
        raise ODataQueryError(f"Syntax error at position {len(text)} in {option} '{text}': {what}.")
    yield start, text[start:]


_EXPAND_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\*)\s*(?:\((.*)\))?\s*\Z", re.DOTALL)


def parse_expand(text: str) -> dict[str, QueryOptions]:
    """Parse ``$expand`` such as ``Groups($select=Name;$expand=Rights),Tags``."""
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
        result[name] = parse_query(nested, max_top=None)
    return result


def _non_negative(name: str, raw: str) -> int:
    text = raw.strip()
    if not re.fullmatch(r"\+?\d+", text):
        kind = "a negative number" if re.fullmatch(r"-\d+", text) else "not an integer"
        raise ODataQueryError(
            f"Invalid value '{raw}' for {name}: {kind}; {name} takes a whole number 0 or larger."
        )
    return int(text)


def parse_query(params: Mapping[str, str], *, max_top: int | None = 100) -> QueryOptions:
    """Read the OData system query options out of ``params`` (unknown ``$`` options are ignored).

    ``max_top`` is the PBX's page limit for ordinary entity sets; pass None where the PBX
    accepts any ``$top`` (report functions, nested expand options).
    """
    options = QueryOptions()
    if (text := params.get("$filter")) is not None:
        options.filter = parse_filter(text)
    if (text := params.get("$select")) is not None and text.strip():
        options.select = parse_select(text)
    if (text := params.get("$orderby")) is not None and text.strip():
        options.orderby = parse_orderby(text)
    if (text := params.get("$top")) is not None:
        options.top = _non_negative("$top", text)
        if max_top is not None and options.top > max_top:
            raise ODataQueryError(
                f"The limit of '{max_top}' for Top query has been exceeded. "
                f"The value from the incoming request is '{options.top}'."
            )
    if (text := params.get("$skip")) is not None:
        options.skip = _non_negative("$skip", text)
    if (text := params.get("$count")) is not None:
        flag = text.strip().lower()
        if flag not in ("true", "false"):
            raise ODataQueryError(f"Invalid value '{text}' for $count: use true or false.")
        options.count = flag == "true"
    if (text := params.get("$expand")) is not None and text.strip():
        options.expand = parse_expand(text)
    if (text := params.get("$search")) is not None:
        options.search = text
    return options


# --------------------------------------------------------------------------------------
# Validation against a known property set
# --------------------------------------------------------------------------------------


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
    elif isinstance(node, Not | Negate):
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
) -> None:
    """Reject references to properties ``type_name`` does not have (top-level names only)."""
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


# --------------------------------------------------------------------------------------
# SQL compilation
# --------------------------------------------------------------------------------------

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
        if isinstance(node, Not):
            sql, params = self.compile(node.operand)
            return f"(NOT {sql})", params
        if isinstance(node, Negate):
            sql, params = self.compile(node.operand)
            return f"(-{sql})", params
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


# --------------------------------------------------------------------------------------
# Projection ($select / $expand) of result dicts
# --------------------------------------------------------------------------------------

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
