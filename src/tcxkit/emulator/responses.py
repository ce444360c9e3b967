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

__all__ = ["ValueGenerator"]

_BASE_TIME = datetime(2025, 3, 13, 9, 0, 0, tzinfo=UTC)
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


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
        return self._gen(schema, rng, 0, "", items)

    def entity(self, type_name: str, seed: str) -> dict[str, Any]:
        """One object of a named type (``Pbx.User``) with every property filled."""
        return self.value({"$ref": f"#/components/schemas/{type_name}"}, seed)

    def properties(self, schema: dict[str, Any]) -> dict[str, Any]:
        """All properties of an object schema (allOf merged; empty when none)."""
        return self.declared_properties(schema) or {}

    def _gen(
        self, schema: dict[str, Any], rng: random.Random, depth: int, name: str, n: int
    ) -> Any:
        schema = self.resolve(schema)
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                return self._gen(schema[key][0], rng, depth, name, n)
        t = schema.get("type")
        if "allOf" in schema and t in (None, "object"):
            parts = schema["allOf"]
            if len(parts) == 1 and not schema.get("properties"):
                return self._gen(parts[0], rng, depth, name, n)
            t = "object"
        if t is None and "properties" in schema:
            t = "object"
        if "enum" in schema:
            enum = schema["enum"]
            return enum[rng.randrange(len(enum))] if enum else None
        if t == "object":
            if depth >= self.max_depth:
                return {}
            out: dict[str, Any] = {}
            for prop, sub in self.properties(schema).items():
                if prop.startswith("@"):
                    continue
                if sub.get("x-ms-navigationProperty"):
                    # Navigation properties only appear when $expand-ed; keep
                    # collections present but empty, omit single-valued ones.
                    if sub.get("type") == "array":
                        out[prop] = []
                    continue
                out[prop] = self._gen(sub, rng, depth + 1, prop, 1)
            return out
        if t == "array":
            count = n if depth < self.max_depth else 0
            item = schema.get("items") or {"type": "string"}
            return [self._gen(item, rng, depth + 1, name, 1) for _ in range(count)]
        if t == "integer":
            return self._int(schema, rng, name)
        if t == "number":
            lo = schema.get("minimum", 0)
            hi = min(schema.get("maximum", 1000), 1000)
            return round(rng.uniform(max(lo, 0), hi if hi > lo else lo + 1), 2)
        if t == "boolean":
            return rng.random() < 0.5
        if t == "string":
            return self._string(schema, rng, name)
        return None

    def _int(self, schema: dict[str, Any], rng: random.Random, name: str) -> int:
        lo = schema.get("minimum", 0)
        hi = schema.get("maximum", 1000)
        a, b = max(lo, 0), min(hi, 1000)
        if schema.get("format") == "uint8":
            b = min(b, 255)
        if name == "Id":
            a = max(a, 1)
        if a > b:  # a range entirely outside 0..1000
            a, b = lo, hi
        return rng.randint(int(a), int(b))

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
        if name in ("Number", "Extension", "DnNumber"):
            text = str(rng.randrange(100, 999))
        elif "Email" in name:
            text = f"{_WORDS[rng.randrange(len(_WORDS))]}@example.com"
        else:
            text = f"{name or 'value'}-{_WORDS[rng.randrange(len(_WORDS))]}"
        max_len = schema.get("maxLength")
        return text[:max_len] if max_len else text
