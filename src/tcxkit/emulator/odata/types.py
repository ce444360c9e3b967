"""Type checks of ``$filter`` as the PBX's OData library makes them, worded as it words them.

A PBX parses ``$filter`` with Microsoft's OData library, which binds every operand to an
Edm type before it runs a query: ``Number eq 100`` (a string property against an
``Edm.Int32`` literal) is refused with 400, not answered with an empty list.  The
messages below are that library's (its ``MetadataBinder_*`` strings); the signatures are
the canonical functions' of OData 4.01 part 2, 5.1.1.

Only what the property types decide is checked here (a comparison of a property with a
literal, a function's arguments, a lambda's collection); the parser already refuses
unknown functions and wrong argument counts with the same wording.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ODataQueryError
from .nodes import Binary, Call, In, Lambda, Literal, Node, Prop, Unary

__all__ = ["SIGNATURES", "check_types", "no_signature", "unknown_function"]

_S = "Edm.String Nullable=true"
_DT = "Edm.DateTimeOffset Nullable=true"
_PARTS = (f"({_DT})", "(Edm.Date Nullable=true)", "(Edm.TimeOfDay Nullable=true)")

#: The canonical functions and the signatures the library lists when none matches.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "contains": (f"({_S}, {_S})",),
    "startswith": (f"({_S}, {_S})",),
    "endswith": (f"({_S}, {_S})",),
    "indexof": (f"({_S}, {_S})",),
    "concat": (f"({_S}, {_S})",),
    "length": (f"({_S})",),
    "tolower": (f"({_S})",),
    "toupper": (f"({_S})",),
    "trim": (f"({_S})",),
    "substring": (f"({_S}, Edm.Int32)", f"({_S}, Edm.Int32, Edm.Int32)"),
    "date": (f"({_DT})",),
    "time": (f"({_DT})",),
    "year": _PARTS[:2],
    "month": _PARTS[:2],
    "day": _PARTS[:2],
    "hour": (_PARTS[0], _PARTS[2]),
    "minute": (_PARTS[0], _PARTS[2]),
    "second": (_PARTS[0], _PARTS[2]),
    "now": ("()",),
    "round": ("(Edm.Double Nullable=true)", "(Edm.Decimal Nullable=true)"),
    "floor": ("(Edm.Double Nullable=true)", "(Edm.Decimal Nullable=true)"),
    "ceiling": ("(Edm.Double Nullable=true)", "(Edm.Decimal Nullable=true)"),
}

_OPERATOR_KINDS = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
_LITERAL_TYPES = {
    "string": "Edm.String",
    "int": "Edm.Int32",
    "decimal": "Edm.Decimal",
    "bool": "Edm.Boolean",
    "guid": "Edm.Guid",
    "datetime": "Edm.DateTimeOffset",
    "date": "Edm.Date",
}
_NUMERIC = frozenset({"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Double", "Edm.Decimal"})
#: Literal kinds a property of each primitive type cannot be compared with.
_INCOMPATIBLE = {
    "Edm.String": frozenset({"int", "decimal", "bool", "guid", "datetime", "date"}),
    "Edm.Boolean": frozenset({"int", "decimal", "string", "guid", "datetime", "date"}),
    **{t: frozenset({"string", "bool", "guid", "datetime", "date"}) for t in _NUMERIC},
    # (a quoted date-time is left to the SQL compiler, which reads it as a date-time)
    "Edm.DateTimeOffset": frozenset({"int", "decimal", "bool", "guid"}),
    "Edm.Guid": frozenset({"int", "decimal", "bool", "datetime", "date"}),
}
_STRING_ARGS = frozenset(
    {"contains", "startswith", "endswith", "indexof", "length", "tolower", "toupper", "trim"}
)


def unknown_function(name: str) -> ODataQueryError:
    return ODataQueryError(
        f"An unknown function with name '{name}' was found. This may also be a function "
        "import or a key lookup on a navigation property, which is not allowed."
    )


def no_signature(name: str) -> ODataQueryError:
    considered = ", ".join(f"{name}{sig}" for sig in SIGNATURES.get(name, ("()",)))
    return ODataQueryError(
        f"No function signature for the function with name '{name}' matches the specified "
        f"arguments. The function signatures considered are: {considered}."
    )


def check_types(node: Node | None, types: Mapping[str, str]) -> None:
    """Refuse what the library refuses when it binds ``node`` (``types``: property -> Edm)."""
    if node is None or not types:
        return
    _Checker(types).visit(node, frozenset())


class _Checker:
    def __init__(self, types: Mapping[str, str]) -> None:
        self.types = types

    def type_of(self, node: Node, bound: frozenset[str]) -> str | None:
        """The Edm type of a property or literal operand; None when not decided here."""
        if isinstance(node, Literal):
            return _LITERAL_TYPES.get(node.kind)
        if isinstance(node, Prop) and len(node.path) == 1 and node.path[0] not in bound:
            return self.types.get(node.path[0])
        return None

    def visit(self, node: Node | None, bound: frozenset[str]) -> None:
        if isinstance(node, Binary):
            self.visit(node.left, bound)
            self.visit(node.right, bound)
            if node.op in _OPERATOR_KINDS:
                self.compare(node.left, node.right, node.op, bound)
        elif isinstance(node, Unary):
            self.visit(node.operand, bound)
        elif isinstance(node, In):
            self.visit(node.operand, bound)
            for value in node.values:
                self.compare(node.operand, value, "eq", bound)
        elif isinstance(node, Call):
            for arg in node.args:
                self.visit(arg, bound)
            if node.name in _STRING_ARGS:
                for arg in node.args:
                    found = self.type_of(arg, bound)
                    if found is not None and found != "Edm.String":
                        raise no_signature(node.name)
        elif isinstance(node, Lambda):
            found = self.type_of(node.collection, bound)
            if found is not None and not found.startswith("Collection("):
                raise ODataQueryError("Any/All may only be used following a collection.")
            inner = bound | {node.var} if node.var else bound
            self.visit(node.body, inner)

    def compare(self, left: Node, right: Node, op: str, bound: frozenset[str]) -> None:
        pair = (left, right) if isinstance(right, Literal) else (right, left)
        prop, literal = pair
        if not isinstance(literal, Literal) or not isinstance(prop, Prop):
            return
        prop_type = self.type_of(prop, bound)
        if prop_type is None or literal.kind not in _INCOMPATIBLE.get(prop_type, ()):
            return
        left_type, right_type = self.type_of(left, bound), self.type_of(right, bound)
        if literal.kind == "int" and abs(int(literal.value)) > 2**31 - 1:
            wide = "Edm.Int64"
            left_type = wide if left is literal else left_type
            right_type = wide if right is literal else right_type
        raise ODataQueryError(
            "A binary operator with incompatible types was detected. Found operand types "
            f"'{left_type}' and '{right_type}' for operator kind '{_OPERATOR_KINDS[op]}'."
        )
