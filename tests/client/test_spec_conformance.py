"""Every request the client builds conforms to its release's official OpenAPI document.

For each shipped release and each of its operations, arguments are generated
from the spec (tests/client/specgen.py), turned into the exact HTTP request the
client would send (``prepare()`` plus the sans-IO flow that adds the bearer
token and content type), and checked three ways:

1. openapi-core, an independent implementation, finds the operation from the
   method and URL and validates path, query and header parameters and the JSON
   body against the spec;
2. the URL only uses characters a PBX reads unambiguously: everything outside
   RFC 3986's unreserved/sub-delims set is percent-encoded, and no raw ``+``
   appears (a PBX reads it as a space);
3. what the server decodes is what the caller meant: path literals equal an
   independently formatted OData literal, and query options decode back to
   the values passed in.

No operation is skipped; each release's item asserts how many were validated.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
import warnings
import zlib
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from tcxkit.catalog import RELEASES, Action, Catalog, catalog, load_spec, snake
from tcxkit.flow import ClientCore, NeedToken, Send
from tcxkit.pipeline import prepare

from .specgen import SpecValueGenerator, flatten_object

HOST = "https://pbx.test"
OPTION_KEYS = ("select", "expand", "orderby", "filter", "search", "top", "skip", "count")

# Operation counts of the official documents (tests/client/test_catalog.py pins the
# catalog side; this pins that every one of them went through openapi-core).
EXPECTED_OPERATIONS = {
    "20.0.4": 526,
    "20.0.5": 531,
    "20.0.6": 547,
    "20.0.7": 566,
    "20.0.8": 571,
    "20.0.9": 590,
    "20.0.10": 601,
}

# Characters allowed unencoded in a path segment / query (RFC 3986 pchar and
# query, minus "+", which a PBX decodes as a space).
_PATH_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*,;=:@/]|%[0-9A-F]{2})*$")
_QUERY_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*,;=:@/?]|%[0-9A-F]{2})*$")
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


@cache
def _openapi(release: str) -> Any:
    """openapi-core's view of one release, built once per session.

    The document itself is not re-validated (``spec_validator_cls=None``): it
    is the vendor's, and checking it would only slow the test down.
    """
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(load_spec(release), config=Config(spec_validator_cls=None))


class WireRequest:
    """A sent request in the shape openapi-core's ``Request`` protocol expects.

    The path is percent-decoded once, as a server does before routing; the
    query is split into name/value pairs the same way.
    """

    def __init__(self, send: Send) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        parts = urlsplit(send.url)
        self.raw_path = parts.path
        self.raw_query = parts.query
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.path = unquote(parts.path)
        self.method = send.method.lower()
        self.body = send.content
        headers = Headers(send.headers)
        self.content_type = (headers.get("Content-Type") or "").lower()
        self.query_pairs = parse_qsl(parts.query, keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(self.query_pairs),
            header=headers,
            cookie=ImmutableMultiDict(),
        )


def _wire(core: ClientCore, prepared: Any) -> Send:
    """Drive the client's flow up to the request it would put on the wire."""
    flow = core.exchange(prepared)
    step = next(flow)
    if isinstance(step, NeedToken):
        step = flow.send("conformance-test-token")
    flow.close()
    assert isinstance(step, Send), step
    return step


# -- argument generation -----------------------------------------------------------


def _entity_properties(gen: SpecValueGenerator, action: Action) -> tuple[list[str], list[str]]:
    """(scalar-ish property names, navigation property names) of what the action returns."""
    name = action.response.item
    schema = action.response.schema
    if name:
        schema = {"$ref": f"#/components/schemas/{name}"}
    merged = flatten_object(gen.spec, schema) if schema else None
    props = (merged or {}).get("properties") or {}
    plain = [p for p in props if not p.startswith("@")]
    nav = [p for p, s in props.items() if gen.resolve(s).get("x-ms-navigationProperty")]
    return [p for p in plain if p not in nav] or ["Id"], nav or plain or ["Id"]


