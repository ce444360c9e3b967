"""The emulated PBX as an ASGI application (Starlette).

Layout of the server, as on a real PBX:

* ``POST /connect/token`` — OAuth client credentials (form-urlencoded or multipart).
* ``/xapi/v1/...`` — every operation of the selected release, behind a bearer token.
  ``swagger.json``, ``swagger.yaml`` and ``$metadata`` are served without a token.
* ``/backups/<file>`` — the relative ``DownloadLink`` of a backup (bearer token needed).
* ``/emulator/...`` — test helpers that no PBX has: ``health``, ``requests`` (the
  request log; ``DELETE`` clears it), ``tokens/expire`` (make tokens expire now) and
  ``faults`` (answer given operations with a given status, e.g. 504).

Every answer carries ``X-3CX-Version``.  Routing is a dict lookup on the path's
signature (see :mod:`.routing`), bodies are validated with :mod:`.validate`,
and each operation without a domain handler gets the generic behaviour in
:meth:`AppState.generic` (store-backed entity sets and singletons, generated
values for functions and actions, real files for downloads).
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..catalog import Action, catalog, odata_type
from ..redaction import redact
from .auth import TokenStore
from .config import EmulatorConfig
from .files import make_csv, make_wav, make_zip
from .odata import ODataQueryError, QueryOptions, parse_query, project
from .registry import Registry, Reply, RequestContext, XapiError, registry
from .responses import ValueGenerator
from .routing import LiteralError, Router, decode_literal
from .store import FRAGMENT_CACHE_ROWS, DuplicateKeyError, EntityNotFoundError, Store, StoreError
from .validate import REQUIRED, Failure, Validator, envelope_message

try:  # orjson is much faster; the stdlib is the fallback
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)

    def loads(data: bytes) -> Any:
        return orjson.loads(data)

    JSONDecodeError: type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - depends on the environment
    import json

    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    def loads(data: bytes) -> Any:
        return json.loads(data)

    JSONDecodeError = ValueError

__all__ = ["AppState", "SetInfo", "create_app", "dumps", "loads"]

ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true"
OAUTH_JSON = "application/json; charset=utf-8"
API_PREFIX = "/xapi/v1"
SYSTEM_OWNER_RESOURCES = frozenset(
    {"CallHistoryView", "ChatHistoryView", "ChatMessagesHistoryView", "Recordings"}
)


@dataclass
class SetInfo:
    """An entity set of the release and how the store keeps it."""

    name: str  # as in the URL: "Users", "Defs/Codecs"
    type_name: str
    key: str = "Id"
    key_type: str = "int"
    alt_keys: tuple[str, ...] = ()


def _table_name(set_name: str) -> str:
    return set_name.replace("/", "_").replace(".", "_")


class AppState:
    """Everything one emulated PBX holds: config, catalog, store, tokens, log, plans."""

    def __init__(self, config: EmulatorConfig, *, reg: Registry | None = None):
        self.config = config
        self.release = config.version
        self.catalog = catalog(config.version)
        self.router = Router(self.catalog)
        self.validator = Validator(self.catalog.schemas)
        self.generator = ValueGenerator(self.catalog.schemas)
        self.registry = reg or registry
        self.tokens = TokenStore(lifetime=config.token_lifetime, single_token=config.single_token)
        self.store = Store(
            str(config.db) if config.db else None,
            cache_rows=int(config.options.get("row_cache", FRAGMENT_CACHE_ROWS)),  # type: ignore[call-overload]
        )
        self.requests: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=config.request_log_size
        )
        self.faults: list[dict[str, Any]] = list(config.options.get("faults", ()) or ())  # type: ignore[call-overload]
        self.extra: dict[str, Any] = {}
        self.sets: dict[str, SetInfo] = {}
        self.type_sets: dict[str, str] = {}
        self.singletons: dict[str, str] = {}  # path name -> type name
        self._open_sets: dict[str, Any] = {}
        self._generated: dict[str, Any] = {}
        self._auth_attempts: dict[str, collections.deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._discover()

    # -- model of the release ---------------------------------------------------------
    def _discover(self) -> None:
        """Find entity sets, their item types, keys, alternate keys and singletons.

        Two passes, so the answer never depends on the order of the spec's operations:
        first every set's item type is settled (a collection ``GET`` names it; failing
        that, a keyed operation's response or body schema; a ``DELETE`` names none), then
        sets are registered and their keys read from the keyed paths.
        """
        ops = [a for a in self.catalog if a.kind == "operation"]
        types: dict[str, str | None] = {}
        keyed: list[tuple[str, bool, Any]] = []  # (set, is alternate key, path parameter)
        for a in ops:
            segs = a.path.strip("/").split("/")
            pparams = [p for p in a.params if p.location == "path"]
            if a.method == "GET" and a.response.kind == "collection" and not pparams:
                types[a.path.strip("/")] = a.response.item or "Pbx.Entity"
            elif len(segs) == 1 and "(" in segs[0] and pparams:
                name = segs[0].split("(", 1)[0]
                keyed.append((name, "=" in segs[0], pparams[0]))
                if types.get(name) is None:
                    types[name] = _ref_name(a.response.schema) or _ref_name(
                        a.body.schema if a.body else None
                    )
            elif (
                a.method == "GET" and a.response.kind == "entity" and not pparams and len(segs) == 1
            ):
                self.singletons[segs[0]] = _ref_name(a.response.schema) or f"Pbx.{segs[0]}"
        for name, type_name in types.items():
            self.register_set(name, type_name or f"Pbx.{name}")
        for name, alternate, param in keyed:
            info = self.sets[name]
            if alternate:
                if param.name not in info.alt_keys:
                    info.alt_keys += (param.name,)
            else:
                info.key = param.name
                info.key_type = _key_type(param)

    def register_set(
        self,
        name: str,
        type_name: str,
        *,
        key: str = "Id",
        key_type: str = "int",
        alt_keys: tuple[str, ...] = (),
    ) -> SetInfo:
        """Declare an entity set (domain modules may add sets for report rows)."""
        info = self.sets.get(name)
        if info is None:
            info = SetInfo(name, type_name, key, key_type, alt_keys)
            self.sets[name] = info
            self.type_sets.setdefault(type_name, name)
        return info

    def entity_set(self, name: str) -> Any:
        """The store's table for a set, created lazily on first use."""
        es = self._open_sets.get(name)
        if es is not None:
            return es
        info = self.sets.get(name)
        if info is None:
            raise KeyError(f"{name!r} is not an entity set of XAPI {self.release}")
        schema = self.catalog.schemas.get(info.type_name, {})
        props = self.generator.properties(schema) if schema else {}
        nav = {p for p, s in props.items() if s.get("x-ms-navigationProperty")}
        dates = {p for p, s in props.items() if s.get("format") == "date-time"}
        es = self.store.entity_set(
            _table_name(name),
            key=info.key,
            key_type=info.key_type,  # type: ignore[arg-type]
            type_name=info.type_name,
            properties=set(props) - nav if props else None,
            nav_props=nav,
            datetime_props=dates,
            indexes=tuple(k for k in info.alt_keys if k in props),
        )
        self._open_sets[name] = es
        return es

    def singleton(self, name: str) -> dict[str, Any]:
        """A settings singleton's stored value (generated and stored on first use)."""
        table = self._singleton_table()
        row = table.get(name)
        if row is None:
            value = self.generator.entity(self.singletons.get(name, f"Pbx.{name}"), name)
            row = table.insert({"Name": name, "Value": value})
        return row["Value"]

    def set_singleton(self, name: str, value: dict[str, Any]) -> None:
        table = self._singleton_table()
        if table.get(name) is None:
            table.insert({"Name": name, "Value": value})
        else:
            table.replace(name, {"Name": name, "Value": value})

    def _singleton_table(self) -> Any:
        es = self._open_sets.get("__singletons")
        if es is None:
            es = self.store.entity_set("Singletons__", key="Name", key_type="str")
            self._open_sets["__singletons"] = es
        return es

    # -- query options ----------------------------------------------------------------
    def query_options(self, action: Action, params: Any) -> QueryOptions:
        """Parse ``$`` options: ordinary sets reject $top > max_top, functions do not."""
        report = action.kind in ("function", "functionImport")
        return parse_query(params, max_top=None if report else self.config.max_top)

    # -- generic behaviour --------------------------------------------------------------
    def generic(self, ctx: RequestContext) -> Reply:
        """The built-in answer for an operation (see the module docstring)."""
        a = ctx.action
        if a.id == "Backup":
            return self._backup(ctx)
        if a.response.kind == "file":
            return self._file(ctx)
        if a.kind == "operation":
            return self._operation(ctx)
        if a.method == "GET" and a.response.kind == "collection":
            return self._collection_from_type(ctx, a.response.item)
        return self._generated_reply(ctx)

    def _operation(self, ctx: RequestContext) -> Reply:
        a = ctx.action
        segs = a.path.strip("/").split("/")
        pparams = [p for p in a.params if p.location == "path"]
        head = segs[0].split("(", 1)[0]
        if len(segs) == 1 and not pparams and head in self.singletons:
            if a.method == "GET":
                return Reply(200, project(self.singleton(head), ctx.options))
            if a.method == "PATCH":
                self.set_singleton(head, {**self.singleton(head), **(ctx.body or {})})
                return Reply(204)
        if a.method == "GET" and a.response.kind == "collection":
            if not pparams and a.path.strip("/") in self.sets:
                return self._list(ctx, a.path.strip("/"))
            return self._navigation(ctx, head, segs[-1])
        info = self.sets.get(head)
        if info is None:
            return self._generated_reply(ctx)
        es = self.entity_set(head)
        if a.method == "POST" and not pparams:
            return self._create(ctx, info, es)
        row = self._lookup(ctx, info, es)
        if a.method == "GET":
            return Reply(200, project(row, ctx.options, es.nav_props))
        if a.method == "PATCH":
            patch = dict(ctx.body or {})
            for alt in info.alt_keys:
                if alt in patch and patch[alt] != row.get(alt):
                    raise ctx.fail(400, (alt, "WARNINGS.XAPI.FORBIDDEN_CHANGE"))
            try:
                es.update(row[info.key], patch)
            except StoreError:
                raise ctx.fail(400, (info.key, "WARNINGS.XAPI.FORBIDDEN_CHANGE")) from None
            return Reply(204)
        if a.method == "DELETE":
            es.delete(row[info.key])
            return Reply(204)
        return self._generated_reply(ctx)

    def _lookup(self, ctx: RequestContext, info: SetInfo, es: Any) -> dict[str, Any]:
        params = ctx.params
        if info.key in params:
            row = es.get(params[info.key])
            target = info.key
        else:
            alt = next((k for k in info.alt_keys if k in params), None)
            if alt is None:
                raise ctx.fail(404, message="No key in the request path.")
            row = es.find_one(**{alt: params[alt]})
            target = alt
        if row is None:
            raise ctx.fail(404, (target, "WARNINGS.XAPI.NOT_FOUND"))
        return row

    def _create(self, ctx: RequestContext, info: SetInfo, es: Any) -> Reply:
        body = dict(ctx.body or {})
        for alt in info.alt_keys:
            if body.get(alt) is not None and es.find_one(**{alt: body[alt]}) is not None:
                raise ctx.fail(400, (alt, "WARNINGS.XAPI.ALREADY_IN_USE"))
        if info.key_type == "str" and not body.get(info.key):
            raise ctx.fail(400, (info.key, REQUIRED))
        try:
            row = es.insert(body)
        except DuplicateKeyError:
            raise ctx.fail(400, (info.key, "WARNINGS.XAPI.DUPLICATE")) from None
        except StoreError as exc:
            raise ctx.fail(400, (info.key, "WARNINGS.INVALID"), message=str(exc)) from None
        return Reply(201, row)

    def _list(self, ctx: RequestContext, set_name: str) -> Reply:
        es = self.entity_set(set_name)
        report = ctx.action.kind != "operation"
        result = es.query(ctx.options, max_top=self.config.report_cap if report else None)
        return self.collection_reply(ctx, result.items, result.count, context=set_name)

    def _navigation(self, ctx: RequestContext, head: str, prop: str) -> Reply:
        """``Groups(5)/Members``: the parent's collection property, paged in memory."""
        info = self.sets.get(head)
        if info is not None:
            parent = self._lookup(ctx, info, self.entity_set(head))
            items = parent.get(prop) or []
        elif head in self.singletons:
            items = self.singleton(head).get(prop) or []
        else:
            items = []
        return self._page(ctx, list(items))

    def _page(self, ctx: RequestContext, items: list[dict[str, Any]]) -> Reply:
        opts = ctx.options
        total = len(items)
        end = None if opts.top is None else opts.skip + opts.top
        if ctx.action.kind != "operation":
            cap = self.config.report_cap
            end = cap if end is None else min(end, opts.skip + cap)
        page = [project(i, opts) if isinstance(i, dict) else i for i in items[opts.skip : end]]
        return self.collection_reply(ctx, page, total if opts.count else None)

    def _collection_from_type(self, ctx: RequestContext, item: str | None) -> Reply:
        set_name = self.type_sets.get(item or "")
        if set_name is not None:
            return self._list(ctx, set_name)
        value = self._generate(ctx.action)
        return self._page(ctx, list(value.get("value", [])) if isinstance(value, dict) else [])

    def _generate(self, action: Action) -> Any:
        cached = self._generated.get(action.id)
        if cached is None:
            cached = self.generator.value(action.response.schema, action.id, items=3)
            self._generated[action.id] = cached
        return cached

    def _generated_reply(self, ctx: RequestContext) -> Reply:
        a = ctx.action
        kind = a.response.kind
        if kind == "none" or not a.response.schema:
            return Reply(a.response.status if a.response.status != 200 else 204)
        if kind == "collection":
            return self._collection_from_type(ctx, a.response.item)
        return Reply(a.response.status or 200, self._generate(a))

    def collection_reply(
        self,
        ctx: RequestContext,
        items: list[Any],
        count: int | None = None,
        *,
        context: str | None = None,
    ) -> Reply:
        base = ctx.base_url
        body: dict[str, Any] = {
            "@odata.context": f"{base}{API_PREFIX}/$metadata#{context or _context_name(ctx.action)}"
        }
        if count is not None:
            body["@odata.count"] = count
        body["value"] = items
        return Reply(200, body)

    # -- files ----------------------------------------------------------------------------
    def _file(self, ctx: RequestContext) -> Reply:
        a = ctx.action
        name = a.id
        if a.response.item:
            rows = self._rows_for(ctx, a.response.item)
            return Reply.file(make_csv(rows), f"{_file_stem(name)}.csv", "text/csv")
        if "Recording" in name or "Greeting" in name or "Playlist" in name:
            label = next(iter(ctx.params.values()), "file")
            return Reply.file(make_wav(1.0), f"{_file_stem(name)}-{label}.wav", "audio/x-wav")
        if a.method == "POST":
            return Reply(a.response.status or 200, b"", "text/plain")
        if "Script" in name:
            return Reply.file(
                b"# generated by the tcxkit emulator\r\n", f"{name}.ps1", "text/plain"
            )
        if "Trunk" in name:
            xml = b'<?xml version="1.0" encoding="utf-8"?><Trunk emulated="true"/>'
            return Reply.file(xml, f"trunk-{ctx.params.get('Id', 0)}.xml", "application/xml")
        if "Policy" in name:
            return Reply.file(
                dumps({"Version": "2012-10-17", "Statement": []}), "policy.json", "application/json"
            )
        rows = [
            self.generator.value(
                {"type": "object", "properties": {"Name": {"type": "string"}}}, name
            )
        ]
        return Reply.file(make_csv(rows), f"{_file_stem(name)}.csv", "text/csv")

    def _rows_for(self, ctx: RequestContext, item: str) -> list[dict[str, Any]]:
        set_name = self.type_sets.get(item)
        if set_name is not None:
            opts = ctx.options
            return self.entity_set(set_name).query(opts, max_top=self.config.report_cap).items
        return list(self._generate(ctx.action).get("value", []))

    def _backup(self, ctx: RequestContext) -> Reply:
        """``Backups/Pbx.Backup``: write a real zip and list it under Backups."""
        desc = (ctx.body or {}).get("description") or {}
        stem = str(desc.get("Name") or f"backup-{int(time.time())}")
        file_name = stem if stem.endswith(".zip") else f"{stem}.zip"
        archive = backup_archive(self, desc)
        self.extra.setdefault("backup_files", {})[file_name] = archive
        es = self.entity_set("Backups")
        row = {
            "FileName": file_name,
            "CreationTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "Size": len(archive),
            "DownloadLink": f"/backups/{quote(file_name)}",
        }
        if es.get(file_name) is None:
            es.insert(row)
        else:
            es.replace(file_name, row)
        return Reply(204)


