"""Examples on action pages: values that work on the demo PBX, and the commands built from them.

``3cx actions show``, ``docs/actions/`` and ``help()`` print, for every action,
a ``3cx`` command, a ``3cx call`` command and a Python call.  They are meant to
be pasted: each runs as printed against ``3cx emulator --data demo`` (a test,
tests/cli/test_examples.py, runs them all).  Values come, in this order, from

1. ``examples.json`` ``actions``: per operationId, parameters and bodies (a
   create example uses a free number, so it succeeds on the demo);
2. ``examples.json`` ``resources``: key and number parameters per resource,
   naming real demo entities (user 100 has Id 6, queue 800 is Id 31, ...);
3. ``examples.json`` ``params``: per parameter name, e.g. a report period that
   holds the demo's call log and the source/destination type codes;
4. the schema: formats, enums and property-name hints (:func:`example_value`);
   an update example leaves out the key and ``Number``, which cannot change.

``codes`` explains coded parameters on the page (the renderer adds it to the
option's help); ``demo_has_none``, ``finds_nothing`` and ``no_result`` say
where the demo PBX holds nothing for an example to find, and why; ``refused_on_demo``
where the demo refuses an example as printed (exit 8), and what makes it run.

Nothing here imports click; the renderer (:mod:`.render`) lays the pages out.
"""

from __future__ import annotations

import json
import shlex
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..schemas import SchemaIndex
from .naming import kebab

if TYPE_CHECKING:
    from . import Catalog
    from .model import Action, Param
    from .render import CliOption

__all__ = [
    "Usage",
    "example_body",
    "example_data",
    "example_param",
    "example_value",
    "object_properties",
    "usage",
]

_FILE = Path(__file__).with_name("examples.json")

#: Rows a report example asks for: enough to see the shape, short to read.
_REPORT_TOP = 10


@cache
def example_data() -> dict[str, Any]:
    """``examples.json`` as a dict (loaded once)."""
    return json.loads(_FILE.read_text(encoding="utf-8"))


def _override(action: Action) -> dict[str, Any]:
    return example_data()["actions"].get(action.id, {})


# Property names whose example value should look like the real thing.
_NAME_HINTS: dict[str, Any] = {
    "number": "100",
    "dnnumber": "100",
    "dn": "100",
    "extension": "100",
    "firstname": "Alice",
    "lastname": "Smith",
    "name": "Example",
    "displayname": "Example",
    "emailaddress": "alice@example.com",
    "email": "alice@example.com",
    "mobile": "+15551234567",
    "phone": "+15551234567",
    "filename": "example.wav",
    "description": "Example",
    "language": "EN",
}

# Properties worth showing first in an example of a large entity.
_PREFERRED = (
    "Id",
    "Number",
    "Name",
    "FirstName",
    "LastName",
    "EmailAddress",
    "DisplayName",
    "Mobile",
    "Description",
    "Enabled",
)

_MAX_EXAMPLE_PROPS = 8
_MAX_DEPTH = 3

# ----------------------------------------------------------------------------- schema helpers


def _index(cat: Catalog | None) -> SchemaIndex:
    """The catalog's schema index; without a catalog, one that sees no ``$ref`` targets."""
    return cat.schema_index if cat is not None else SchemaIndex(None)


def object_properties(cat: Catalog | None, schema: dict[str, Any] | None) -> dict[str, Any]:
    """All properties of an object schema, following ``$ref`` and ``allOf`` inheritance."""
    return _index(cat).declared_properties(schema or {}) or {}


def _unwrap(cat: Catalog | None, schema: dict[str, Any]) -> dict[str, Any]:
    """``allOf: [ {$ref} ]`` with nullable -> the referenced schema."""
    return _index(cat).unwrap(schema)


# ----------------------------------------------------------------------------- examples


def example_value(
    cat: Catalog | None, schema: dict[str, Any] | None, name: str = "", depth: int = 0
) -> Any:
    """A valid example for a schema: real formats, first enum value, no placeholders.

    Values match the spec's patterns (dates, durations, GUIDs, times), so a
    user can paste the example and only change what matters.
    """
    schema = _unwrap(cat, schema or {})
    if "enum" in schema:
        values = [v for v in schema["enum"] if v not in (None, "None")] or schema["enum"]
        return values[0]
    t = schema.get("type")
    fmt = schema.get("format", "")
    hint = _NAME_HINTS.get(name.lower())
    if t == "array":
        item = example_value(cat, schema.get("items"), _singular(name), depth + 1)
        if name.lower() in ("dnnumbers", "numbers") or name.lower().endswith("dns"):
            return ["100", "101"]
        if isinstance(item, dict) and not item:
            return []
        return [item]
    if t == "boolean":
        return False
    if t == "integer":
        return 1
    if t == "number":
        return 1.0
    if t == "string":
        if fmt == "date-time":
            return "2025-01-01T00:00:00Z"
        if fmt == "duration":
            return "PT30S"
        if fmt == "uuid":
            return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
        if fmt == "time":
            return "09:00:00"
        if fmt == "date":
            return "2025-01-01"
        if isinstance(hint, str):
            return hint
        if name.lower().endswith("number"):
            return "100"
        return "example"
    if t == "object" or "properties" in schema or "allOf" in schema:
        if depth >= _MAX_DEPTH:
            return {}
        props = object_properties(cat, schema)
        chosen = _choose_props(props)
        return {k: example_value(cat, props[k], k, depth + 1) for k in chosen}
    return hint if hint is not None else "example"


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _is_navigation(schema: dict[str, Any]) -> bool:
    return bool(schema.get("x-ms-navigationProperty")) or (
        schema.get("type") == "array" and "$ref" in (schema.get("items") or {})
    )


