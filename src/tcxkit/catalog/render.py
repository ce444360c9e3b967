"""An action's reference page, as plain text (terminal) and Markdown (docs).

``3cx actions show`` and ``scripts/gen_action_docs.py`` both call this module,
so what a user reads in the terminal is exactly what the published reference
says.  It also decides the command-line option names of an action
(:func:`cli_options`): the CLI builds its options from the same list the page
documents, so the two cannot drift.  Nothing here imports click or rich, which
keeps ``3cx actions show`` fast and lets the docs script run anywhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .descriptions import describe
from .examples import Usage, example_body, example_data, example_value, object_properties, usage
from .model import schema_label
from .naming import kebab
from .options import QUERY_OPTION_NAMES, QUERY_OPTIONS

if TYPE_CHECKING:
    from . import Catalog
    from .model import Action, Param

__all__ = [
    "CliOption",
    "cli_options",
    "example_body",
    "example_value",
    "expected_errors",
    "object_properties",
    "param_description",
    "render_markdown",
    "render_text",
    "summary_line",
]


#: Option names the CLI uses itself; a parameter that collides gets a suffix.
RESERVED_OPTIONS = frozenset(
    {
        *QUERY_OPTION_NAMES,
        "all",
        "body",
        "output",
        "out",
        "items",
        "concurrency",
        "continue-on-error",
        "show-secrets",
        "page-size",
        "help",
        "param",
    }
)


@dataclass(frozen=True, slots=True)
class CliOption:
    """One command-line option of an action.

    ``source`` says where the value goes: ``"param"`` (path/function/header
    parameter ``name``), ``"arg"`` (named argument ``name`` of a wrapped
    action body), ``"body"`` (the whole entity body) or ``"query"`` (an OData
    option).  ``json`` options take a JSON literal, ``@file`` or ``-``.
    """

    flag: str  # e.g. "--peers-request"
    source: str
    name: str
    type_label: str
    required: bool
    help: str
    json: bool = False

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


#: What each effect means for the user, as the page says it (docs/architecture.md "Effects").
EFFECT_NOTES = {
    "read": "changes nothing; retried after a dropped connection",
    "write": "changes the PBX; never re-sent once it may have arrived",
    "delete": "deletes data; asks before it runs",
    "destructive": "irreversible or service-affecting; asks before it runs",
}


# ----------------------------------------------------------------------------- options


def cli_options(action: Action, cat: Catalog | None = None) -> list[CliOption]:
    """The options of ``3cx <resource> <action>``, in display order."""
    out: list[CliOption] = []
    taken: set[str] = set()

    def flag_for(name: str) -> str:
        base = kebab(name) or "value"
        flag = base if base not in RESERVED_OPTIONS and base not in taken else f"{base}-param"
        taken.add(flag)
        return "--" + flag

    for p in action.params:
        out.append(
            CliOption(
                flag=flag_for(p.name),
                source="param",
                name=p.name,
                type_label=_param_type(p),
                required=p.required and p.location != "header",
                help=_param_help(p),
            )
        )
    if action.body is not None:
        if action.body.wrapped:
            props = object_properties(cat, action.body.schema)
            for arg in action.body.wrapped:
                schema = props.get(arg, {})
                out.append(
                    CliOption(
                        flag=flag_for(arg),
                        source="arg",
                        name=arg,
                        type_label=schema_label(schema),
                        required=action.body.required,
                        help=f"body argument {arg!r} as JSON ({schema_label(schema)})",
                        json=True,
                    )
                )
        else:
            out.append(
                CliOption(
                    flag="--body",
                    source="body",
                    name="body",
                    type_label=action.body.label,
                    required=action.body.required,
                    help=f"request body as JSON ({action.body.label})",
                    json=True,
                )
            )
    for q in QUERY_OPTIONS:
        if q.name in action.query:
            out.append(
                CliOption(
                    flag=q.flag,
                    source="query",
                    name=q.name,
                    type_label=q.type_label,
                    required=False,
                    help=q.help,
                )
            )
    return out


def _param_type(p: Param) -> str:
    label = {
        "Edm.String": "string",
        "Edm.Int32": "int32",
        "Edm.Int64": "int64",
        "Edm.Boolean": "boolean",
        "Edm.DateTimeOffset": "date-time",
        "Edm.Guid": "uuid",
    }.get(p.type, p.type)
    return label + (" or null" if p.nullable and p.role == "function" else "")


def param_description(p: Param) -> str:
    """The spec's description of a parameter (none for its "Usage:" filler), plus its codes."""
    desc = "" if p.description.startswith("Usage:") else p.description
    return "; ".join(d for d in (desc, example_data()["codes"].get(p.name, "")) if d)


