"""Validate JSON bodies against a release's schemas, PBX style.

A small interpreter for the OpenAPI 3.0 subset the 3CX specs use (type,
format, nullable, enum, $ref, allOf, oneOf, anyOf, properties, items,
pattern, minimum/maximum, maxLength, required, additionalProperties, and the
date-time, date and duration formats).  It
collects every failing property rather than stopping at the first, because
the PBX reports them all in one envelope.

Warning codes (from the spec's ``Pbx.Warnings`` enum):

=============================  =====================================
failure                        code
=============================  =====================================
missing required / null        ``WARNINGS.XAPI.REQUIRED``
wrong type, format, pattern    ``WARNINGS.INVALID``
value not in enum              ``WARNINGS.INVALID``
below minimum / above maximum  ``WARNINGS.XAPI.OUT_OF_THE_RANGE``
too long (maxLength or 65536)  ``WARNINGS.STRING_TOO_LONG``
an array of over 10 000 items  ``WARNINGS.XAPI.OUT_OF_THE_RANGE``
property the type lacks        ``WARNINGS.XAPI.NOT_SUPPORTED``
=============================  =====================================

Like an OData service, objects reject properties their type does not declare
(annotations such as ``@odata.type`` are allowed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from ..schemas import SchemaIndex
from .limits import MAX_ARRAY_ITEMS, MAX_STRING

__all__ = [
    "INVALID",
    "NOT_SUPPORTED",
    "OUT_OF_RANGE",
    "REQUIRED",
    "TOO_LONG",
    "Failure",
    "Validator",
    "envelope_message",
]

REQUIRED = "WARNINGS.XAPI.REQUIRED"
INVALID = "WARNINGS.INVALID"
OUT_OF_RANGE = "WARNINGS.XAPI.OUT_OF_THE_RANGE"
TOO_LONG = "WARNINGS.STRING_TOO_LONG"
NOT_SUPPORTED = "WARNINGS.XAPI.NOT_SUPPORTED"


@dataclass(frozen=True, slots=True)
class Failure:
    """One failing property: where, which warning code, and a human reason."""

    target: str
    code: str
    reason: str = ""


def envelope_message(failures: list[Failure]) -> str:
    """``Prop:\\nCODE`` lines joined by newlines, as the PBX writes them."""
    return "\n".join(f"{f.target}:\n{f.code}" for f in failures)


@lru_cache(maxsize=512)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


#: Ranges of the integer formats the specs use (.NET Int32, Int64, Byte).
_INT_FORMATS = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 255),
}
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))"
)
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
_DURATION = re.compile(r"-?P(?=\d|T\d)(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _real_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))  # year 1..9999, as .NET's DateTimeOffset
    except ValueError:
        return False
    return True


def _format_ok(fmt: Any, value: str) -> bool:
    """Whether ``value`` is a real instance of the string ``format`` (where the PBX checks).

    The spec's patterns are looser than the types behind them: ``^[0-9]{4,}-...`` lets
    through year 6045818 and month 13 days, its duration pattern lets through ``P``;
    .NET's ``DateTimeOffset`` and ``TimeSpan`` refuse those, and a stored value the
    emulator could not send back under its own schema's format must never be accepted.
    """
    if fmt == "date-time":
        m = _DATE_TIME.fullmatch(value)
        return bool(
            m
            and _real_date(*m.group(1, 2, 3))
            and int(m.group(4)) < 24
            and int(m.group(5)) < 60
            and int(m.group(6)) < 60
            and (m.group(7) is None or (int(m.group(7)) < 24 and int(m.group(8)) < 60))
        )
    if fmt == "date":
        m = _DATE.fullmatch(value)
        return bool(m and _real_date(*m.group(1, 2, 3)))
    if fmt == "duration":
        return _DURATION.fullmatch(value) is not None
    if fmt == "uuid":
        return _UUID.fullmatch(value) is not None
    return True


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class Validator(SchemaIndex):
    """Validates values against schemas of one spec (``components.schemas``)."""

    def properties(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """All declared properties of an object schema (allOf merged), or None."""
        return self.declared_properties(schema)

    def nullable(self, schema: dict[str, Any]) -> bool:
        if schema.get("nullable"):
            return True
        schema = self.resolve(schema)
        return bool(schema.get("nullable"))

    def validate(self, schema: dict[str, Any] | None, value: Any, path: str = "") -> list[Failure]:
        """Every failure of ``value`` against ``schema`` (empty list when valid)."""
        out: list[Failure] = []
        if schema:
            self._check(schema, value, path, out, strict=True)
        seen: set[tuple[str, str]] = set()
        unique = []
        for f in out:
            if (f.target, f.code) not in seen:
                seen.add((f.target, f.code))
                unique.append(f)
        return unique

    def _check(
        self, schema: dict[str, Any], value: Any, path: str, out: list[Failure], strict: bool
    ) -> None:
        target = path or "body"
        if value is None:
            if not self.nullable(schema):
                out.append(Failure(target, REQUIRED, "null is not allowed here"))
            return
        if "$ref" in schema:
            self._check(self.resolve(schema), value, path, out, strict)
            return
        for part in schema.get("allOf", ()):
            # The parts describe one object together: unknown keys are judged once, below.
            self._check(part, value, path, out, False)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if options and not any(not self.validate(o, value, path) for o in options):
                out.append(Failure(target, INVALID, f"matches none of the {key} alternatives"))
        self._local(schema, value, path, out)
        if strict and isinstance(value, dict):
            self._unknown(schema, value, path, out)

    def _local(self, schema: dict[str, Any], value: Any, path: str, out: list[Failure]) -> None:
        """The schema's own keywords (not its allOf parts)."""
        target = path or "body"
        t = schema.get("type")
        if t is None and "properties" in schema:
            t = "object"
        if t == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                out.append(Failure(target, INVALID, "expected an integer"))
                return
            bounds = _INT_FORMATS.get(schema.get("format", ""))
            if bounds and not bounds[0] <= value <= bounds[1]:
                out.append(Failure(target, OUT_OF_RANGE, f"outside {bounds[0]}..{bounds[1]}"))
                return
            self._range(schema, value, target, out)
        elif t == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                out.append(Failure(target, INVALID, "expected a number"))
                return
            self._range(schema, value, target, out)
        elif t == "boolean":
            if not isinstance(value, bool):
                out.append(Failure(target, INVALID, "expected true or false"))
        elif t == "string":
            if not isinstance(value, str):
                out.append(Failure(target, INVALID, "expected a string"))
                return
            max_len = schema.get("maxLength", MAX_STRING)
            if len(value) > max_len:
                out.append(Failure(target, TOO_LONG, f"longer than {max_len} characters"))
            pattern = schema.get("pattern")
            if pattern and not _pattern(pattern).search(value):
                out.append(Failure(target, INVALID, f"does not match {pattern}"))
            elif not _format_ok(schema.get("format"), value):
                out.append(Failure(target, INVALID, f"not a valid {schema['format']}"))
        elif t == "array":
            if not isinstance(value, list):
                out.append(Failure(target, INVALID, "expected an array"))
                return
            if len(value) > MAX_ARRAY_ITEMS:
                out.append(Failure(target, OUT_OF_RANGE, f"more than {MAX_ARRAY_ITEMS} items"))
                return
            items = schema.get("items")
            if items:
                for i, item in enumerate(value):
                    self._check(items, item, f"{path}[{i}]" if path else f"[{i}]", out, True)
        elif t == "object":
            if not isinstance(value, dict):
                out.append(Failure(target, INVALID, "expected an object"))
                return
            for name in schema.get("required", ()):
                if name not in value:
                    out.append(Failure(_join(path, name), REQUIRED, "missing"))
            for name, sub in (schema.get("properties") or {}).items():
                if name in value:
                    self._check(sub, value[name], _join(path, name), out, True)
        enum = schema.get("enum")
        if enum is not None and isinstance(value, str) and value not in enum:
            flags = schema.get("x-ms-enum-flags") or schema.get("isFlags")
            parts = [p.strip() for p in value.split(",")] if flags else [value]
            if not all(p in enum for p in parts):
                out.append(Failure(target, INVALID, "not one of " + ", ".join(map(str, enum))))

    def _range(self, schema: dict[str, Any], value: float, target: str, out: list[Failure]) -> None:
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            out.append(Failure(target, OUT_OF_RANGE, f"outside {lo}..{hi}"))

    def _unknown(
        self, schema: dict[str, Any], value: dict[str, Any], path: str, out: list[Failure]
    ) -> None:
        """Reject keys the object type does not declare (OData types are closed)."""
        declared = self.properties(schema)
        if declared is None:
            return
        extra = self.resolve(schema).get("additionalProperties")
        for name in value:
            if name in declared or "@" in name:
                continue
            if isinstance(extra, dict):
                self._check(extra, value[name], _join(path, name), out, True)
            elif extra is not True:
                out.append(Failure(_join(path, name), NOT_SUPPORTED, "no such property"))