def _choose_props(props: dict[str, Any]) -> list[str]:
    """Small schemas whole; large entities by their identifying fields."""
    if len(props) <= _MAX_EXAMPLE_PROPS:
        return list(props)
    chosen = [p for p in _PREFERRED if p in props and p != "Id"]
    if not chosen:
        chosen = [k for k, v in props.items() if not _is_navigation(v)][:5]
    return chosen[:_MAX_EXAMPLE_PROPS]


def example_body(action: Action, cat: Catalog | None = None) -> Any:
    """The example request body of an action (``None`` when it takes none)."""
    if action.body is None:
        return None
    if "body" in _override(action):
        return _override(action)["body"]
    if action.method == "PATCH" and not action.body.wrapped:
        # An update example changes fields, never the key or a DN's Number (both refused).
        body = example_value(cat, action.body.schema)
        fixed = {"Id", "Number", *(p.name for p in action.params if p.role == "key")}
        if isinstance(body, dict):
            return {k: v for k, v in body.items() if k not in fixed}
        return body
    if action.body.wrapped:
        props = object_properties(cat, action.body.schema)
        return {n: example_value(cat, props.get(n), n, 1) for n in action.body.wrapped}
    return example_value(cat, action.body.schema)


def example_param(action: Action, param: Param) -> str:
    """A parameter's example as typed on the command line (``6``, ``100``, a date)."""
    data = example_data()
    for given in (
        _override(action).get("params", {}).get(param.name),
        data["resources"].get(action.resource, {}).get(param.name),
        data["params"].get(param.name),
    ):
        if given is not None:
            return given if isinstance(given, str) else json.dumps(given)
    return _param_example(param)


def _param_example(param: Param) -> str:
    t = param.type
    if t in ("Edm.Int32", "Edm.Int64"):
        return "1"
    if t == "Edm.Boolean":
        return "false"
    if t == "Edm.DateTimeOffset":
        return "2025-01-01T00:00:00Z"
    if t == "Edm.Guid":
        return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    if param.location == "header":
        return '"*"'
    hint = _NAME_HINTS.get(param.name.lower())
    if isinstance(hint, str):
        return hint
    if param.name.lower().endswith(("number", "dn", "dns", "dnstr")):
        return "100"
    return "example"


class Usage(NamedTuple):
    """The three example calls of an action page."""

    command: str  # 3cx <resource> <action> ...
    call: str  # 3cx call <ActionId> ...
    python: str  # client.<resource>.<action>(...)


def usage(action: Action, opts: list[CliOption], cat: Catalog | None = None) -> Usage:
    """The example calls, with every required option and the example body inline."""
    bits = [f"3cx {action.resource_cli_name} {action.cli_name}"]
    call = [f"3cx call {action.id}"]
    py_args = []
    for o in opts:
        if o.required and o.source == "param":
            p = action.param(o.name)
            value = example_param(action, p) if p else "VALUE"
            bits.append(f"{o.flag} {shlex.quote(value)}")
            call.append(f"--param {shlex.quote(f'{o.name}={value}')}")
            py_args.append(f"{p.python_name if p else o.name}={_py_literal(p, value)}")
    if action.is_report and action.pageable and action.response.shape == "collection":
        # A report over a long period: the first rows show what it returns.
        bits.append(f"--top {_REPORT_TOP}")
        call.append(f"--top {_REPORT_TOP}")
        py_args.append(f"top={_REPORT_TOP}")
    body = example_body(action, cat)
    if action.body is not None:
        if action.body.wrapped:
            for o in opts:
                if o.source == "arg":
                    arg = body.get(o.name) if isinstance(body, dict) else None
                    bits.append(f"{o.flag} {shlex.quote(_compact(arg))}")
                    py_args.append(f"{kebab(o.name).replace('-', '_')}={arg!r}")
        else:
            bits.append(f"--body {shlex.quote(_compact(body))}")
            py_args.append(f"body={body!r}")
        call.append(f"--body {shlex.quote(_compact(body))}")
    py = f"client.{action.resource_python_name}.{action.python_name}({', '.join(py_args)})"
    return Usage(" ".join(bits), " ".join(call), py)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _py_literal(p: Param | None, value: str) -> str:
    if p is not None and p.type in ("Edm.Int32", "Edm.Int64"):
        return value
    if value == "null" and p is not None and p.nullable:
        return "None"
    if value in ("false", "true"):
        return value.capitalize()
    return repr(value.strip('"'))