def _param_help(p: Param) -> str:
    role = {"key": "key", "function": "function parameter", "header": "HTTP header"}[p.role]
    text = f"{role} {p.name!r}"
    if p.nullable and p.role == "function":
        text += ' (pass "null" for none)'
    desc = param_description(p)
    return f"{text}: {desc}" if desc else text


# ----------------------------------------------------------------------------- page content


def summary_line(action: Action) -> str:
    """One line for listings: the hand-written description, the summary, or the path."""
    return describe(action)


def expected_errors(action: Action) -> list[tuple[int, str]]:
    """Exit codes (and why) that this action can end with, most likely first."""
    errs: list[tuple[int, str]] = [(2, "bad option or malformed JSON")]
    if action.params or action.body:
        errs.append((3, "a parameter or body field does not fit its type; nothing is sent"))
    errs.append((4, "the PBX cannot be reached (DNS, TCP, TLS, timeout)"))
    errs.append((5, "wrong client id or API key"))
    errs.append(
        (
            6,
            "needs the System Owner role"
            if action.needs_system_owner
            else "the API client's role is too low, or its IP is not allowed",
        )
    )
    if any(p.role == "key" for p in action.params):
        errs.append((7, "no entity with that key"))
    elif action.kind == "function" and action.params:
        errs.append((7, "a function parameter is missing or empty"))
    if action.method in ("POST", "PATCH", "PUT", "DELETE"):
        errs.append(
            (8, "the PBX refused the change (one warning per property, e.g. ALREADY_IN_USE)")
        )
    elif action.pageable and not action.is_report:
        errs.append((8, "--top above 100 (ordinary sets cap it; use --all instead)"))
    errs.append((9, "server error (5xx), e.g. a report query that timed out"))
    return errs


def _shape(action: Action, cat: Catalog | None) -> list[tuple[str, str]]:
    """Properties of the returned item: (name, type label)."""
    r = action.response
    if r.kind == "collection" and r.item and cat is not None and r.item in cat.schemas:
        schema: dict[str, Any] | None = {"$ref": f"#/components/schemas/{r.item}"}
    elif r.kind == "entity":
        schema = r.schema
    else:
        return []
    props = object_properties(cat, schema)
    return [(k, schema_label(_unwrap_label(v))) for k, v in props.items()]


def _unwrap_label(schema: dict[str, Any]) -> dict[str, Any]:
    parts = schema.get("allOf")
    if parts and len(parts) == 1:
        return parts[0]
    return schema


_WS = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass(frozen=True)
class _Page:
    action: Action
    options: list[CliOption]
    usage: Usage
    body: Any
    shape: list[tuple[str, str]]
    errors: list[tuple[int, str]]


def _page(action: Action, cat: Catalog | None) -> _Page:
    opts = cli_options(action, cat)
    return _Page(
        action=action,
        options=opts,
        usage=usage(action, opts, cat),
        body=example_body(action, cat),
        shape=_shape(action, cat),
        errors=expected_errors(action),
    )


def _returns(action: Action) -> str:
    r = action.response
    text = r.label
    if r.kind == "primitive":
        text += "; -o raw prints the bare value"
    elif r.kind == "collection":
        text += " (JSON list; table/csv/jsonl outputs available; --all pages through everything)"
    elif r.kind == "file":
        text += " (written to --out PATH, or to the file name the PBX sends)"
    return text


# ----------------------------------------------------------------------------- text


def render_text(action: Action, cat: Catalog | None = None, width: int = 100) -> str:
    """The page for a terminal: aligned plain text, no markup."""
    pg = _page(action, cat)
    a = action
    lines = [
        f"{a.id}  ({a.resource}, XAPI {a.release})",
        f"  {a.method} /xapi/v1{a.path}",
        f"  Effect: {a.effect} ({EFFECT_NOTES[a.effect]})",
        "",
    ]
    desc = _clean(a.description) if a.description and a.description != a.summary else ""
    lines.append(summary_line(a) + ".")
    if desc:
        lines.append(desc)
    lines += ["", "Usage:"]
    for u in pg.usage:
        lines += _wrap_command(u, width)

    params = [o for o in pg.options if o.source != "query"]
    if params:
        lines += ["", "Options:"]
        w = max(len(o.flag) for o in params)
        tw = max(len(o.type_label) for o in params)
        for o in params:
            req = "required" if o.required else "optional"
            lines.append(f"  {o.flag:<{w}}  {o.type_label:<{tw}}  {req:<8}  {o.help}")
        if any(o.json for o in params):
            lines.append("  (JSON options take a literal, @file or - for stdin.)")
    query = [o for o in pg.options if o.source == "query"]
    if query:
        lines += ["", "OData options:"]
        w = max(len(o.flag) for o in query)
        lines += [f"  {o.flag:<{w}}  {o.help}" for o in query]
        if a.pageable:
            lines.append(f"  {'--all':<{w}}  every item, page by page")
    if pg.body is not None:
        req = "required" if a.body and a.body.required else "optional"
        lines += ["", f"Body ({req}), example:"]
        lines += ["  " + ln for ln in json.dumps(pg.body, indent=2).splitlines()]
        if must := _must(a, cat):
            lines += _wrap(f"The PBX requires: {must}", width, "  ")
    lines += ["", f"Returns: {_returns(a)}"]
    if pg.shape:
        fields = ", ".join(f"{n} ({t})" for n, t in pg.shape)
        lines += _wrap(fields, width, "  ")
    lines += ["", "Errors to expect (exit code):"]
    lines += [f"  {code:>2}  {why}" for code, why in pg.errors]
    return "\n".join(lines) + "\n"


