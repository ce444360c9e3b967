"""Generate values that satisfy a schema of an official XAPI OpenAPI document.

Tests use this to call every operation with plausible arguments without
hand-writing fixtures for ~600 operations per release.  Values come from the
schema alone (type, format, range, enum, pattern, maxLength, nullable,
allOf/oneOf/anyOf, ``$ref``), never from ``components/examples``: several of
those examples break the spec's own patterns (e.g. date-times without an
offset), so a conformance test fed with them would blame the client for the
spec's mistakes.

Output is deterministic for a given seed, and recursion (entities referring to
entities) is cut off at ``max_depth`` so bodies stay small enough to validate
hundreds of them per second.
"""

from __future__ import annotations

import json
import random
import re
import string
import uuid
from functools import lru_cache
from typing import Any

__all__ = ["SpecValueGenerator", "flatten_object"]

# Plain characters plus the ones that need percent-encoding or OData quoting.
# "/" is left out on purpose: a decoded "/" inside a path segment cannot be told
# apart from a segment separator by any server or validator.  "=" and "," are
# left out because function paths are ``f(a={a},b={b})``: a value containing
# ",b=" would make the template ambiguous.
_PLAIN = string.ascii_letters + string.digits
_SPECIAL = " '&+#%?é-_.:"

_INT_FORMAT_RANGES: dict[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 255),
}


