"""Check a value against an XAPI (OpenAPI 3.0) schema before it is sent.

Why our own checker rather than a JSON-Schema library: we must *coerce* where
that is lossless and expected (``{"DnNumbers": [1234]}`` although the spec
types numbers as strings; ``"42"`` from a command line for an ``Id``), collect
every problem with its JSON path in one pass, and suggest the property the
user probably meant.  Only the keywords the 3CX specs use are handled.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import uuid
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .catalog.model import STRING_FORMATS
from .errors import Problem
from .odata import integer_too_long, iso_duration, literal

if TYPE_CHECKING:
    from .schemas import SchemaIndex

__all__ = ["Checker", "describe", "iso_duration", "unknown_property"]


_FORMAT_BITS = {"int32": 32, "int64": 64}
_INT_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_NUM_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$")


@lru_cache(maxsize=512)
def _pattern(p: str) -> re.Pattern[str]:
    return re.compile(p)


def describe(schema: dict[str, Any]) -> str:
    t = schema.get("type")
    fmt = schema.get("format")
    if fmt and t in ("string", "integer", "number"):
        return f"{t} ({fmt})"
    return str(t or "value")


class Checker:
    """Validates and coerces values; ``problems`` accumulates across calls."""

    def __init__(self, index: SchemaIndex) -> None:
        self._index = index
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- entry point -------------------------------------------------------
    def check(self, value: Any, schema: dict[str, Any] | None, path: str) -> Any:
        if not schema:
            return value
        if "$ref" in schema:
            return self.check(value, self._index.resolve(schema), path)
        if value is None:
            untyped = not any(
                k in schema for k in ("type", "allOf", "properties", "oneOf", "anyOf")
            )
            if schema.get("nullable") or untyped:
                return None
            self.fail(path, f"must not be null (expected {describe(self._flat(schema))})")
            return None
        if "allOf" in schema:
            return self._all_of(value, schema, path)
        if "oneOf" in schema or "anyOf" in schema:
            return self._one_of(value, schema.get("oneOf") or schema["anyOf"], path)
        t = schema.get("type")
        if t == "object" or (t is None and "properties" in schema):
            return self._object(value, schema, path)
        if t == "array":
            return self._array(value, schema, path)
        if t == "string":
            return self._string(value, schema, path)
        if t == "integer":
            return self._integer(value, schema, path)
        if t == "number":
            return self._number(value, schema, path)
        if t == "boolean":
            return self._boolean(value, path)
        return value

    def _flat(self, schema: dict[str, Any]) -> dict[str, Any]:
        return self._index.unwrap(schema)

    # -- composites --------------------------------------------------------
    def _all_of(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        # Entity inheritance (allOf of object schemas) is checked as one merged
        # object: part by part, each part would flag the other's properties.
        props = self._index.declared_properties(schema)
        if props is not None:
            merged = {"properties": props, "required": self._index.declared_required(schema)}
            return self._object(value, merged, path)
        for part in schema["allOf"]:
            value = self.check(value, part, path)
        return value

    def _one_of(self, value: Any, options: list[dict[str, Any]], path: str) -> Any:
        for option in options:
            trial = Checker(self._index)
            result = trial.check(value, option, path)
            if not trial.problems:
                return result
        labels = ", ".join(describe(self._flat(o)) for o in options)
        self.fail(path, f"does not match any of: {labels}")
        return value

    def _object(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if not isinstance(value, dict):
            self.fail(path, f"expected an object, got {_kind(value)}")
            return value
        props: dict[str, Any] = schema.get("properties", {})
        out: dict[str, Any] = {}
        for name, item in value.items():
            sub = f"{path}.{name}" if path else name
            if name in props:
                out[name] = self.check(item, props[name], sub)
            elif name.startswith("@odata.") or "@odata." in name:
                out[name] = item
            elif props and schema.get("additionalProperties") in (None, False):
                self.fail(sub, unknown_property(name, props))
                out[name] = item
            else:
                out[name] = item
        for name in schema.get("required", ()):
            if name not in value:
                self.fail(f"{path}.{name}" if path else name, "is required")
        return out

    def _array(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if isinstance(value, tuple | set | frozenset):
            value = list(value)
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_kind(value)}")
            return value
        items = schema.get("items")
        return [self.check(v, items, f"{path}[{i}]") for i, v in enumerate(value)]

    # -- scalars -----------------------------------------------------------
    def _string(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        fmt = schema.get("format")
        if isinstance(value, bool):
            self.fail(path, f"expected a string, got {_kind(value)}")
            return value
        if isinstance(value, int) and (why := integer_too_long(value)):
            self.fail(path, why)
            return value
        if isinstance(value, float) and value.is_integer():
            value = str(int(value))  # 1234.0 (e.g. from a spreadsheet) -> "1234", not "1234.0"
        elif isinstance(value, int | float):
            value = str(value)  # lossless: 1234 -> "1234"
        elif isinstance(value, _dt.datetime | _dt.date) and fmt in ("date-time", "date", None):
            value = literal(value, "Edm.DateTimeOffset") if fmt != "date" else value.isoformat()
        elif isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, _dt.timedelta) and fmt == "duration":
            value = iso_duration(value)
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_kind(value)}")
            return value
        enum = schema.get("enum")
        if enum is not None and value not in enum:
            close = difflib.get_close_matches(value, [str(e) for e in enum], n=3)
            choices = ", ".join(str(e) for e in enum[:12]) + (", ..." if len(enum) > 12 else "")
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            self.fail(path, f"{value!r} is not one of: {choices}{hint}")
            return value
        pattern = schema.get("pattern")
        if pattern and not _pattern(pattern).search(value):
            self.fail(path, f"{value!r} is not a valid {fmt or 'value'} ({_pattern_hint(fmt)})")
        max_len = schema.get("maxLength")
        if max_len is not None and len(value) > max_len:
            self.fail(path, f"is {len(value)} characters long, at most {max_len} allowed")
        return value

    def _integer(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if isinstance(value, bool):
            self.fail(path, f"expected an integer, got {_kind(value)}")
            return value
        if (why := integer_too_long(value)) is not None:  # before int(): see MAX_INT_DIGITS
            self.fail(path, why)
            return value
        if isinstance(value, str) and _INT_TEXT.match(value.strip()):
            value = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            self.fail(path, f"expected an integer, got {_kind(value)}")
            return value
        bits = _FORMAT_BITS.get(schema.get("format") or "")
        if (
            bits
            and "minimum" not in schema
            and "maximum" not in schema
            and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
        ):
            self.fail(path, f"{value} does not fit an {schema['format']} (a PBX answers 400)")
            return value
        return self._range(value, schema, path)

    def _number(self, value: Any, schema: dict[str, Any], path: str) -> Any:
        if (why := integer_too_long(value)) is not None:
            self.fail(path, why)
            return value
        if isinstance(value, str) and _NUM_TEXT.match(value.strip()):
            text = value.strip()
            value = int(text) if _INT_TEXT.match(text) else float(text)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {_kind(value)}")
            return value
        return self._range(value, schema, path)

    def _range(self, value: int | float, schema: dict[str, Any], path: str) -> int | float:
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(path, f"{value} is out of range [{lo}, {hi}]")
        return value

    def _boolean(self, value: Any, path: str) -> Any:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_kind(value)}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def unknown_property(name: str, props: dict[str, Any]) -> str:
    """The "unknown property" message, with the nearest declared names (or a case-only match)."""
    close = difflib.get_close_matches(name, list(props), n=3, cutoff=0.6)
    if not close:
        lowered = {p.lower(): p for p in props}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    if close:
        return f"unknown property (did you mean {', '.join(close)}?)"
    return "unknown property"


def _pattern_hint(fmt: str | None) -> str:
    known = STRING_FORMATS.get(fmt or "")
    return known.how if known else "see the pattern in the action's page"
