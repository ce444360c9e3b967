"""The fields a kind's objects may carry, and which of them are secrets: from the schema.

A state file names fields by hand, so two mistakes are ordinary: a misspelled
field (``FirstNmae``), which the PBX would never report back and a plan would
show as drift forever, and a secret written as its value.  Both are decided
here, from the entity schema of the kind's update action (``Pbx.User`` for
``users``), walking nested objects and lists the same way.

Whether a field is a secret is one decision, :func:`is_secret_field`: its name
is a secret's (:func:`tcxkit.redaction.is_secret_key`) or its schema is a
concealed value (``Pbx.ConcealedPassword``, ``Pbx.ConcealedDataFile``).  Under
a secret field every value is a secret whatever its YAML type (``VMPIN: 1234``
as much as ``VMPIN: '1234'``), except a boolean flag the schema declares
(``Concealed`` in ``AuthPassword: {Concealed: false, Value: ${TRUNK_PW}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import Problem
from ..redaction import concealed_schemas, is_secret_key
from ..validation import unknown_property

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..schemas import SchemaIndex
    from .managed import ManagedType

__all__ = ["entity_schema", "is_secret_field", "literal_secrets", "unknown_fields"]


def entity_schema(kind: ManagedType, cat: Catalog) -> dict[str, Any] | None:
    """The schema of an object of ``kind``: its update action's body (None if the release
    has no such action)."""
    action = cat.get(kind.update)
    return action.body.schema if action is not None and action.body is not None else None


def _refs(schema: dict[str, Any]) -> Iterator[str]:
    """Names of the schemas ``schema`` refers to directly (``$ref`` or a one-part ``allOf``)."""
    for part in (schema, *schema.get("allOf", ())):
        ref = part.get("$ref")
        if isinstance(ref, str):
            yield ref.rsplit("/", 1)[-1]


def is_secret_field(name: str, schema: dict[str, Any] | None) -> bool:
    """Whether field ``name`` (with ``schema``, if known) holds a secret: the one rule."""
    if is_secret_key(name):
        return True
    return schema is not None and not concealed_schemas().isdisjoint(_refs(schema))


def _props(index: SchemaIndex, schema: dict[str, Any] | None) -> dict[str, Any]:
    if schema is None:
        return {}
    return index.declared_properties(index.unwrap(schema)) or {}


def _items(index: SchemaIndex, schema: dict[str, Any] | None) -> dict[str, Any] | None:
    if schema is None:
        return None
    flat = index.unwrap(schema)
    return flat.get("items") if flat.get("type") == "array" else None


def _is_flag(index: SchemaIndex, schema: dict[str, Any] | None) -> bool:
    return schema is not None and index.unwrap(schema).get("type") == "boolean"


def literal_secrets(
    index: SchemaIndex,
    schema: dict[str, Any] | None,
    value: Any,
    ok: Callable[[Any], bool],
    trail: str = "",
    secret: bool = False,
) -> Iterator[str]:
    """Paths under a secret field whose value ``ok(value)`` refuses (anything but a
    ``${ENV}`` reference), at any depth and of any type."""
    if isinstance(value, dict):
        props = _props(index, schema)
        for k, v in value.items():
            sub = props.get(str(k))
            here = f"{trail}.{k}" if trail else str(k)
            inner = is_secret_field(str(k), sub) or (secret and not _is_flag(index, sub))
            yield from literal_secrets(index, sub, v, ok, here, inner)
    elif isinstance(value, list):
        items = _items(index, schema)
        for i, v in enumerate(value):
            yield from literal_secrets(index, items, v, ok, f"{trail}[{i}]", secret)
    elif secret and not ok(value):
        yield trail


def unknown_fields(kind: ManagedType, body: dict[str, Any], cat: Catalog) -> list[Problem]:
    """Fields of a file's object that its kind's schema does not declare, with the
    nearest names as a hint; references by key (``Group`` for ``GroupId``) count."""
    schema = entity_schema(kind, cat)
    if schema is None:
        return []
    index = cat.schema_index
    problems: list[Problem] = []
    declared = _props(index, schema)  # not copied: this runs for every object of a plan
    for k, v in body.items():
        sub = declared.get(k)
        if sub is None:
            if k in kind.key:  # a key is a field, whether the body carries it or not
                continue
            props = dict(declared)
            for name in kind.key:
                props.setdefault(name, {})
            problems.append(Problem(k, unknown_property(k, props)))
            continue
        if not isinstance(v, dict | list):
            continue  # a scalar: its name was all there was to check
        ref = next((r for r in kind.refs if r.field == k), None)
        extra: dict[str, Any] = {ref.as_name: {}} if ref is not None and ref.as_name else {}
        _walk(index, sub, v, k, problems, extra)
    return problems


def _walk(
    index: SchemaIndex,
    schema: dict[str, Any],
    value: Any,
    path: str,
    problems: list[Problem],
    extra: dict[str, Any],
) -> None:
    if isinstance(value, list):
        items = _items(index, schema)
        if items is not None:
            for i, v in enumerate(value):
                _walk(index, items, v, f"{path}[{i}]", problems, extra)
        return
    if not isinstance(value, dict):
        return
    flat = index.unwrap(schema)
    props = index.declared_properties(flat) or {}
    if not props or flat.get("additionalProperties") not in (None, False):
        return  # a free-form object: any name goes
    if extra:
        props = {**props, **extra}
    for k, v in value.items():
        if k not in props:
            problems.append(Problem(f"{path}.{k}", unknown_property(str(k), props)))
        elif isinstance(v, dict | list):
            _walk(index, props[k], v, f"{path}.{k}", problems, {})