def backup_archive(state: AppState, description: dict[str, Any]) -> bytes:
    """A small but real backup zip: a manifest and the settings singletons."""
    manifest = {
        "Product": "3CX Phone System (tcxkit emulator)",
        "Version": state.config.build,
        "Created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "Contents": description.get("Contents"),
    }
    return make_zip({"manifest.json": dumps(manifest), "pbx/settings.json": dumps({})})


def _check_fault(rule: Any) -> str:
    """Why a fault rule is unusable ('' when fine)."""
    if not isinstance(rule, dict):
        return "send a JSON object"
    if not rule.get("path") and not rule.get("operation"):
        return "give 'path' (e.g. /xapi/v1/Users) or 'operation' (an operationId)"
    status = rule.get("status")
    if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
        return "'status' must be an integer 400..599"
    if not status and not rule.get("delay"):
        return "give 'status' and/or 'delay' (seconds)"
    times = rule.get("times")
    if times is not None and not (isinstance(times, int) and times >= 0):
        return "'times' must be a whole number"
    return ""


def _key_type(param: Any) -> str:
    """The store's key type for a key parameter.

    Judged by the schema's ``format`` as well as the Edm type: 20.0.6 declares integer
    keys as ``type: number, format: int32``, which is still an integer key.
    """
    if param.type in ("Edm.Int32", "Edm.Int64", "Edm.Int16", "Edm.Byte"):
        return "int"
    if param.type == "Edm.Guid" or param.schema.get("format") == "uuid":
        return "uuid"
    if param.schema.get("format") in ("int16", "int32", "int64"):
        return "int"
    return "str"


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    name = odata_type(schema)
    return name if name.startswith("Pbx.") else None


