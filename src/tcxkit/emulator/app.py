"""The emulated PBX as an ASGI application (Starlette).

Layout of the server, as on a real PBX:

* ``POST /connect/token`` — OAuth client credentials (form-urlencoded or multipart).
* ``/xapi/v1/...`` — every operation of the selected release, behind a bearer token.
  ``swagger.json``, ``swagger.yaml`` and ``$metadata`` are served without a token.
* ``/backups/<file>`` — the relative ``DownloadLink`` of a backup (bearer token needed).
* ``/emulator/...`` — test helpers that no PBX has: ``health``, ``requests`` (the
  request log; ``DELETE`` clears it), ``tokens/expire`` (make tokens expire now) and
  ``faults`` (answer given operations with a given status, e.g. 504), ``pbx-health``
  (what health checks read: disk, services, certificate...; :mod:`.healthctl`) and
  ``backups`` (make the next backups fail, never finish or come out corrupt;
  :mod:`.domain.backups`), ``updates`` (make the next updates never come back or fail;
  :mod:`.updates`), ``clock`` (the PBX's clock: live calls, the traffic generator;
  :mod:`.timeline`).

Every answer carries ``X-3CX-Version``.  This module only assembles the Starlette app;
the parts live by concern:

* :mod:`.state` — :class:`AppState`: the release's entity sets, keys and singletons;
* :mod:`.generic` — the built-in answer for operations without a domain handler;
* :mod:`.xapi` — the ``/xapi/v1`` endpoint (routing, validation, dispatch, errors, spec
  documents and ``$metadata``) and ``/backups/<file>``;
* :mod:`.token_endpoint` — ``/connect/token`` and the bearer check;
* :mod:`.admin` — the ``/emulator/*`` helpers, request log and fault injection;
* :mod:`.wire` — JSON codec, content types and the error envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import wraps

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import happenings, timeline
from .admin import AdminEndpoints
from .config import EmulatorConfig
from .healthctl import HealthControl
from .registry import Registry
from .state import AppState, SetInfo
from .token_endpoint import TokenEndpoint
from .updates import UpdateGate
from .updates import control_endpoint as updates_control
from .wire import API_PREFIX, dumps, envelope, loads
from .xapi import XapiEndpoints

__all__ = ["AppState", "SetInfo", "create_app", "dumps", "loads"]


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
            return envelope(405, f"XAPI does not support the method {request.method}.")
        return envelope(status, f"No XAPI operation matches {request.method} {request.url.path!r}.")
    detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
    return Response(detail, status, media_type="text/plain; charset=utf-8")


class VersionHeader:
    """ASGI middleware: every response carries ``X-3CX-Version`` (read per response: an
    update changes the build, :mod:`.updates`)."""

    def __init__(self, app: ASGIApp, config: EmulatorConfig):
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                header = (b"x-3cx-version", self.config.build.encode())
                message["headers"] = [*message["headers"], header]
            await send(message)

        await self.app(scope, receive, with_header)


_CONTROL = ["GET", "POST", "DELETE"]


def create_app(config: EmulatorConfig | None = None, *, reg: Registry | None = None) -> Starlette:
    """Build the ASGI app of one emulated PBX (seeded by the domain's start hooks)."""
    # Its own copy: an update changes the build it reports (.updates), and the caller's
    # config may serve another emulator later.
    config = replace(config) if config is not None else EmulatorConfig()
    _load_domain()

    state = AppState(config, reg=reg)
    try:
        for hook in state.registry.start_hooks:
            hook(state)
    except BaseException:
        state.store.close()  # releases the database file's lock for the next attempt
        raise
    if config.data == "demo" and not state.registry.start_hooks:
        seed_minimal(state)
    admin, oauth, xapi = AdminEndpoints(state), TokenEndpoint(state), XapiEndpoints(state)
    routes = [
        Route("/connect/token", oauth.token, methods=["POST"]),
        # Answered directly, as ASP.NET Core's routing matches a trailing slash: a redirect
        # would be built from the client's Host header and, as a 307, re-send the secret.
        Route("/connect/token/", oauth.token, methods=["POST"]),
        Route("/emulator/health", admin.health, methods=["GET"]),
        Route("/emulator/requests", admin.request_log, methods=["GET", "DELETE"]),
        Route("/emulator/tokens/expire", admin.expire_tokens, methods=["POST"]),
        Route("/emulator/faults", admin.set_faults, methods=["GET", "POST", "DELETE"]),
        Route("/emulator/pbx-health", HealthControl(state).handle, methods=["GET", "PATCH"]),
        *happenings.routes(state),  # calls, registrations, trunks (tcxkit.events tests)
        *timeline.routes(state),  # the PBX's clock: live calls, the traffic generator
        Route("/emulator/backups", _control(state, backups_control), methods=_CONTROL),
        Route("/emulator/updates", _control(state, updates_control), methods=_CONTROL),
        Route("/backups/{name:xapipath}", xapi.backup_file, methods=["GET"]),
        Route(
            API_PREFIX + "/{rest:xapipath}",
            xapi.xapi,
            # Every method reaches the router, which answers unknown ones with 405 + Allow.
            methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(VersionHeader, config=config),
            Middleware(UpdateGate, state=state),  # 503 while an update restarts the PBX
            Middleware(timeline.Ticker, state=state),  # runs live calls on the server's loop
        ],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    # No redirect anywhere: Starlette's slash redirect takes its Location from the Host
    # header, which any client sets (the public URL is the only base for links).
    app.router.redirect_slashes = False
    app.state.emulator = state
    return app


def _control(
    state: AppState, endpoint: Callable[[AppState, Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """A control endpoint of a module that takes the state (backup and update faults),
    named after it (docs/emulator-routes.md shows which function answers)."""

    @wraps(endpoint)
    async def bound(request: Request) -> Response:
        return await endpoint(state, request)

    return bound


async def backups_control(state: AppState, request: Request) -> Response:
    """``/emulator/backups``: the backup faults of :mod:`.domain.backups` (loaded on use)."""
    from .domain.backups import control_endpoint

    return await control_endpoint(state, request)


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
