"""The ``$filter`` and ``$orderby`` grammar: a recursive-descent parser producing :mod:`.nodes`.

Errors name the option, the character position and what was expected, the way a client
needs them to fix a query.
"""

from __future__ import annotations

from ..limits import MAX_FILTER_DEPTH, MAX_FILTER_TOKENS
from .errors import ODataQueryError
from .lexer import IDENTIFIER, Token, tokenize
from .nodes import (
    Binary,
    Call,
    In,
    Lambda,
    Literal,
    Node,
    OrderBy,
    Prop,
    Unary,
)
from .types import no_signature, unknown_function

__all__ = ["FUNCTIONS", "parse_filter", "parse_orderby"]

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
        self.tokens = tokenize(text, option)
        if len(self.tokens) > MAX_FILTER_TOKENS:
            raise ODataQueryError(
                f"The {option} has {len(self.tokens) - 1} tokens; the limit is "
                f"{MAX_FILTER_TOKENS}. Split the query or use 'in' lists."
            )
        self.index = 0
        self.scope: list[str] = []
        self.depth = 0

    # token helpers -----------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.current
        if token.kind != "eof":
            self.index += 1
        return token

    def is_word(self, *words: str) -> bool:
        token = self.current
        return token.kind == "ident" and token.text.lower() in words

    def is_punct(self, char: str) -> bool:
        return self.current.kind == "punct" and self.current.text == char

    def error(self, expected: str, token: Token | None = None) -> ODataQueryError:
        token = token or self.current
        found = "end of input" if token.kind == "eof" else f"'{token.text}'"
        return ODataQueryError(
            f"Syntax error at position {token.pos} in {self.option} '{self.text}': "
            f"expected {expected}, found {found}."
        )

    def expect_punct(self, char: str) -> Token:
        if not self.is_punct(char):
            raise self.error(f"'{char}'")
        return self.advance()

    def enter(self) -> None:
        """One level deeper (parenthesis, ``not``, call, lambda, list): bounded, see limits."""
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise self.too_deep()

    def too_deep(self) -> ODataQueryError:
        return ODataQueryError(
            f"The {self.option} nests deeper than {MAX_FILTER_DEPTH} levels at position "
            f"{self.current.pos}; flatten it (a chain of 'and'/'or' terms needs no parentheses)."
        )

    # grammar -------------------------------------------------------------------------
    def parse_whole(self) -> Node:
        node = self.parse_or()
        if self.current.kind != "eof":
            raise self.error("an operator such as 'and', 'or' or 'eq'")
        if _depth(node) > MAX_FILTER_DEPTH:
            raise self.too_deep()
        return node

    def parse_or(self) -> Node:
        terms = [self.parse_and()]
        while self.is_word("or"):
            self.advance()
            terms.append(self.parse_and())
        return _balanced("or", terms)

    def parse_and(self) -> Node:
        terms = [self.parse_not()]
        while self.is_word("and"):
            self.advance()
            terms.append(self.parse_not())
        return _balanced("and", terms)

    def parse_not(self) -> Node:
        # `not` takes a comparison as operand, so `not Name eq 'x'` means `not (Name eq 'x')`.
        if self.is_word("not"):
            self.advance()
            self.enter()
            node = Unary("not", self.parse_not())
            self.depth -= 1
            return node
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
        self.enter()
        values = [self.parse_additive()]
        while self.is_punct(","):
            self.advance()
            values.append(self.parse_additive())
        self.expect_punct(")")
        self.depth -= 1
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
            self.enter()
            operand = self.parse_unary()
            self.depth -= 1
            if isinstance(operand, Literal) and operand.kind in ("int", "decimal"):
                return Literal(-operand.value, operand.kind)
            return Unary("-", operand)
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
            self.enter()
            node = self.parse_or()
            self.expect_punct(")")
            self.depth -= 1
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
            raise unknown_function(token.text)
        self.expect_punct("(")
        self.enter()
        args: list[Node] = []
        if not self.is_punct(")"):
            args.append(self.parse_or())
            while self.is_punct(","):
                self.advance()
                args.append(self.parse_or())
        self.expect_punct(")")
        self.depth -= 1
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            raise no_signature(name)
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
        self.enter()
        self.scope.append(var.text)
        try:
            body = self.parse_or()
        finally:
            self.scope.pop()
        self.expect_punct(")")
        self.depth -= 1
        return Lambda(collection, kind, var.text, body)


def _balanced(op: str, terms: list[Node]) -> Node:
    """``a op b op c …`` as a balanced tree: its depth grows with log2 of the terms.

    A left-deep chain of 300 ``or`` terms would recurse 300 levels in every walk of the
    tree and nest 300 parentheses in the SQL, past SQLite's parser stack; both operators
    are associative, so the balanced tree means the same.
    """
    while len(terms) > 1:
        paired = [Binary(op, terms[i], terms[i + 1]) for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def _depth(root: Node) -> int:
    """The depth of an expression tree, without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        children: tuple = ()
        if isinstance(node, Binary):
            children = (node.left, node.right)
        elif isinstance(node, Unary):
            children = (node.operand,)
        elif isinstance(node, In):
            children = (node.operand, *node.values)
        elif isinstance(node, Call):
            children = node.args
        elif isinstance(node, Lambda):
            children = (node.collection,) if node.body is None else (node.collection, node.body)
        stack.extend((child, level + 1) for child in children)
    return deepest


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
