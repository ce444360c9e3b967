#!/usr/bin/env python3
"""Compile the vendored official XAPI specs into the catalogs tcxkit ships.

Run after adding or replacing a file in ``specs/``::

    python scripts/compile_catalogs.py          # rewrite src/tcxkit/catalog/data
    python scripts/compile_catalogs.py --check  # exit 1 if the shipped data is stale

For each release ``specs/xapi-<release>.yaml.xz`` gives two package-data files:

``spec-<release>.json.gz``
    the official document, verbatim, as compact JSON: the source of the
    component schemas and what the emulator serves as its ``swagger.json``.
``catalog-<release>.json.gz``
    one record per operation (see ``tcxkit.catalog.model``): everything the
    client, the CLI and the docs need, so that no YAML is parsed at run time
    and the start-up path reads ~40 KB instead of ~1 MB.

Each record carries the action's ``effect`` (read, write, delete, destructive):
its method's, or the reviewed one in ``src/tcxkit/catalog/effects.json``.  Every
POST must be listed there -- a POST may be a lookup, a write, a delete or a
restart -- so a new release with an unreviewed POST fails to compile.

The output is deterministic (sorted keys, fixed gzip mtime) so that ``--check``
can compare bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import lzma
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
OUT = ROOT / "src" / "tcxkit" / "catalog" / "data"

METHODS = ("get", "post", "patch", "put", "delete")
QUERY_OPTIONS = {
    "$top": "top",
    "$skip": "skip",
    "$search": "search",
    "$filter": "filter",
    "$count": "count",
    "$orderby": "orderby",
    "$select": "select",
    "$expand": "expand",
}
FILE_SCHEMAS = {"#/components/schemas/Pbx.IActionResult"}
FILE_IDS = re.compile(r"^(Download|Export)[A-Z]")
EFFECTS_FILE = ROOT / "src" / "tcxkit" / "catalog" / "effects.json"
EFFECTS = ("read", "write", "delete", "destructive")
#: The effect of a method when the reviewed table does not name the action (POST: never).
METHOD_EFFECTS = {"GET": "read", "PATCH": "write", "PUT": "write", "DELETE": "delete"}


class Unreviewed(Exception):
    """The effects table does not cover the specs (or names what they do not have)."""


def load_effects() -> dict[str, str]:
    """The reviewed effects by operationId; a value outside :data:`EFFECTS` is an error."""
    table = json.loads(EFFECTS_FILE.read_text(encoding="utf-8"))["effects"]
    bad = {k: v for k, v in table.items() if v not in EFFECTS}
    if bad:
        raise Unreviewed(f"effects.json: not one of {', '.join(EFFECTS)}: {bad}")
    return table


def effect_of(op_id: str, method: str, table: dict[str, str]) -> str:
    """An action's effect: the reviewed one, else its method's; an unlisted POST is an error."""
    if op_id in table:
        return table[op_id]
    if method == "POST":
        raise Unreviewed(op_id)
    return METHOD_EFFECTS[method]


def load_spec(path: Path) -> dict[str, Any]:
    import yaml  # only this script parses YAML

    with lzma.open(path, "rt", encoding="utf-8") as fh:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(fh, Loader=loader)


def release_of(path: Path) -> str:
    m = re.fullmatch(r"xapi-(\d+\.\d+\.\d+)\.yaml\.xz", path.name)
    if not m:
        raise SystemExit(f"unexpected spec file name: {path.name}")
    return m.group(1)


def deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        cur: Any = spec
        for part in parts:
            cur = cur[part]
        node = cur
    return node


def param_role(path: str, name: str, where: str) -> str:
    if where != "path":
        return where
    # Function parameters appear as ``name={name}`` inside ``Pbx.Func(...)``;
    # keys as ``Set({Id})`` or alternate keys ``Set(Number={Number})``.
    fn = re.search(r"/Pbx\.\w+\(([^)]*)\)", path)
    if fn and "{" + name + "}" in fn.group(1):
        return "function"
    return "key"


def response_of(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    codes = sorted(c for c in op.get("responses", {}) if c != "default")
    if not codes:
        return {"kind": "none", "status": 204, "schema": None}
    status = codes[0]
    resp = deref(spec, op["responses"][status])
    content = resp.get("content") or {}
    if not content:
        return {"kind": "none", "status": int(status), "schema": None}
    media, body = next(iter(content.items()))
    schema = body.get("schema") or {}
    kind = "entity"
    item = None
    if schema.get("$ref") in FILE_SCHEMAS:
        kind = "file"
    else:
        flat = deref(spec, schema)
        props = {}
        for part in [*flat.get("allOf", []), flat]:
            props.update(deref(spec, part).get("properties", {}))
        value = props.get("value")
        if value is not None and value.get("type") == "array":
            kind = "collection"
            item = value.get("items", {}).get("$ref", "").split("/")[-1] or None
        elif value is not None and set(props) == {"value"}:
            kind = "primitive"
    if kind != "file" and FILE_IDS.match(op["operationId"]):
        # Typed as JSON collections, but a PBX answers these with a file (CSV,
        # XML, ...): 3CX's own web client saves them.  The declared shape is
        # kept in ``item`` for the docs.
        kind = "file"
    return {"kind": kind, "status": int(status), "schema": schema, "media": media, "item": item}


def body_of(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    rb = op.get("requestBody")
    if rb is None:
        return None
    rb = deref(spec, rb)
    schema = rb["content"]["application/json"]["schema"]
    wrapped = None
    title = schema.get("title", "")
    # OData actions take their arguments as one JSON object whose properties are
    # the named parameters ({"peersRequest": {...}}); entity writes take the
    # entity itself.
    if "$ref" not in schema and title.endswith("RequestBody") and "properties" in schema:
        wrapped = sorted(schema["properties"])
    return {"required": bool(rb.get("required")), "schema": schema, "wrapped": wrapped}


def compile_release(
    spec: dict[str, Any], release: str, effects: dict[str, str] | None = None
) -> dict[str, Any]:
    table = load_effects() if effects is None else effects
    actions = []
    unreviewed = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = []
            query = []
            for raw in shared + op.get("parameters", []):
                p = deref(spec, raw)
                if p["in"] == "query" and p["name"] in QUERY_OPTIONS:
                    query.append(QUERY_OPTIONS[p["name"]])
                    continue
                params.append(
                    {
                        "name": p["name"],
                        "in": p["in"],
                        "role": param_role(path, p["name"], p["in"]),
                        "required": bool(p.get("required")),
                        "schema": p.get("schema", {}),
                        "description": p.get("description", ""),
                    }
                )
            tags = op.get("tags") or ["Default"]
            try:
                effect = effect_of(op["operationId"], method.upper(), table)
            except Unreviewed:
                unreviewed.append(op["operationId"])
                continue
            actions.append(
                {
                    "id": op["operationId"],
                    "resource": tags[0],
                    "method": method.upper(),
                    "effect": effect,
                    "path": path,
                    "kind": op.get("x-ms-docs-operation-type", "operation"),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "query": query,
                    "body": body_of(spec, op),
                    "response": response_of(spec, op),
                }
            )
    if unreviewed:
        raise Unreviewed(
            f"XAPI {release}: {len(unreviewed)} POST action(s) have no reviewed effect in "
            f"src/tcxkit/catalog/effects.json: {', '.join(sorted(unreviewed))}. Add each with "
            "read, write, delete or destructive (the rules are in the same file)."
        )
    actions.sort(key=lambda a: (a["resource"], a["id"]))
    return {
        "format": 1,
        "release": release,
        "counts": {
            "operations": len(actions),
            "paths": len(spec["paths"]),
            "schemas": len(spec["components"]["schemas"]),
        },
        "actions": actions,
    }


#: What a Concealed* schema hides: the members tcxkit.redaction masks inside one.
CONCEALED_MEMBERS = {"Pbx.ConcealedPassword": ["Value"], "Pbx.ConcealedDataFile": ["Contents"]}
SECRET_ACTIONS = ROOT / "src" / "tcxkit" / "catalog" / "secret_actions.json"


def concealed_fields(spec: dict[str, Any], found: dict[str, dict[str, Any]]) -> None:
    """Add to ``found`` every property whose schema is a Concealed* type:
    ``{property name: {"schema": Pbx.Concealed..., "in": [schemas]}}``."""

    def walk(owner: str, node: Any, prop: str | None) -> None:
        if isinstance(node, dict):
            target = node.get("$ref", "").rsplit("/", 1)[-1]
            if target in CONCEALED_MEMBERS and prop is not None:
                entry = found.setdefault(prop, {"schema": target, "in": []})
                if entry["schema"] != target:
                    raise SystemExit(f"{prop} is both {entry['schema']} and {target}")
                if owner not in entry["in"]:
                    entry["in"].append(owner)
                    entry["in"].sort()
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    for name, sub in value.items():
                        walk(owner, sub, name)
                else:
                    walk(owner, value, prop)
        elif isinstance(node, list):
            for value in node:
                walk(owner, value, prop)

    schemas = spec["components"]["schemas"]
    for name, members in CONCEALED_MEMBERS.items():
        missing = set(members) - set(schemas.get(name, {}).get("properties", {}))
        if name in schemas and missing:
            raise SystemExit(
                f"{name} has no {', '.join(sorted(missing))}: review CONCEALED_MEMBERS"
            )
    for name, schema in schemas.items():
        walk(name, schema, None)


def secrets_table(fields: dict[str, dict[str, Any]], ids: set[str]) -> dict[str, Any]:
    """``data/secrets.json``: the schema-decided secret fields and the reviewed secret actions."""
    reviewed = json.loads(SECRET_ACTIONS.read_text(encoding="utf-8"))["actions"]
    unknown = sorted(set(reviewed) - ids)
    if unknown:
        raise Unreviewed(f"{SECRET_ACTIONS.name}: no release has {', '.join(unknown)}")
    return {
        "format": 1,
        "concealed_members": CONCEALED_MEMBERS,
        "concealed_fields": dict(sorted(fields.items())),
        "secret_actions": dict(sorted(reviewed.items())),
    }


def gz_json(data: Any) -> bytes:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


def outputs() -> dict[Path, bytes]:
    result: dict[Path, bytes] = {}
    releases = []
    effects = load_effects()
    seen: set[str] = set()
    fields: dict[str, dict[str, Any]] = {}
    for src in sorted(SPECS.glob("xapi-*.yaml.xz")):
        release = release_of(src)
        spec = load_spec(src)
        releases.append(release)
        result[OUT / f"spec-{release}.json.gz"] = gz_json(spec)
        compiled = compile_release(spec, release, effects)
        seen.update(a["id"] for a in compiled["actions"])
        result[OUT / f"catalog-{release}.json.gz"] = gz_json(compiled)
        concealed_fields(spec, fields)
    stale = sorted(set(effects) - seen)
    if stale:
        raise Unreviewed(f"effects.json names actions no release has: {', '.join(stale)}")
    secrets = json.dumps(secrets_table(fields, seen), indent=1, sort_keys=True) + "\n"
    result[OUT / "secrets.json"] = secrets.encode()
    releases.sort(key=lambda r: tuple(int(x) for x in r.split(".")))
    index = json.dumps({"releases": releases, "default": releases[-1]}, indent=1) + "\n"
    result[OUT / "releases.json"] = index.encode()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the shipped data is stale")
    args = ap.parse_args(argv)
    try:
        compiled = outputs()
    except Unreviewed as exc:
        print(f"compile_catalogs: {exc}", file=sys.stderr)
        return 1
    stale = []
    for path, data in compiled.items():
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)} ({len(data):,} bytes)")
    if stale:
        print("stale catalog data: " + ", ".join(stale), file=sys.stderr)
        print("run: python scripts/compile_catalogs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
