"""``describe_action``: an action as compact JSON a model can act on.

The full reference page (the renderer behind ``3cx actions show``) is served as an
MCP resource; this is the short form for a tool answer: parameters, the body's
fields (required first, enum values listed, nested objects one level deep), an
example that works on the demo PBX, the query options and the result's shape.

"Required" means what the PBX requires: the spec's ``required`` lists plus the
reviewed facts of :mod:`tcxkit.catalog.required` (e.g. ``Id`` on a blacklist create),
each with the reason; ``defaults`` says what the PBX fills in for a field left out.
The example of every create and update runs on the demo PBX (tests/mcp/test_describe.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..catalog.descriptions import describe
from ..catalog.examples import example_body, example_param, object_properties
from ..catalog.model import schema_label
from ..catalog.render import param_description
from ..catalog.required import field_defaults, required_fields

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..catalog.model import Action, Param

__all__ = ["describe_action"]

#: Enum values listed per field at most (a few enums have dozens of members).
_MAX_ENUM = 25


def describe_action(action: Action, cat: Catalog, allowed: str) -> dict[str, Any]:
    """What a model needs to call ``action`` with ``call_action``."""
    out: dict[str, Any] = {
        "action": action.id,
        "resource": action.resource,
        "http": f"{action.method} {action.path}",
        "effect": action.effect,
        "allowed_here": allowed,
        "description": describe(action),
    }
    if action.params:
        out["params"] = [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                **({"description": d} if (d := param_description(p)) else {}),
                **({"enum": e} if (e := _enum(cat, p.schema)) else {}),
            }
            for p in action.params
            if p.role != "header"
        ]
    if action.body is not None:
        body: dict[str, Any] = {"required": action.body.required, "type": action.body.label}
        props = object_properties(cat, action.body.schema)
        must = required_fields(action, cat)
        if must:
            body["required_fields"] = must
        if defaults := field_defaults(action):
            body["defaults"] = defaults
        if action.body.wrapped:
            body["arguments"] = {
                n: _fields(cat, props.get(n), depth=1) for n in action.body.wrapped
            }
            if len(action.body.wrapped) == 1:
                body["note"] = (
                    f"body may be the {action.body.wrapped[0]!r} object itself; "
                    "call_action wraps it."
                )
        else:
            body["fields"] = _fields(cat, action.body.schema, depth=1, must=set(must))
        out["body"] = body
    example = _example(action, cat)
    if example:
        out["example"] = example
    if action.query:
        out["query_options"] = list(action.query)
    out["returns"] = _returns(action, cat)
    return out


def _enum(cat: Catalog, schema: dict[str, Any] | None) -> list[Any] | None:
    if not schema:
        return None
    resolved = cat.schema_index.unwrap(schema)
    if "$ref" in resolved:
        resolved = cat.resolve(resolved)
    values = resolved.get("enum")
    return list(values[:_MAX_ENUM]) if values else None


def _fields(
    cat: Catalog, schema: dict[str, Any] | None, depth: int, must: set[str] | None = None
) -> dict[str, Any] | str:
    """``{field: type}`` with required fields first; enums and one nested level spelled out."""
    if not schema:
        return "any"
    props = object_properties(cat, schema)
    if not props:
        return schema_label(schema)
    resolved = cat.resolve(cat.schema_index.unwrap(schema))
    required = [n for n in resolved.get("required") or () if n in props]
    required += [n for n in sorted(must or ()) if n in props and n not in required]
    out: dict[str, Any] = {}
    for name in [*required, *(n for n in props if n not in required)]:
        sub = props[name]
        label = schema_label(cat.schema_index.unwrap(sub))
        if name in required:
            label += " (required)"
        enum = _enum(cat, sub)
        if enum:
            out[name] = f"{label}: one of {', '.join(map(str, enum))}"
        elif depth > 0 and _is_object(cat, sub):
            out[name] = _fields(cat, sub, depth - 1)
        else:
            out[name] = label
    return out


def _is_object(cat: Catalog, schema: dict[str, Any]) -> bool:
    resolved = cat.resolve(cat.schema_index.unwrap(schema))
    return resolved.get("type", "object") == "object" and bool(object_properties(cat, schema))


def _example(action: Action, cat: Catalog) -> dict[str, Any]:
    args: dict[str, Any] = {}
    params = {
        p.name: _typed(p, example_param(action, p))
        for p in action.params
        if p.required and p.role != "header"
    }
    if params:
        args["params"] = params
    body = example_body(action, cat)
    if body is not None:
        args["body"] = body
    return args


def _typed(p: Param, text: str) -> Any:
    """A parameter example as the JSON value a model sends (``6``, not ``"6"``)."""
    if text == "null":
        return None
    if p.type in ("Edm.Int32", "Edm.Int64", "Edm.Boolean", "Edm.Double", "Edm.Decimal"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _returns(action: Action, cat: Catalog) -> dict[str, Any]:
    r = action.response
    out: dict[str, Any] = {"type": r.label}
    schema: dict[str, Any] | None = None
    if r.kind == "collection" and r.item and r.item in cat.schemas:
        schema = {"$ref": f"#/components/schemas/{r.item}"}
        out["paging"] = "skip/top" if action.pageable else "none"
    elif r.kind == "entity":
        schema = r.schema
    if schema is not None:
        props = object_properties(cat, schema)
        out["fields"] = {k: schema_label(cat.schema_index.unwrap(v)) for k, v in props.items()}
    return out
