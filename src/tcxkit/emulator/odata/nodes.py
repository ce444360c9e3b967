"""The parsed shape of ``$filter``/``$orderby``: small frozen AST nodes.

The parser builds them, the SQL compiler and the property checks walk them, and the store
builds them from programmatic conditions; keeping them apart lets each of those depend on
the tree alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Binary", "Call", "In", "Lambda", "Literal", "Node", "OrderBy", "Prop", "Unary"]


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
class Unary:
    """``not operand`` (``op`` ``"not"``) or ``-operand`` (``op`` ``"-"``)."""

    op: str
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


Node = Literal | Prop | Binary | Unary | In | Call | Lambda


@dataclass(frozen=True)
class OrderBy:
    """One ``$orderby`` item."""

    expr: Node
    descending: bool = False