def _options(gen: SpecValueGenerator, action: Action) -> dict[str, Any]:
    rng = gen.rng
    plain, nav = _entity_properties(gen, action)
    out: dict[str, Any] = {}
    # ActivityLog GetLogs (20.0.4, 20.0.5) has function parameters named top, skip
    # and search besides the OData options; prepare() gives the keyword to the
    # function parameter, so those options cannot be sent there (see report).
    taken = {n for p in action.params for n in (p.name, p.python_name)}
    if "select" in action.query:
        out["select"] = rng.sample(plain, min(len(plain), rng.randint(1, 3)))
    if "expand" in action.query:
        out["expand"] = rng.sample(nav, 1)
    if "orderby" in action.query:
        first, *rest = rng.sample(plain, min(len(plain), 2))
        out["orderby"] = [first, *(f"{p} desc" for p in rest)]
    if "filter" in action.query:
        out["filter"] = f"{rng.choice(plain)} eq 'O''Brien & Co+1 #{rng.randint(0, 9)}%'"
    if "search" in action.query:
        out["search"] = f"café {rng.randint(0, 99)}"
    if "top" in action.query:
        out["top"] = rng.randint(0, 1000 if action.is_report else 100)
    if "skip" in action.query:
        out["skip"] = rng.randint(0, 5000)
    if "count" in action.query:
        out["count"] = rng.random() < 0.5
    return {k: v for k, v in out.items() if k not in taken}


def _arguments(
    gen: SpecValueGenerator, action: Action
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(keyword arguments for prepare(), spec-named parameter values, OData options).

    Some values are passed as the Python objects a caller would use (datetime,
    UUID) instead of the generated strings, to cover the pipeline's formatting.
    """
    rng = gen.rng
    args: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for p in action.params:
        if p.location == "header":
            value: Any = f'W/"{rng.getrandbits(40):010x}"'  # If-Match takes an ETag
        else:
            schema = gen.resolve(p.schema)
            if (
                schema.get("type") == "string"
                and "format" not in schema
                and schema.get("maxLength")
            ):
                # The quoted OData literal is what fills the template, so the
                # spec's maxLength covers the two quotes too.
                schema = {**schema, "maxLength": schema["maxLength"] - 2}
            value = _as_python(gen.value(schema), schema, rng.random())
        values[p.name] = value
        args[p.name if rng.random() < 0.5 else p.python_name] = value
    if action.body is not None:
        body_schema = gen.resolve(action.body.schema)
        if action.body.wrapped:
            for name in action.body.wrapped:
                key = name if rng.random() < 0.5 else snake(name)
                args[key] = gen.value(body_schema["properties"][name], 1)
        else:
            args["body"] = gen.value(body_schema)
    options = _options(gen, action)
    args.update(options)
    return args, values, options


def _as_python(value: Any, schema: dict[str, Any], roll: float) -> Any:
    if not isinstance(value, str) or roll < 0.5:
        return value
    if schema.get("format") == "date-time":
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:  # 7 fraction digits: Python stops at 6
            return value
    if schema.get("format") == "uuid":
        return uuid.UUID(value)
    return value


# -- independent expectations ----------------------------------------------------


def _expected_literal(value: Any, schema: dict[str, Any]) -> str:
    """How OData spells a parameter value in a URL (not using tcxkit.odata)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):  # openapi-core checks the format independently
        return value.isoformat().replace("+00:00", "Z")
    if schema.get("format") in ("date-time", "uuid", "date", "duration", "time"):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _check_wire(
    action: Action, request: WireRequest, values: dict[str, Any], options: dict[str, Any]
) -> list[str]:
    problems: list[str] = []
    if not _PATH_CHARS.match(request.raw_path):
        problems.append(f"path not fully percent-encoded: {request.raw_path}")
    if not _QUERY_CHARS.match(request.raw_query):
        problems.append(f"query not fully percent-encoded: {request.raw_query}")

    def literal(m: re.Match[str]) -> str:
        param = action.param(m.group(1))
        assert param is not None, m.group(1)
        return _expected_literal(values[param.name], param.schema)

    expected_path = "/xapi/v1" + _PLACEHOLDER.sub(literal, action.path)
    if request.path != expected_path:
        problems.append(f"decoded path {request.path!r} != expected {expected_path!r}")

    sent = dict(request.query_pairs)
    if len(sent) != len(request.query_pairs):
        problems.append(f"repeated query options: {request.raw_query}")
    for key in OPTION_KEYS:
        if key not in options:
            continue
        value = options[key]
        if isinstance(value, list):
            want = ",".join(value)
        elif isinstance(value, bool):
            want = "true" if value else "false"
        else:
            want = str(value)
        if sent.get(f"${key}") != want:
            problems.append(f"${key} decodes to {sent.get(f'${key}')!r}, expected {want!r}")
    if_match = values.get("If-Match")
    if if_match is not None and request.parameters.header.get("If-Match") != if_match:
        problems.append("If-Match header not sent as given")
    if request.body is not None and request.content_type != "application/json":
        problems.append(f"body sent with content type {request.content_type!r}")
    return problems


