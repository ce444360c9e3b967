"""Reading one release's ``components.schemas``: follow ``$ref``, merge ``allOf``.

The client's checker, the action pages and the emulator's validator and value
generator all walk the same schemas and need the same answers, so they share
:class:`SchemaIndex` (one per catalog: ``Catalog.schema_index``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["SchemaIndex"]

_MAX_REF_HOPS = 32  # a $ref chain longer than this is a cycle in a broken document


class SchemaIndex:
    """``$ref`` resolution and merged object properties over one spec's schemas.

    ``schemas`` may be a loader, called on the first ``$ref`` that needs it: most
    requests never follow one, and loading a release's spec costs tens of
    milliseconds on a CLI run.  Without ``schemas`` (a page rendered from the
    catalog alone) a ``$ref`` resolves to itself: callers then see no properties.
    """

    def __init__(
        self,
        schemas: Mapping[str, dict[str, Any]] | Callable[[], Mapping[str, dict[str, Any]]] | None,
    ):
        self._schemas = schemas
        # id(schema) -> (schema, merged); keeping the schema alive keeps its id unique.
        self._merged: dict[int, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        self._unwrapped: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    @property
    def schemas(self) -> Mapping[str, dict[str, Any]] | None:
        if callable(self._schemas):
            self._schemas = self._schemas()
        return self._schemas

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema a (chain of) ``$ref`` points at; other schemas as they are."""
        if "$ref" not in schema or self.schemas is None:
            return schema
        hops = 0
        schemas = self.schemas
        while "$ref" in schema and hops < _MAX_REF_HOPS:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
            hops += 1
        return schema

    def unwrap(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``{"allOf": [{"$ref": X}], "nullable": true}`` (the spec's nullable reference) -> X.

        Remembered per schema object, as :meth:`declared_properties` is: a state plan asks
        it for every field of every object of every PBX (docs/benchmarks.md, fleet)."""
        cached = self._unwrapped.get(id(schema))  # the schema kept alive keeps its id unique
        if cached is not None and cached[0] is schema:
            return cached[1]
        given = schema
        schema = self.resolve(schema)
        while True:
            parts = schema.get("allOf")
            if not parts or len(parts) != 1 or schema.get("properties"):
                break
            schema = self.resolve(parts[0])
        if "$ref" in given or "allOf" in given:  # the spec's own; a plain schema costs nothing
            self._unwrapped[id(given)] = (given, schema)
        return schema

    def declared_properties(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """All properties of an object schema, ``allOf`` parts merged (parents first, own win).

        None when the schema declares no properties at all (not an object type), which
        the validator tells apart from an object with no properties.
        """
        cached = self._merged.get(id(schema))
        if cached is not None and cached[0] is schema:
            return cached[1]
        target = self.resolve(schema)
        merged: dict[str, Any] | None = None
        # Inherited properties first, in part order; the schema's own win.
        for part in target.get("allOf", ()):
            sub = self.declared_properties(part)
            if sub is not None:
                merged = {**(merged or {}), **sub}
        if "properties" in target:
            merged = {**(merged or {}), **target["properties"]}
        self._merged[id(schema)] = (schema, merged)
        return merged

    def declared_required(self, schema: dict[str, Any]) -> list[str]:
        """``required`` names of an object schema and its ``allOf`` parts."""
        target = self.resolve(schema)
        names = list(target.get("required", ()))
        for part in target.get("allOf", ()):
            names += self.declared_required(part)
        return names
