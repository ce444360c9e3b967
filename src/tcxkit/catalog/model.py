"""What tcxkit knows about one XAPI operation.

Records come from ``catalog-<release>.json.gz`` (built by
``scripts/compile_catalogs.py``); these classes give them names and the few
derived views the client, CLI, docs and emulator share.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, NamedTuple

from .naming import kebab, snake

__all__ = [
    "EFFECTS",
    "STRING_FORMATS",
    "Action",
    "Body",
    "Effect",
    "Param",
    "Response",
    "StringFormat",
    "odata_type",
    "schema_label",
]

#: Resources only a System Owner may read (see :attr:`Action.needs_system_owner`).
SYSTEM_OWNER_RESOURCES = frozenset(
    {"CallHistoryView", "ChatHistoryView", "ChatMessagesHistoryView", "Recordings"}
)

#: What an action answers with: a list of rows, one object, one value, nothing or a file.
ResponseShape = Literal["collection", "entity", "primitive", "none", "file"]
#: Deprecated alias of :data:`ResponseShape` (renamed: "kind" meant five things).
ResponseKind = ResponseShape

#: What running an action does, least to most harmful (see :attr:`Action.effect`).
Effect = Literal["read", "write", "delete", "destructive"]
EFFECTS: tuple[Effect, ...] = ("read", "write", "delete", "destructive")


class StringFormat(NamedTuple):
    """What a string ``format`` of the specs means: its Edm type, and how to write a value."""

    edm: str
    how: str


#: The string formats the specs use that are more than text; any other is ``Edm.String``.
STRING_FORMATS = {
    "date-time": StringFormat(
        "Edm.DateTimeOffset", "use ISO 8601 with an offset, e.g. 2025-03-13T23:00:00Z"
    ),
    "uuid": StringFormat("Edm.Guid", "use a GUID like 123e4567-e89b-12d3-a456-426614174000"),
    "date": StringFormat("Edm.Date", "use YYYY-MM-DD"),
    "duration": StringFormat("Edm.Duration", "use an ISO 8601 duration, e.g. PT1M30S"),
}


def odata_type(schema: dict[str, Any]) -> str:
    """The Edm type a parameter schema stands for; decides its URL literal."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for part in schema.get("allOf", ()):
        if "$ref" in part:
            return part["$ref"].rsplit("/", 1)[-1]
    t = schema.get("type")
    fmt = schema.get("format")
    if t == "integer":
        return "Edm.Int64" if fmt == "int64" else "Edm.Int32"
    if t == "number":
        return "Edm.Double"
    if t == "boolean":
        return "Edm.Boolean"
    if t == "string":
        known = STRING_FORMATS.get(fmt or "")
        return known.edm if known else "Edm.String"
    if t == "array":
        return f"Collection({odata_type(schema.get('items', {}))})"
    return "Edm.Untyped"