def _context_name(action: Action) -> str:
    if action.response.item:
        return f"Collection({action.response.item})"
    return action.path.strip("/").split("(", 1)[0]


def _file_stem(operation_id: str) -> str:
    for prefix in ("Download", "Export", "Get"):
        if operation_id.startswith(prefix) and len(operation_id) > len(prefix):
            return operation_id[len(prefix) :]
    return operation_id


# -- HTTP layer -------------------------------------------------------------------------


def _json(
    status: int, body: Any, content_type: str = ODATA_JSON, headers: dict | None = None
) -> Response:
    return Response(dumps(body), status, headers=headers, media_type=content_type)


def _envelope(
    status: int, message: str, failures: list[Failure] | None = None, **headers: str
) -> Response:
    details = [{"code": "", "message": f.code, "target": f.target} for f in failures or []]
    return _json(
        status,
        {"error": {"code": "", "message": message, "details": details}},
        headers=headers or None,
    )


def _oauth_error(status: int, error: str, description: str) -> Response:
    return _json(status, {"error": error, "error_description": description}, OAUTH_JSON)


class _AnyPath(Convertor[str]):
    """Like Starlette's ``path`` convertor, but also across newlines.

    ``path`` is ``.*``, which stops at a decoded ``%0A``/``%0D``; such a request would then
    miss the XAPI route and get Starlette's text/plain 404 instead of the PBX envelope.
    """

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("xapipath", _AnyPath())


