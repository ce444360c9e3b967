"""Match OData request paths to a release's operations.

Every path template of the release is split once, at start-up, into segments
such as ``Users`` + key, ``Peers`` + ``(Number=…)`` or
``Pbx.GetCallLogData`` + named arguments.  A request path is split the same
way (respecting quotes), turned into a *signature* and looked up in a dict, so
routing costs one split and one hash however many operations exist.  Function
arguments may come in any order; a missing or extra argument gives no match,
which the app answers with 404 like a real PBX.

Literals are decoded by the declared parameter type: strings quoted with
``'`` doubled inside, integers, booleans, GUIDs and date-times bare, ``null``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..catalog import Action, Catalog
from .odata.lexer import MAX_NUMBER_CHARS, int_literal, split_top_level

__all__ = ["LiteralError", "Match", "Router", "decode_literal", "split_path"]

_NAMED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_PLACEHOLDER = re.compile(r"^\{([^}]+)\}$")
_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(
    r"^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9]([.][0-9]{1,12})?)?(Z|[+-][0-9][0-9]:[0-9][0-9])$"
)
_QUOTED = re.compile(r"^'((?:[^']|'')*)'$", re.S)
_INT_RANGE = {"Edm.Int32": (-(2**31), 2**31 - 1), "Edm.Int64": (-(2**63), 2**63 - 1)}


class LiteralError(ValueError):
    """A path literal that does not fit its parameter (answered 400, keys and
    function arguments alike).

    ``quoting`` is True for malformed or missing string quotes, so a message can
    tell the two mistakes apart.
    """

    def __init__(self, param: str, message: str, *, quoting: bool = False):
        super().__init__(message)
        self.param = param
        self.message = message
        self.quoting = quoting


@dataclass(frozen=True, slots=True)
class Segment:
    """One path segment: a name and its argument shape."""

    name: str
    shape: str | None  # None (no parens), "()" , "key", or "n:" + sorted names
    args: tuple[tuple[str | None, str], ...] = ()  # (name or None for key, raw text)


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    """Split on ``sep`` where it is outside quotes and parentheses (imbalance tolerated)."""
    return [piece for _, piece in split_top_level(text, sep).pieces]


def _parse_segment(text: str) -> Segment | None:
    """``Name``, ``Name()``, ``Name(lit)`` or ``Name(a=lit,b=lit)``; None when malformed."""
    paren = text.find("(")
    if paren < 0:
        return Segment(text, None) if text else None
    if not text.endswith(")"):
        return None
    name = text[:paren]
    inner = text[paren + 1 : -1]
    if not name:
        return None
    if inner == "":
        return Segment(name, "()")
    parts = _split_outside_quotes(inner, ",")
    named: list[tuple[str | None, str]] = []
    for part in parts:
        m = _NAMED.match(part) if not part.startswith("'") else None
        named.append((m.group(1), m.group(2)) if m else (None, part))
    if len(named) == 1 and named[0][0] is None:
        return Segment(name, "key", tuple(named))
    if any(n is None for n, _ in named):
        return None
    names = sorted(n for n, _ in named if n is not None)
    if len(set(names)) != len(names):
        return None
    return Segment(name, "n:" + ",".join(names), tuple(named))


def split_path(path: str) -> list[Segment] | None:
    """Parse a (percent-decoded) path below ``/xapi/v1`` into segments."""
    path = path.strip("/")
    if not path:
        return []
    segments = []
    for raw in _split_outside_quotes(path, "/"):
        seg = _parse_segment(raw)
        if seg is None:
            return None
        segments.append(seg)
    return segments


def decode_literal(text: str, param: Any) -> Any:
    """Decode one URL literal by ``param.type`` (an Edm type name)."""
    edm = param.type
    name = param.name
    if text == "null":
        if param.nullable or edm == "Edm.String":
            return None
        raise LiteralError(name, f"Parameter '{name}' cannot be null (type {edm}).")
    if edm == "Edm.String" or edm.startswith("Pbx."):
        m = _QUOTED.match(text)
        if m:
            return m.group(1).replace("''", "'")
        if text.startswith("'"):
            raise LiteralError(
                name,
                f"The string literal {text} for '{name}' is not properly quoted: "
                "close it with ' and write every ' inside it as ''.",
                quoting=True,
            )
        raise LiteralError(
            name,
            f"The value {_shown(text)} for '{name}' must be a quoted string literal, "
            f"e.g. {name}='{text}'.",
            quoting=True,
        )
    if edm in _INT_RANGE:
        if not _INT.match(text):
            raise LiteralError(name, f"The value {_shown(text)} for '{name}' is not a valid {edm}.")
        value = int_literal(text)  # None: more digits than any Edm integer holds
        lo = param.schema.get("minimum", _INT_RANGE[edm][0])
        hi = param.schema.get("maximum", _INT_RANGE[edm][1])
        if value is None or not lo <= value <= hi:
            raise LiteralError(
                name,
                f"The value {_shown(text, quoted=False)} for '{name}' is out of range {lo}..{hi}.",
            )
        return value
    if edm == "Edm.Boolean":
        if text in ("true", "false"):
            return text == "true"
        raise LiteralError(name, f"The value {_shown(text)} for '{name}' must be true or false.")
    if edm == "Edm.Guid":
        if _GUID.match(text):
            return text.lower()
        raise LiteralError(
            name, f"The value {_shown(text)} for '{name}' is not a GUID (write it bare, no quotes)."
        )
    if edm == "Edm.DateTimeOffset":
        if _DATETIME.match(text) and _is_datetime(text):
            return text
        raise LiteralError(
            name,
            f"The value {_shown(text)} for '{name}' is not a date-time; write it bare with an offset, "
            "e.g. 2025-03-13T23:00:00Z.",
        )
    if edm in ("Edm.Double", "Edm.Single", "Edm.Decimal"):
        if len(text) <= MAX_NUMBER_CHARS and _FLOAT.match(text) and math.isfinite(float(text)):
            return float(text)
        raise LiteralError(name, f"The value {_shown(text)} for '{name}' is not a number.")
    m = _QUOTED.match(text)
    return m.group(1).replace("''", "'") if m else text


def _shown(text: str, *, quoted: bool = True) -> str:
    """A literal as an error message quotes it: whole when short, else its start and size."""
    if len(text) <= 40:
        return repr(text) if quoted else text
    return f"{text[:20]!r}...({len(text)} characters)"


def _is_datetime(text: str) -> bool:
    """A date-time a .NET ``DateTimeOffset`` holds: a real date in the years 1 to 9999."""
    from datetime import datetime

    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Route:
    action: Action
    segments: tuple[Segment, ...]
    # positional (key) placeholders per segment index -> parameter name
    keys: dict[int, str]
    # named placeholders: (segment index, arg name) -> parameter name
    named: dict[tuple[int, str], str]


@dataclass(slots=True)
class Match:
    """The outcome of routing: an action with its raw path arguments, or why not."""

    action: Action | None = None
    raw: dict[str, str] | None = None
    status: int = 200  # 404 or 405 when action is None
    allowed: tuple[str, ...] = ()
    hint: str = ""


def _signature(segments: list[Segment] | tuple[Segment, ...]) -> tuple[tuple[str, str | None], ...]:
    return tuple((s.name, s.shape) for s in segments)


class Router:
    """All routes of one catalog, looked up by path signature."""

    def __init__(self, cat: Catalog):
        self.catalog = cat
        self._routes: dict[tuple, dict[str, Route]] = {}
        self._by_names: dict[tuple[str, ...], list[Route]] = {}
        for action in cat:
            segments = split_path(action.path)
            if segments is None:  # pragma: no cover - the shipped specs all parse
                raise ValueError(f"Cannot parse path template {action.path!r}")
            keys: dict[int, str] = {}
            named: dict[tuple[int, str], str] = {}
            for i, seg in enumerate(segments):
                for arg, raw in seg.args:
                    m = _PLACEHOLDER.match(raw)
                    pname = m.group(1) if m else raw
                    if arg is None:
                        keys[i] = pname
                    else:
                        named[(i, arg)] = pname
            route = Route(action, tuple(segments), keys, named)
            self._routes.setdefault(_signature(segments), {})[action.method] = route
            self._by_names.setdefault(tuple(s.name for s in segments), []).append(route)

    def __len__(self) -> int:
        return sum(len(m) for m in self._routes.values())

    def match(self, method: str, path: str) -> Match:
        """Find the operation for ``method`` + decoded ``path`` (below /xapi/v1)."""
        segments = split_path(path)
        if segments is None:
            return Match(status=404, hint="The path is not a well-formed OData resource path.")
        methods = self._routes.get(_signature(segments))
        if methods is None:
            alt = self._key_alias(segments)
            if alt is not None:
                segments = alt
                methods = self._routes.get(_signature(segments))
        if methods is None:
            return Match(status=404, hint=self._near_miss(segments))
        route = methods.get(method)
        if route is None:
            return Match(status=405, allowed=tuple(sorted(methods)))
        raw: dict[str, str] = {}
        for i, seg in enumerate(segments):
            for arg, text in seg.args:
                pname = route.keys.get(i) if arg is None else route.named.get((i, arg))
                if pname is not None:
                    raw[pname] = text
        return Match(action=route.action, raw=raw)

    def _key_alias(self, segments: list[Segment]) -> list[Segment] | None:
        """``Users(Id=5)`` is the long form of ``Users(5)``."""
        out = list(segments)
        changed = False
        for i, seg in enumerate(segments):
            if seg.shape and seg.shape.startswith("n:") and len(seg.args) == 1:
                out[i] = Segment(seg.name, "key", ((None, seg.args[0][1]),))
                changed = True
        if not changed:
            return None
        methods = self._routes.get(_signature(out))
        if not methods:
            return None
        route = next(iter(methods.values()))
        for i, seg in enumerate(segments):
            if out[i] is not seg and route.keys.get(i) != seg.args[0][0]:
                return None
        return out

    def _near_miss(self, segments: list[Segment]) -> str:
        """Explain a 404 when the names exist but the arguments differ."""
        candidates = self._by_names.get(tuple(s.name for s in segments), [])
        for route in candidates:
            for i, (want, got) in enumerate(zip(route.segments, segments, strict=True)):
                if want.shape == got.shape:
                    continue
                if want.shape and want.shape.startswith("n:"):
                    need = set(want.shape[2:].split(","))
                    have = {a for a, _ in got.args if a}
                    missing = sorted(need - have)
                    extra = sorted(have - need)
                    bits = []
                    if missing:
                        bits.append("missing " + ", ".join(missing))
                    if extra:
                        bits.append("unknown " + ", ".join(extra))
                    return (
                        f"{want.name} takes ({', '.join(sorted(need))}); "
                        + "; ".join(bits or ["arguments differ"])
                        + f". Template: {route.action.path}"
                    )
                if want.shape == "()" and got.shape is None and i == len(segments) - 1:
                    return f"Call the function with parentheses: {route.action.path}"
                return f"Expected {route.action.path}"
        return ""