# -- the test ------------------------------------------------------------------------


def _validate_release(release: str) -> tuple[int, list[str]]:
    api = _openapi(release)
    cat: Catalog = catalog(release)
    spec = load_spec(release)
    core = ClientCore(HOST, "conformance", "secret", release=release, token_cache=False)
    gen = SpecValueGenerator(spec)
    failures: list[str] = []
    validated = 0
    for action in cat:
        gen.reseed(zlib.crc32(f"{release}:{action.id}".encode()))
        args, values, options = _arguments(gen, action)
        where = f"{action.id} ({action.method} {action.path})"
        try:
            prepared = prepare(action, args, cat)
        except Exception as exc:  # a generated value the pipeline refuses
            failures.append(f"{where}: prepare() refused {args!r}: {exc}")
            continue
        request = WireRequest(_wire(core, prepared))
        problems = [str(e) for e in _iter_errors(api, request)]
        problems += _check_wire(action, request, values, options)
        if problems:
            body = (request.body or b"")[:300].decode("utf-8", "replace")
            detail = "\n      ".join(problems)
            failures.append(
                f"{where}\n    sent {request.method.upper()} "
                f"{request.raw_path}?{request.raw_query} body={body}\n      {detail}"
            )
            continue
        validated += 1
    return validated, failures


def _iter_errors(api: Any, request: WireRequest) -> list[Exception]:
    with warnings.catch_warnings():
        # The spec's OAuth2 scheme is not checked by openapi-core (it warns "Unsupported
        # scheme type"); authentication is covered by the client tests against the emulator.
        warnings.simplefilter("ignore", UserWarning)
        errors = list(api.iter_request_errors(request))
    out: list[Exception] = []
    for err in errors:
        out.append(err)
        cause = err.__cause__
        details = getattr(cause, "schema_errors", None) or getattr(err, "schema_errors", None)
        for detail in details or ():
            out.append(ValueError(f"  {'/'.join(map(str, detail.path))}: {detail.message}"))
        if cause is not None and not details:
            out.append(ValueError(f"  cause: {cause!r}"))
    return out


@pytest.mark.parametrize("release", RELEASES)
def test_every_request_conforms_to_the_spec(release: str, record_property: Any) -> None:
    started = time.perf_counter()
    validated, failures = _validate_release(release)
    elapsed = time.perf_counter() - started
    record_property("operations_validated", validated)
    print(f"{release}: {validated} operations validated by openapi-core in {elapsed:.1f}s")
    assert not failures, f"{len(failures)} non-conforming requests in {release}:\n" + "\n".join(
        failures
    )
    assert validated == len(catalog(release)) == EXPECTED_OPERATIONS[release]


def test_generated_values_match_the_spec_patterns() -> None:
    """The generator's own output must satisfy the spec, or failures above mean nothing."""
    spec = load_spec("20.0.10")
    gen = SpecValueGenerator(spec, seed=7)
    schemas = spec["components"]["schemas"]
    for name in ("Pbx.User", "Pbx.CallLogData", "Pbx.Trunk", "Pbx.Queue"):
        ref = {"$ref": f"#/components/schemas/{name}"}
        for _ in range(5):
            value = gen.value(ref)
            assert gen.matches(value, ref), (name, json.dumps(value)[:500])
    assert "Pbx.User" in schemas
    again = SpecValueGenerator(spec, seed=7)
    assert again.value({"$ref": "#/components/schemas/Pbx.User"}) == SpecValueGenerator(
        spec, seed=7
    ).value({"$ref": "#/components/schemas/Pbx.User"})