def schema_label(schema: dict[str, Any] | None) -> str:
    """A short human name for a schema: ``string``, ``int32``, ``Pbx.User``, ``[Pbx.Peer]``."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    parts = schema.get("allOf")
    if parts and len(parts) == 1:
        return schema_label(parts[0])
    t = schema.get("type")
    if t == "array":
        return f"[{schema_label(schema.get('items'))}]"
    if t in ("integer", "number", "string") and schema.get("format"):
        return str(schema["format"])
    return str(t or "object")


class Param(NamedTuple):
    """A path, function or header parameter."""

    name: str
    location: str  # "path" | "header"
    role: str  # "key" | "function" | "header"
    required: bool
    schema: dict[str, Any]
    description: str = ""

    @property
    def python_name(self) -> str:
        return snake(self.name)

    @property
    def cli_name(self) -> str:
        return kebab(self.name)

    @property
    def type(self) -> str:
        return odata_type(self.schema)

    @property
    def nullable(self) -> bool:
        return bool(self.schema.get("nullable"))


class Body(NamedTuple):
    required: bool
    schema: dict[str, Any]
    wrapped: tuple[str, ...] | None  # named action arguments, or None for an entity body

    @property
    def label(self) -> str:
        if self.wrapped:
            return "{" + ", ".join(self.wrapped) + "}"
        return schema_label(self.schema)


class Response(NamedTuple):
    shape: ResponseShape
    status: int
    schema: dict[str, Any] | None
    item: str | None = None  # schema name of collection items

    @property
    def label(self) -> str:
        if self.shape == "collection":
            return f"collection of {self.item or 'values'}"
        if self.shape == "none":
            return "nothing (204)"
        if self.shape == "file":
            return "a file (bytes, content type and file name)"
        if self.shape == "primitive":
            value = ((self.schema or {}).get("properties") or {}).get("value", {})
            return f'{schema_label(value)} (JSON {{"value": ...}})'
        return schema_label(self.schema)

    @property
    def kind(self) -> ResponseShape:
        """Deprecated name of :attr:`shape`."""
        warnings.warn(
            "Response.kind is deprecated; use Response.shape", DeprecationWarning, stacklevel=2
        )
        return self.shape


class Action(NamedTuple):
    """One operation of one release: what to send and what comes back."""

    id: str
    resource: str
    method: str
    path: str
    kind: str  # "operation" | "function" | "action"
    summary: str
    description: str
    params: tuple[Param, ...]
    query: tuple[str, ...]
    body: Body | None
    response: Response
    release: str = ""
    #: read | write | delete | destructive: compiled from the method and the reviewed
    #: table ``effects.json`` (docs/architecture.md, "Effects"). Every face -- retries,
    #: CLI confirmation, MCP permissions, Airflow retries -- decides from this alone.
    effect: Effect = "write"

    @classmethod
    def from_record(cls, rec: dict[str, Any], release: str) -> Action:
        body = rec.get("body")
        resp = rec["response"]
        return cls(
            id=rec["id"],
            resource=rec["resource"],
            method=rec["method"],
            path=rec["path"],
            kind=rec["kind"],
            summary=rec.get("summary", ""),
            description=rec.get("description", ""),
            params=tuple(
                Param(
                    name=p["name"],
                    location=p["in"],
                    role=p["role"],
                    required=p["required"],
                    schema=p["schema"],
                    description=p.get("description", ""),
                )
                for p in rec["params"]
            ),
            query=tuple(rec["query"]),
            body=(
                Body(
                    required=body["required"],
                    schema=body["schema"],
                    wrapped=tuple(body["wrapped"]) if body.get("wrapped") else None,
                )
                if body
                else None
            ),
            response=Response(
                shape=resp["kind"],
                status=resp["status"],
                schema=resp.get("schema"),
                item=resp.get("item"),
            ),
            release=release,
            effect=rec["effect"],
        )

    @property
    def python_name(self) -> str:
        return snake(self.id)

    @property
    def cli_name(self) -> str:
        return kebab(self.id)

    @property
    def resource_python_name(self) -> str:
        return snake(self.resource)

    @property
    def resource_cli_name(self) -> str:
        return kebab(self.resource)

    @property
    def path_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == "path")

    @property
    def read_only(self) -> bool:
        """Its effect is ``read`` (every GET, and POST lookups such as
        ``RetreivePeersByNumbers``): safe to send again. PATCH, PUT and DELETE are
        idempotent in HTTP's terms, but re-sending one that may already have been applied
        is still a second write (a DELETE then answers 404, a PATCH races a colleague's
        edit), so tcxkit re-sends only reads (see :mod:`tcxkit.retry`)."""
        return self.effect == "read"

    @property
    def pageable(self) -> bool:
        return "top" in self.query and "skip" in self.query

    @property
    def needs_system_owner(self) -> bool:
        """Call history, chat history and recordings: a System Admin gets 403 (a PBX's
        rule the spec does not state; see xapi-behaviour.md)."""
        return self.resource in SYSTEM_OWNER_RESOURCES

    @property
    def on_entity_set(self) -> bool:
        """A plain read or write of an entity set or entity (not an OData function or
        action): $top is capped at 100 there, while functions and actions compute their
        results and the PBX caps those itself."""
        return self.kind == "operation"

    @property
    def is_report(self) -> bool:
        """Report functions accept $top above 100 (the PBX caps them itself)."""
        return self.kind == "function"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name or p.python_name == name:
                return p
        return None

    def __repr__(self) -> str:
        return f"<Action {self.id} {self.method} {self.path} ({self.release})>"