async def _not_found(request: Request, exc: Exception) -> Response:
    """Starlette's 404s and 405s: the PBX's JSON envelope under /xapi/v1, plain text elsewhere."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if request.url.path.startswith(API_PREFIX):
        if status == 405:
            return _envelope(405, f"XAPI does not support the method {request.method}.")
        return _envelope(
            status, f"No XAPI operation matches {request.method} {request.url.path!r}."
        )
    detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
    return Response(detail, status, media_type="text/plain; charset=utf-8")


class VersionHeader:
    """ASGI middleware: every response carries ``X-3CX-Version``."""

    def __init__(self, app: ASGIApp, version: str):
        self.app = app
        self.header = (b"x-3cx-version", version.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], self.header]
            await send(message)

        await self.app(scope, receive, with_header)


def create_app(config: EmulatorConfig | None = None, *, reg: Registry | None = None) -> Starlette:
    """Build the ASGI app of one emulated PBX (seeded by the domain's start hooks)."""
    config = config or EmulatorConfig()
    _load_domain()
    state = AppState(config, reg=reg)
    for hook in state.registry.start_hooks:
        hook(state)
    if config.data == "demo" and not state.registry.start_hooks:
        seed_minimal(state)
    api = _Api(state)
    routes = [
        Route("/connect/token", api.token, methods=["POST"]),
        Route("/emulator/health", api.health, methods=["GET"]),
        Route("/emulator/requests", api.request_log, methods=["GET", "DELETE"]),
        Route("/emulator/tokens/expire", api.expire_tokens, methods=["POST"]),
        Route("/emulator/faults", api.set_faults, methods=["GET", "POST", "DELETE"]),
        Route("/backups/{name:path}", api.backup_file, methods=["GET"]),
        Route(
            API_PREFIX + "/{rest:xapipath}",
            api.xapi,
            # Every method reaches the router, which answers unknown ones with 405 + Allow.
            methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(VersionHeader, version=config.build)],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.emulator = state
    return app


def _load_domain() -> None:
    """Import the domain package when present: importing registers its handlers."""
    try:
        import importlib

        importlib.import_module("tcxkit.emulator.domain")
    except ModuleNotFoundError as exc:
        if exc.name not in ("tcxkit.emulator.domain",):
            raise


def seed_minimal(state: AppState) -> None:
    """A few users when no domain seeder exists yet, so demo data is never empty."""
    users = state.entity_set("Users")
    if len(users):
        return
    names = [("Alice", "Archer"), ("Bob", "Baker"), ("Carol", "Cooper"), ("Dan", "Dunn")]
    users.insert_many(
        {
            "Number": str(100 + i),
            "FirstName": first,
            "LastName": last,
            "EmailAddress": f"{first.lower()}@example.com",
            "Enabled": True,
            "Groups": [],
        }
        for i, (first, last) in enumerate(names)
    )


class _Api:
    """The request handlers; holds the state and precomputed static answers."""

    def __init__(self, state: AppState):
        self.state = state
        self._spec_json: bytes | None = None
        self._spec_yaml: bytes | None = None

    # -- admin ------------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        s = self.state
        return _json(
            200,
            {
                "status": "ok",
                "release": s.release,
                "version": s.config.build,
                "operations": len(s.catalog),
            },
            OAUTH_JSON,
        )

    async def request_log(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.requests.clear()
            return Response(status_code=204)
        return _json(200, list(self.state.requests), OAUTH_JSON)

    async def expire_tokens(self, request: Request) -> Response:
        client_id = request.query_params.get("client_id")
        count = self.state.tokens.expire_all(client_id)
        return _json(200, {"expired": count}, OAUTH_JSON)

    async def set_faults(self, request: Request) -> Response:
        """``POST`` adds a rule, ``GET`` lists them, ``DELETE`` clears them.

        A rule is ``{"path": "/xapi/v1/Users", "method": "POST", "status": 503,
        "delay": 2.0, "times": 1}``: requests to that exact path (a trailing ``*``
        matches a prefix), optionally only that method, are delayed by ``delay``
        seconds and/or answered with ``status``, for the next ``times`` requests
        (forever when omitted).  ``operation`` may replace ``path`` (an operationId).
        """
        if request.method == "DELETE":
            self.state.faults.clear()
            return Response(status_code=204)
        if request.method == "POST":
            try:
                rule = loads(await request.body() or b"{}")
                problem = _check_fault(rule)
            except (ValueError, JSONDecodeError):
                problem = "the body is not JSON"
            if problem:
                return _json(
                    400,
                    {
                        "error": f"Bad fault rule: {problem}. Send e.g. "
                        '{"path": "/xapi/v1/Users", "status": 503, "times": 2}.'
                    },
                    OAUTH_JSON,
                )
            self.state.faults.append(rule)
        return _json(200, self.state.faults, OAUTH_JSON)

    async def _fault(self, request: Request, action_id: str | None = None) -> Response | None:
        """Apply the first matching fault rule: delay and/or an injected status."""
        path = request.url.path
        for rule in self.state.faults:
            want = rule.get("path")
            if want is not None:
                if want.endswith("*"):
                    if not path.startswith(want[:-1]):
                        continue
                elif path != want:
                    continue
            if rule.get("operation") is not None and rule["operation"] != action_id:
                continue
            if rule.get("method") and rule["method"].upper() != request.method:
                continue
            if rule.get("times") is not None:
                if rule["times"] <= 0:
                    continue
                rule["times"] -= 1
            if rule.get("delay"):
                await asyncio.sleep(float(rule["delay"]))
            status = rule.get("status")
            if status:
                if "body" in rule:
                    return _json(int(status), rule["body"])
                return _envelope(
                    int(status), f"Injected fault (emulator rule for {want or action_id})."
                )
            return None
        return None

    # -- OAuth --------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        s = self.state
        if s.faults:
            injected = await self._fault(request)
            if injected is not None:
                return self._log(request, injected, None)
        ctype = request.headers.get("content-type", "")
        fields: dict[str, str] = {}
        if ctype.startswith("multipart/form-data"):
            form = await request.form()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        elif ctype.startswith("application/x-www-form-urlencoded"):
            body = (await request.body()).decode("utf-8", "replace")
            fields = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        logged = redact(fields)
        if not fields:
            return self._log(
                request,
                _oauth_error(
                    400,
                    "invalid_request",
                    "The token request must be a form (application/x-www-form-urlencoded or "
                    "multipart/form-data) with client_id, client_secret and grant_type.",
                ),
                None,
            )
        grant = fields.get("grant_type")
        if grant != "client_credentials":
            return self._log(
                request,
                _oauth_error(
                    400,
                    "unsupported_grant_type",
                    "The specified 'grant_type' is not supported: use grant_type=client_credentials."
                    if grant
                    else "The mandatory 'grant_type' parameter is missing: use grant_type=client_credentials.",
                ),
                logged,
            )
        if (
            fields.get("client_id") != s.config.client_id
            or fields.get("client_secret") != s.config.client_secret
        ):
            return self._log(
                request,
                _oauth_error(
                    401, "unauthorized", "The request requires valid user authentication."
                ),
                logged,
            )
        token = s.tokens.issue(s.config.client_id)
        return self._log(
            request,
            _json(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": s.config.expires_in,
                    "access_token": token,
                    "refresh_token": None,
                },
                OAUTH_JSON,
                {"Cache-Control": "no-store", "Pragma": "no-cache"},
            ),
            logged,
        )

    def _bearer(self, request: Request) -> tuple[str | None, Response | None]:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None, Response(
                status_code=401, headers={"WWW-Authenticate": 'Bearer realm="xapi"'}
            )
        record = self.state.tokens.check(token.strip())
        if record is None:
            reason = self.state.tokens.why_invalid(token.strip())
            return None, Response(
                status_code=401,
                headers={
                    "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'
                },
            )
        return record.client_id, None

    async def backup_file(self, request: Request) -> Response:
        _, denied = self._bearer(request)
        if denied is not None:
            return denied
        name = request.path_params["name"]
        data = self.state.extra.get("backup_files", {}).get(name)
        if data is None:
            return _envelope(
                404, f"There is no backup named {name!r}: list them with GET /xapi/v1/Backups."
            )
        return Response(
            data,
            200,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # -- XAPI ---------------------------------------------------------------------------
    def _log(self, request: Request, response: Response, body: Any) -> Response:
        """Append one request to the log (bodies already redacted) and pass the response on."""
        self.state.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "status": response.status_code,
                "body": body,
                "time": time.time(),
            }
        )
        return response

    async def xapi(self, request: Request) -> Response:
        rest = "/" + request.path_params["rest"]
        if request.method == "GET":
            static = self._static(rest)
            if static is not None:
                return static
        raw = await request.body()
        response = await self._dispatch(request, rest, raw)
        body_for_log: Any = None
        if raw:
            try:
                body_for_log = redact(loads(raw))
            except (ValueError, JSONDecodeError):
                body_for_log = "<not JSON>"
        return self._log(request, response, body_for_log)

    def _static(self, rest: str) -> Response | None:
        if rest == "/swagger.json":
            if self._spec_json is None:
                self._spec_json = dumps(self.state.catalog.spec)
            return Response(self._spec_json, media_type="application/json")
        if rest == "/swagger.yaml":
            if self._spec_yaml is None:
                import yaml

                self._spec_yaml = yaml.safe_dump(
                    self.state.catalog.spec, sort_keys=False, allow_unicode=True
                ).encode()
            return Response(self._spec_yaml, media_type="application/yaml")
        if rest == "/$metadata":
            return Response(self._metadata(), media_type="application/xml")
        return None

    def _metadata(self) -> bytes:
        sets = "".join(
            f'<EntitySet Name="{n}" EntityType="{i.type_name}"/>'
            for n, i in sorted(self.state.sets.items())
            if "/" not in n
        )
        singles = "".join(
            f'<Singleton Name="{n}" Type="{t}"/>' for n, t in sorted(self.state.singletons.items())
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">'
            '<edmx:DataServices><Schema Namespace="Default" xmlns="http://docs.oasis-open.org/odata/ns/edm">'
            f'<EntityContainer Name="Container">{sets}{singles}</EntityContainer>'
            "</Schema></edmx:DataServices></edmx:Edmx>"
        ).encode()

    async def _dispatch(self, request: Request, rest: str, raw: bytes) -> Response:
        s = self.state
        client_id, denied = self._bearer(request)
        if denied is not None:
            return denied
        match = s.router.match(request.method, rest)
        if match.action is None:
            if match.status == 405:
                return _envelope(
                    405,
                    f"The path {rest} does not support {request.method}; it allows "
                    + ", ".join(match.allowed)
                    + ".",
                    Allow=", ".join(match.allowed),
                )
            message = f"No XAPI {s.release} operation matches {request.method} {API_PREFIX}{rest}."
            if match.hint:
                message += " " + match.hint
            return _envelope(404, message)
        action = match.action
        if s.faults:
            injected = await self._fault(request, action.id)
            if injected is not None:
                return injected
        if (
            action.resource in SYSTEM_OWNER_RESOURCES
            and s.config.options.get("role") == "system_admin"
        ):
            return _envelope(403, f"{action.id} needs the System Owner role.")
        params: dict[str, Any] = {}
        for pname, text in (match.raw or {}).items():
            param = action.param(pname)
            if param is None:  # pragma: no cover - router and catalog agree
                continue
            try:
                params[pname] = decode_literal(text, param)
            except LiteralError as exc:
                status = 400
                if param.role == "function" and not exc.quoting:
                    status = s.config.function_literal_status
                return _envelope(status, exc.message, [Failure(pname, "WARNINGS.INVALID")])
        body: Any = None
        if action.body is not None:
            if raw.strip():
                try:
                    body = loads(raw)
                except (ValueError, JSONDecodeError) as exc:
                    return _envelope(
                        400,
                        f"The request body is not valid JSON ({exc}).",
                        [Failure("body", "WARNINGS.INVALID")],
                    )
            failures = self._validate_body(action, body)
            if failures:
                return _envelope(400, envelope_message(failures), failures)
        query = (
            dict(urllib.parse.parse_qsl(request.url.query, keep_blank_values=True))
            if request.url.query
            else {}
        )
        ctx = RequestContext(
            action=action,
            state=s,
            method=request.method,
            path=rest,
            params=params,
            query_params=query,
            body=body,
            headers=request.headers,
            client_id=client_id,
            base_url=f"{request.url.scheme}://{request.headers.get('host', 'localhost')}",
        )
        try:
            if any(k.startswith("$") for k in query):
                ctx.options  # noqa: B018 - parse early so bad options give 400 first
            found = s.registry.lookup(action.id, s.release)
            if found is None:
                reply = s.generic(ctx)
            else:
                fn, is_async = found
                result = fn(ctx)
                reply = await result if is_async or inspect.isawaitable(result) else result
        except XapiError as exc:
            return _json(exc.status, exc.envelope())
        except ODataQueryError as exc:
            return _envelope(400, str(exc))
        except EntityNotFoundError as exc:
            return _envelope(404, str(exc))
        except StoreError as exc:
            return _envelope(400, str(exc))
        return self._render(reply)

    def _validate_body(self, action: Action, body: Any) -> list[Failure]:
        assert action.body is not None
        if body is None:
            if action.body.required:
                return [Failure("body", REQUIRED, "a JSON body is required")]
            return []
        failures = self.state.validator.validate(action.body.schema, body)
        if isinstance(body, dict) and len(failures) > 1:
            # Report in the order the client wrote the properties.
            order = {k: i for i, k in enumerate(body)}
            failures.sort(key=lambda f: order.get(f.target.split(".")[0].split("[")[0], len(order)))
        if action.body.wrapped and isinstance(body, dict):
            props = self.state.validator.properties(action.body.schema) or {}
            for arg in action.body.wrapped:
                if arg not in body and not self.state.validator.nullable(props.get(arg, {})):
                    failures.append(Failure(arg, REQUIRED, "missing action parameter"))
        return failures

    def _render(self, reply: Reply) -> Response:
        headers = dict(reply.headers)
        if reply.status == 204 or (reply.body is None and reply.content_type is None):
            return Response(
                status_code=reply.status if reply.status != 200 else 204, headers=headers
            )
        if isinstance(reply.body, bytes | bytearray):
            return Response(
                bytes(reply.body), reply.status, headers=headers, media_type=reply.content_type
            )
        return Response(
            dumps(reply.body),
            reply.status,
            headers=headers,
            media_type=reply.content_type or ODATA_JSON,
        )