def _wrap_command(command: str, width: int) -> list[str]:
    """An example command wrapped for a terminal, continued with `` \\`` (pasteable).

    Function actions such as GetCallLogData take eleven options; one 400-column
    line is unreadable.  Python calls (no shell) are wrapped after commas.
    """
    if len(command) + 2 <= width:
        return [f"  {command}"]
    python = command.startswith("client.")
    sep = ", " if python else " --"
    head, *rest = command.split(sep)
    out: list[str] = []
    line = f"  {head}"
    for part in rest:
        piece = (sep.strip() if python else "--") + part
        if python:
            line += ","
            if len(line) + len(piece) + 1 > width:
                out.append(line)
                line = "      " + part
            else:
                line += " " + part
        elif len(line) + len(piece) + 3 > width:
            out.append(line + " \\")
            line = "      " + piece
        else:
            line += " " + piece
    out.append(line)
    return out


def _wrap(text: str, width: int, indent: str) -> list[str]:
    out: list[str] = []
    line = indent
    for word in text.split(" "):
        if len(line) + len(word) + 1 > width and line.strip():
            out.append(line.rstrip())
            line = indent
        line += word + " "
    if line.strip():
        out.append(line.rstrip())
    return out


# ----------------------------------------------------------------------------- markdown


def _md_cell(text: str) -> str:
    return _clean(text).replace("|", "\\|")


def _must(action: Action, cat: Catalog | None) -> str:
    """The body fields the PBX requires, with why (:mod:`.required`), as one sentence."""
    from .required import required_fields

    must = required_fields(action, cat)
    return "; ".join(f"{name} ({why})" for name, why in must.items()) + "." if must else ""


def render_markdown(action: Action, cat: Catalog | None = None) -> str:
    """The page for docs/actions/: the same content as :func:`render_text`, in Markdown."""
    pg = _page(action, cat)
    a = action
    out = [
        f"# {a.id}",
        "",
        f"Resource **{a.resource}** · `{a.method} /xapi/v1{a.path}` · XAPI {a.release} · {a.kind}"
        f" · effect **{a.effect}** ({EFFECT_NOTES[a.effect]})",
        "",
        summary_line(a) + ".",
    ]
    if a.description and a.description != a.summary:
        out += ["", _clean(a.description)]
    out += ["", "## Usage", "", "```sh", pg.usage[0], pg.usage[1], "```", "", "```python"]
    out += [pg.usage[2], "```"]
    params = [o for o in pg.options if o.source != "query"]
    if params:
        out += ["", "## Options", "", "| Option | Type | Required | Description |"]
        out.append("| --- | --- | --- | --- |")
        for o in params:
            req = "yes" if o.required else "no"
            out.append(f"| `{o.flag}` | {_md_cell(o.type_label)} | {req} | {_md_cell(o.help)} |")
        if any(o.json for o in params):
            out += ["", "JSON options take a literal, `@file` or `-` for stdin."]
    query = [o for o in pg.options if o.source == "query"]
    if query:
        out += ["", "## OData options", ""]
        out += [f"- `{o.flag}`: {o.help}" for o in query]
        if a.pageable:
            out.append("- `--all`: every item, page by page")
    if pg.body is not None:
        req = "required" if a.body and a.body.required else "optional"
        out += ["", f"## Body ({req})", "", "```json", json.dumps(pg.body, indent=2), "```"]
        if must := _must(a, cat):
            out += ["", f"The PBX requires: {_md_cell(must)}"]
    out += ["", "## Returns", "", _returns(a)]
    if pg.shape:
        out += ["", "| Field | Type |", "| --- | --- |"]
        out += [f"| {n} | {_md_cell(t)} |" for n, t in pg.shape]
    out += ["", "## Errors to expect", "", "| Exit code | When |", "| --- | --- |"]
    out += [f"| {code} | {_md_cell(why)} |" for code, why in pg.errors]
    return "\n".join(out) + "\n"
