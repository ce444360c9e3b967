"""Deterministic, schema-valid values for operations without domain logic.

An operation the emulator has no special code for still answers with data
that validates against its declared response schema: the right types,
formats (date-time, duration, uuid, time), enum members, ranges and lengths.
Values are seeded from a string (usually the operationId), so the same
request always gets the same answer: tests can assert on it.
"""

from __future__ import annotations

import random
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from ..schemas import SchemaIndex
from .samples import sample_text

__all__ = ["ValueGenerator"]

_BASE_TIME = datetime(2025, 3, 13, 9, 0, 0, tzinfo=UTC)


class ValueGenerator(SchemaIndex):
    """Builds sample values from the schemas of one spec."""

    def __init__(self, schemas: dict[str, dict[str, Any]], *, max_depth: int = 3):
        super().__init__(schemas)
        self.max_depth = max_depth

    def value(self, schema: dict[str, Any] | None, seed: str, *, items: int = 2) -> Any:
        """A value valid against ``schema``; arrays get ``items`` elements at top level."""
        if not schema:
            return None
        rng = random.Random(zlib.crc32(seed.encode()))
        # The seed (usually the operationId) names the top level: a function answering
        # ``{"value": ...}`` gets text that fits the operation (``APIToken``, ``GetIfaces``).
        return self._gen(schema, rng, 0, seed, items)

    def entity(self, type_name: str, seed: str) -> dict[str, Any]:
        """One object of a named type (``Pbx.User``) with every property filled."""
        return self.value({"$ref": f"#/components/schemas/{type_name}"}, seed)

    def defaults(self, type_name: str, *, depth: int = 0) -> dict[str, Any]:
        """A new entity of ``type_name`` as the server fills it in: every structural
        property, at the value it holds when the create body leaves it out.

        An OData service answers a create with the whole entity; for a PBX an unset
        property is ``false``, ``0``, ``""``, an empty list, the enum's first member, a
        complex value of its own defaults, or null where the schema allows it and no
        neutral value exists (an unset date).  Navigation properties are not part of it.
        """
        schema = self.schemas.get(type_name)
        if not schema:
            return {}
        out: dict[str, Any] = {}
        for prop, sub in self.properties(schema).items():
            if prop.startswith("@") or sub.get("x-ms-navigationProperty"):
                continue
            out[prop] = self._default(sub, prop, depth)
        return out

    def _default(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        ref = _ref_name(schema)
        merged = self._constraints(schema)
        nullable = bool(merged.get("nullable"))
        if "enum" in merged:
            return merged["enum"][0] if merged["enum"] else None
        t = merged.get("type") or ("object" if "properties" in merged else None)
        if t == "object":
            if ref is None or depth >= 2:
                return None if nullable else {}
            return self.defaults(ref, depth=depth + 1)
        if t == "array":
            return []
        if t == "boolean":
            return False
        if t in ("integer", "number"):
            lo, _ = _bounds(merged, 0, 0, step=1 if t == "integer" else 0.01)
            return lo
        if t == "string":
            if merged.get("format") or merged.get("minLength"):
                if nullable:
                    return None
                return self._string(merged, random.Random(zlib.crc32(name.encode())), name)
            return ""
        return None

    def properties(self, schema: dict[str, Any]) -> dict[str, Any]:
        """All properties of an object schema (allOf merged; empty when none)."""
        return self.declared_properties(schema) or {}

    def _constraints(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The keywords of ``schema`` and every ``allOf`` part it is made of, merged.

        The spec wraps a referenced type to make it nullable or to add limits
        (``{"allOf": [{"$ref": ...}], "nullable": true, "maximum": ...}``), so bounds,
        lengths, formats and enums may sit on the wrapper, on a part, or on both: every
        one of them applies, the tightest bound wins and ``nullable`` holds only when
        every level allows null.
        """
        schema = self.resolve(schema)
        parts = schema.get("allOf") or ()
        if not parts:
            return schema
        merged: dict[str, Any] = {}
        for part in [*(self._constraints(p) for p in parts), schema]:
            for key, value in part.items():
                if key == "allOf":
                    continue
                if key in ("minimum", "minLength", "minItems") and key in merged:
                    merged[key] = max(merged[key], value)
                elif key in ("maximum", "maxLength", "maxItems") and key in merged:
                    merged[key] = min(merged[key], value)
                elif key == "nullable" and key in merged:
                    merged[key] = merged[key] and value
                elif key == "enum" and key in merged:
                    merged[key] = [v for v in merged[key] if v in value]
                else:
                    merged[key] = value
        if any("properties" in self.resolve(p) or self.resolve(p).get("allOf") for p in parts):
            merged["type"] = "object"
        return merged

    def _gen(
        self, schema: dict[str, Any], rng: random.Random, depth: int, name: str, n: int
    ) -> Any:
        schema = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                # The first alternative, under the wrapper's own limits as well.
                wrapper = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
                return self._gen({"allOf": [schema[key][0]], **wrapper}, rng, depth, name, n)
        # Properties are read from the spec's own schema objects (``unwrap``): the merged
        # copy below is new on every call and must not enter SchemaIndex's cache.
        declared = self.unwrap(schema)
        schema = self._constraints(schema)
        t = schema.get("type")
        if t is None and "properties" in schema:
            t = "object"
        if "enum" in schema:
            enum = schema["enum"]
            return enum[rng.randrange(len(enum))] if enum else None
        if t == "object":
            # Past max_depth only required properties are filled (a few levels more at
            # most, for types that require themselves).
            if depth >= self.max_depth + 3:
                return {}
            required = set(self.declared_required(declared))
            props = self.properties(declared)
            if depth >= self.max_depth and not required & set(props):
                # Nothing required: fill the scalar properties rather than answer ``{}``
                # for a type that has properties (a PBX never sends an empty period).
                required = {p for p, sub in props.items() if not self._nested(sub)}
            out: dict[str, Any] = {}
            for prop, sub in props.items():
                if prop.startswith("@") or (depth >= self.max_depth and prop not in required):
                    continue
                if sub.get("x-ms-navigationProperty"):
                    # Navigation properties only appear when $expand-ed; keep
                    # collections present but empty, omit single-valued ones.
                    if sub.get("type") == "array":
                        out[prop] = []
                    continue
                out[prop] = self._gen(sub, rng, depth + 1, name if prop == "value" else prop, 1)
            return out
        if t == "array":
            count = n if depth < self.max_depth else 0
            count = max(count, schema.get("minItems", 0))
            count = min(count, schema.get("maxItems", count))
            item = schema.get("items") or {"type": "string"}
            return [self._gen(item, rng, depth + 1, name, 1) for _ in range(count)]
        if t == "integer":
            return self._int(schema, rng, name)
        if t == "number":
            lo, hi = _bounds(schema, 0.0, 1000.0, step=0.01)
            return round(rng.uniform(lo, hi), 2) if hi > lo else lo
        if t == "boolean":
            return rng.random() < 0.5
        if t == "string":
            if schema.get("nullable") and _contradicts(schema):
                return None
            return self._string(schema, rng, name)
        return None

    def _nested(self, schema: dict[str, Any]) -> bool:
        """Whether a property holds an object or an array (not a scalar or an enum)."""
        merged = self._constraints(schema)
        return merged.get("type") in ("object", "array") or "properties" in merged

    def _int(self, schema: dict[str, Any], rng: random.Random, name: str) -> int:
        lo, hi = _bounds(schema, 1 if name == "Id" else 0, 1000, step=1)
        lo, hi = int(lo), int(hi)
        value = rng.randint(lo, hi) if hi > lo else lo
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = -(-value // step) * step  # the next multiple up
            if value > hi:
                value -= step
        return value

    def _string(self, schema: dict[str, Any], rng: random.Random, name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            moment = _BASE_TIME + timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fmt == "duration":
            return f"PT{rng.randrange(0, 60)}M{rng.randrange(0, 60)}S"
        if fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if fmt == "time":
            return f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}:00"
        if fmt == "date":
            return (_BASE_TIME + timedelta(days=rng.randrange(0, 30))).strftime("%Y-%m-%d")
        text = sample_text(name, rng) or ""
        min_len = schema.get("minLength", 0)
        if len(text) < min_len:
            text += "x" * (min_len - len(text))
        max_len = schema.get("maxLength")
        return text[:max_len] if max_len is not None else text


#: Ranges of integer formats (the spec also states most of them as minimum/maximum).
_FORMAT_RANGES = {
    "uint8": (0, 255),
    "int8": (-128, 127),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


def _bounds(schema: dict[str, Any], low: float, high: float, *, step: float) -> tuple[float, float]:
    """A small, readable range inside the schema's limits: ``low..high`` where allowed.

    Exclusive limits (OpenAPI 3.0 booleans) move the bound by ``step``; a range that
    lies entirely outside ``low..high`` is used as it is.
    """
    lo, hi = _FORMAT_RANGES.get(str(schema.get("format")), (float("-inf"), float("inf")))
    if "minimum" in schema:
        lo = max(lo, schema["minimum"] + (step if schema.get("exclusiveMinimum") else 0))
    if "maximum" in schema:
        hi = min(hi, schema["maximum"] - (step if schema.get("exclusiveMaximum") else 0))
    a, b = max(lo, low), min(hi, high)
    if a > b:  # the allowed range lies outside low..high: stay inside it
        a = lo if lo != float("-inf") else hi
        b = hi if hi != float("inf") else lo
    return a, b


def _ref_name(schema: dict[str, Any]) -> str | None:
    """The named type a property refers to, directly or through an ``allOf`` wrapper."""
    ref = schema.get("$ref") or next(
        (p.get("$ref") for p in schema.get("allOf") or () if p.get("$ref")), None
    )
    return ref.rsplit("/", 1)[-1] if ref else None


def _contradicts(schema: dict[str, Any]) -> bool:
    """Whether no text satisfies both the schema's ``format`` and its ``pattern``.

    The spec's ``format: time`` fields carry the pattern of OData's ``Edm.TimeOfDay``
    (``hh:mm:ss[.fff]``), which forbids the UTC offset that JSON Schema's RFC 3339
    ``time`` requires: a strict validator accepts no text at all, so a nullable field
    answers null (all four such fields of 20.0.10 are nullable).
    """
    pattern = schema.get("pattern") or ""
    return schema.get("format") == "time" and bool(pattern) and "Z" not in pattern