class SpecValueGenerator:
    """Valid values for schemas of one OpenAPI document.

    ``spec`` is the whole document (a dict); ``$ref`` values of the form
    ``#/components/...`` are followed inside it.  ``null_rate`` is how often a
    nullable schema yields ``None``.
    """

    def __init__(
        self,
        spec: dict[str, Any],
        seed: int | str = 0,
        *,
        max_depth: int = 3,
        null_rate: float = 0.1,
        special_rate: float = 0.3,
    ) -> None:
        self.spec = spec
        self.rng = random.Random(seed)
        self.max_depth = max_depth
        self.null_rate = null_rate
        self.special_rate = special_rate
        self._validators: dict[str, Any] = {}

    # -- references ----------------------------------------------------------
    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` chains to the schema they point at."""
        seen = 0
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref loop at {schema!r}")
        return schema

    def reseed(self, seed: int | str) -> None:
        self.rng.seed(seed)

    # -- entry point ---------------------------------------------------------
    def value(self, schema: dict[str, Any] | None, depth: int = 0, *, nulls: bool = True) -> Any:
        """A value valid for ``schema``; ``nulls=False`` never returns ``None``."""
        if not schema:
            return self._word()
        schema = self.resolve(schema)
        # Only a schema with its own ``type`` yields null: OpenAPI 3.0.3 says
        # ``nullable`` does not reach into allOf/oneOf/anyOf, so strict validators
        # reject null for ``{"allOf": [{"$ref": ...}], "nullable": true}``;
        # _one_of decides for oneOf.
        nullable = nulls and schema.get("nullable") and "type" in schema
        if nullable and self.rng.random() < self.null_rate:
            return None
        if "allOf" in schema:
            merged = flatten_object(self.spec, schema)
            if merged is not None:
                return self._object(merged, depth)
            # e.g. {"allOf": [{"$ref": "#/.../Pbx.SomeEnum"}], "nullable": true}
            return self.value(schema["allOf"][0], depth, nulls=nulls)
        if "oneOf" in schema:
            return self._one_of(schema["oneOf"], depth)
        if "anyOf" in schema:
            # anyOf accepts several matches: take the first concrete option.
            return self.value(schema["anyOf"][0], depth, nulls=False)
        if "enum" in schema:
            choices = [e for e in schema["enum"] if e is not None]
            return self.rng.choice(choices)
        t = schema.get("type")
        if t == "object" or (t is None and "properties" in schema):
            return self._object(schema, depth)
        if t == "array":
            return self._array(schema, depth)
        if t == "string":
            return self._string(schema)
        if t == "integer":
            return self._integer(schema)
        if t == "number":
            return self._number(schema)
        if t == "boolean":
            return self.rng.random() < 0.5
        return self._word()

    # -- composites ----------------------------------------------------------
    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        out: dict[str, Any] = {}
        for name, sub in props.items():
            if name.startswith("@odata."):
                continue
            if depth >= self.max_depth and name not in required:
                continue
            # Nested entities and navigation collections: keep some, not all,
            # so bodies stay a few KB instead of hundreds.
            nested = depth >= 1 and name not in required and _is_container(self, sub)
            if nested and self.rng.random() < 0.6:
                continue
            out[name] = self.value(sub, depth + 1)
        return out

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        if depth >= self.max_depth:
            return []
        items = schema.get("items") or {}
        count = self.rng.randint(1, 2)
        out: list[Any] = []
        for _ in range(count * 4):
            if len(out) >= count:
                break
            candidate = self.value(items, depth + 1)
            if schema.get("uniqueItems") and candidate in out:
                continue
            out.append(candidate)
        return out

    def _one_of(self, options: list[dict[str, Any]], depth: int) -> Any:
        """A value matching exactly one option (oneOf fails on two matches).

        XAPI's doubles are ``oneOf: [number, string, ReferenceNumeric]``, where
        ``"INF"`` matches both string options and ``None`` may match several.
        """
        order = list(range(len(options)))
        self.rng.shuffle(order)
        for _attempt in range(4):
            for i in order:
                candidate = self.value(options[i], depth, nulls=False)
                if sum(self.matches(candidate, o) for o in options) == 1:
                    return candidate
        raise ValueError(f"no value matches exactly one of {options!r}")

    def matches(self, value: Any, schema: dict[str, Any]) -> bool:
        """Whether ``value`` is valid for ``schema`` (OpenAPI 3.0 rules)."""
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            from openapi_schema_validator import OAS30Validator

            # "#/components/..." refs resolve against the schema's own root.
            validator = OAS30Validator({**schema, "components": self.spec["components"]})
            self._validators[key] = validator
        return bool(validator.is_valid(value))

    # -- scalars -------------------------------------------------------------
    def _word(self, length: int | None = None) -> str:
        n = length if length is not None else self.rng.randint(3, 10)
        if n <= 0:
            return ""
        chars = [self.rng.choice(_PLAIN) for _ in range(n)]
        if n >= 3 and self.rng.random() < self.special_rate:
            chars[self.rng.randrange(1, n - 1)] = self.rng.choice(_SPECIAL)
        return "".join(chars)

    def _string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            text = self.date_time()
        elif fmt == "date":
            text = self.date_time()[:10]
        elif fmt == "time":
            text = self.date_time()[11:19]
        elif fmt == "uuid":
            text = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        elif fmt == "duration":
            text = self.duration()
        else:
            limit = schema.get("maxLength")
            length = self.rng.randint(3, 10)
            if limit is not None:
                length = min(length, limit)
            text = self._word(length)
        pattern = schema.get("pattern")
        if pattern and not _compiled(pattern).search(text):
            raise ValueError(f"cannot generate a string for pattern {pattern!r} (format {fmt})")
        return text

    def date_time(self) -> str:
        """ISO 8601 with an offset: Z, +hh:mm or -hh:mm, sometimes with a fraction."""
        r = self.rng
        text = (
            f"{r.randint(2000, 2039):04d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
            f"T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        )
        if r.random() < 0.3:
            text += "." + "".join(r.choice(string.digits) for _ in range(r.randint(1, 7)))
        kind = r.random()
        if kind < 0.5:
            return text + "Z"
        sign = "+" if kind < 0.8 else "-"
        return text + f"{sign}{r.randint(0, 13):02d}:{r.choice((0, 30, 45)):02d}"

    def duration(self) -> str:
        r = self.rng
        text = "-P" if r.random() < 0.1 else "P"
        if r.random() < 0.3:
            text += f"{r.randint(1, 30)}D"
        text += f"T{r.randint(0, 23)}H{r.randint(0, 59)}M{r.randint(0, 59)}"
        if r.random() < 0.3:
            text += f".{r.randint(1, 999)}"
        return text + "S"

    def _integer(self, schema: dict[str, Any]) -> int:
        lo, hi = self._bounds(schema)
        roll = self.rng.random()
        if roll < 0.1:
            return lo
        if roll < 0.2:
            return hi
        return self.rng.randint(max(lo, -1000), min(hi, 100000))

    def _number(self, schema: dict[str, Any]) -> int | float:
        fmt = schema.get("format")
        if fmt in _INT_FORMAT_RANGES or (fmt == "decimal" and self.rng.random() < 0.5):
            return self._integer(schema)
        lo, hi = self._bounds(schema)
        return round(self.rng.uniform(max(lo, -1000.0), min(hi, 100000.0)), 3)

    def _bounds(self, schema: dict[str, Any]) -> tuple[int, int]:
        lo, hi = _INT_FORMAT_RANGES.get(schema.get("format") or "", (-(2**31), 2**31 - 1))
        if schema.get("minimum") is not None:
            lo = max(lo, int(schema["minimum"]))
        if schema.get("maximum") is not None:
            hi = min(hi, int(schema["maximum"]))
        return lo, hi


def flatten_object(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """One object schema for an ``allOf`` of object schemas, or None.

    XAPI expresses entity inheritance as ``allOf`` of object schemas; their
    properties are merged so each is generated once.
    """
    gen = SpecValueGenerator(spec)
    props: dict[str, Any] = {}
    required: list[str] = []
    stack = [schema]
    while stack:
        node = gen.resolve(stack.pop())
        if "allOf" in node:
            stack.extend(reversed(node["allOf"]))
            continue
        if node.get("type") not in (None, "object") or "properties" not in node:
            return None
        props.update(node["properties"])
        required.extend(node.get("required", ()))
    return {"type": "object", "properties": props, "required": required}


def _is_container(gen: SpecValueGenerator, schema: dict[str, Any]) -> bool:
    node = gen.resolve(schema)
    if "allOf" in node or "anyOf" in node:
        return True
    return node.get("type") in ("object", "array")


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
