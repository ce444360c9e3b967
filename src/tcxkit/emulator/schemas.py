"""Reading one release's ``components.schemas``: follow ``$ref``, merge ``allOf`` properties.

The validator (:mod:`.validate`) and the value generator (:mod:`.responses`) walk the
same schemas and need the same two answers, so both build on :class:`SchemaIndex`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SchemaIndex"]

_MAX_REF_HOPS = 32  # a $ref chain longer than this is a cycle in a broken document


class SchemaIndex:
    """``$ref`` resolution and merged object properties over one spec's schemas."""

    def __init__(self, schemas: dict[str, dict[str, Any]]):
        self.schemas = schemas
        # id(schema) -> (schema, merged); keeping the schema alive keeps its id unique.
        self._merged: dict[int, tuple[dict[str, Any], dict[str, Any] | None]] = {}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema a (chain of) ``$ref`` points at; other schemas as they are."""
        hops = 0
        while "$ref" in schema and hops < _MAX_REF_HOPS:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
            hops += 1
        return schema

    def declared_properties(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """All properties of an object schema, ``allOf`` parts merged (own ones win).

        None when the schema declares no properties at all (not an object type), which
        the validator tells apart from an object with no properties.
        """
        cached = self._merged.get(id(schema))
        if cached is not None and cached[0] is schema:
            return cached[1]
        target = self.resolve(schema)
        merged: dict[str, Any] | None = None
        if "properties" in target:
            merged = dict(target["properties"])
        for part in target.get("allOf", ()):
            sub = self.declared_properties(part)
            if sub is not None:
                merged = {**sub, **(merged or {})}
        self._merged[id(schema)] = (schema, merged)
        return merged
