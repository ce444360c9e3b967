"""The ``/xapi/v1/...`` endpoint: bearer check, routing, validation, dispatch, rendering.

A request is matched to an operation of the release by :mod:`.routing`, its key and
function parameters decoded, its body validated by :mod:`.validate`, and then answered by
the operation's domain handler (see :mod:`.registry`) or by the generic behaviour of
:mod:`.generic`.  Errors become the PBX's JSON envelope.  ``swagger.json``,
``swagger.yaml`` and ``$metadata`` are served without a token; ``/backups/<file>``
(the ``DownloadLink`` of a backup) needs one.
"""

from __future__ import annotations

import inspect
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from starlette.requests import Request
from starlette.responses import Response

from ..catalog import Action
from ..redaction import redact
from .admin import inject_fault, log_request
from .files import content_disposition
from .generic import created
from .limits import MAX_JSON_BODY, OFFLOAD_BODY
from .odata import ODataQueryError
from .registry import Reply, RequestContext, XapiError
from .routing import LiteralError, decode_literal
from .store import EntityNotFoundError, StoreError
from .validate import REQUIRED, Failure, envelope_message
from .wire import (
    API_PREFIX,
    ODATA_JSON,
    BodyTooLarge,
    bearer,
    dumps,
    envelope,
    json_response,
    loads_bounded,
    percent_problem,
    read_body,
)

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["XapiEndpoints"]


T = TypeVar("T")


class _Body:
    """A request's raw body and, once decoded, its JSON value and its redacted log copy."""

    __slots__ = ("decoded", "logged", "problem", "raw", "value")

    def __init__(self, raw: bytes):
        self.raw = raw
        self.decoded = not raw.strip()
        self.value: Any = None
        self.problem: str | None = None  # why the body is not acceptable JSON
        self.logged: Any = None

    def decode(self) -> None:
        """Decode once (bounded depth) and keep a redacted copy for the request log."""
        if self.decoded:
            return
        self.decoded = True
        try:
            self.value = loads_bounded(self.raw)
        except ValueError as exc:
            self.problem = str(exc)
            self.logged = "<not JSON>"
            return
        self.logged = redact(self.value)


async def _off_loop(body: _Body, work: Callable[[], T]) -> T:
    """Run ``work`` inline for a small body, in a worker thread for a large one."""
    if len(body.raw) < OFFLOAD_BODY:
        return work()
    import anyio.to_thread

    return await anyio.to_thread.run_sync(work)


class XapiEndpoints:
    """The XAPI request handlers; holds the state and the lazily built spec documents."""

    def __init__(self, state: AppState):
        self.state = state
        self._spec_json: bytes | None = None
        self._spec_yaml: bytes | None = None

    async def backup_file(self, request: Request) -> Response:
        _, denied = bearer(self.state, request)
        if denied is not None:
            return denied
        if self.state.faults:  # e.g. {"path": "/backups/*", "status": 204}
            injected = await inject_fault(self.state, request)
            if injected is not None:
                return log_request(self.state, request, injected, None)
        name = request.path_params["name"]
        data = self.state.extra.get("backup_files", {}).get(name)
        if data is None:
            return envelope(
                404, f"There is no backup named {name!r}: list them with GET /xapi/v1/Backups."
            )
        answer = Response(
            data,
            200,
            media_type="application/zip",
            headers={"Content-Disposition": content_disposition(name)},
        )
        return log_request(self.state, request, answer, None)  # a test sees what was fetched

    async def xapi(self, request: Request) -> Response:
        rest = "/" + request.path_params["rest"]
        if request.method == "GET":
            static = self._static(rest)
            if static is not None:
                return static
        # The bearer check comes before a byte of the body is read: an unauthenticated
        # request is answered 401 and nothing of it is parsed or kept.
        client_id, denied = bearer(self.state, request)
        if denied is not None:
            return log_request(self.state, request, denied, None)
        try:
            body = _Body(await read_body(request, MAX_JSON_BODY))
        except BodyTooLarge as exc:
            return log_request(self.state, request, exc.response(), "<too large>")
        response = await self._dispatch(request, rest, body, client_id)
        if body.raw and not body.decoded:
            await _off_loop(body, body.decode)
        return log_request(self.state, request, response, body.logged)

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

    async def _dispatch(
        self, request: Request, rest: str, body: _Body, client_id: str | None
    ) -> Response:
        """Run the steps of a request; every refusal on the way is answered here, once.

        Each step raises :class:`~.registry.XapiError` (handlers too, and the store's and
        the OData parser's errors are mapped to it), so the order of the checks is the
        order of the calls below and the envelope is built in one place.
        """
        try:
            _check_encoding(request)
            action, raw = self._route(request, rest)
            await self._screen(request, action)
            params = self._decode_params(action, raw)
            if action.body is not None:
                await self._accept_body(request, action, body)
            ctx = self._context(request, rest, action, params, body, client_id)
            reply = await self._answer(ctx)
        except (XapiError, ODataQueryError, StoreError) as exc:
            return _refusal(exc)
        return self._render(reply)

    def _route(self, request: Request, rest: str) -> tuple[Action, dict[str, str]]:
        """The release's operation for this method and path, with its raw key literals."""
        s = self.state
        match = s.router.match(request.method, rest)
        if match.action is not None:
            return match.action, match.raw or {}
        if match.status == 405:
            allowed = ", ".join(match.allowed)
            raise XapiError(
                405,
                f"The path {rest} does not support {request.method}; it allows {allowed}.",
                headers={"Allow": allowed},
            )
        message = f"No XAPI {s.release} operation matches {request.method} {API_PREFIX}{rest}."
        raise XapiError(404, f"{message} {match.hint}" if match.hint else message)

    async def _screen(self, request: Request, action: Action) -> None:
        """Injected faults first, then the role: a System Admin cannot read call history."""
        s = self.state
        if s.faults:
            injected = await inject_fault(s, request, action.id)
            if injected is not None:
                raise XapiError.answer(injected)
        if action.needs_system_owner and s.config.options.get("role") == "system_admin":
            raise XapiError(403, f"{action.id} needs the System Owner role.")

    @staticmethod
    def _decode_params(action: Action, raw: dict[str, str]) -> dict[str, Any]:
        """The path's key and function literals as values of their declared types."""
        params: dict[str, Any] = {}
        for pname, text in raw.items():
            param = action.param(pname)
            if param is None:  # pragma: no cover - router and catalog agree
                continue
            try:
                params[pname] = decode_literal(text, param)
            except LiteralError as exc:
                raise XapiError(400, exc.message, [(pname, "WARNINGS.INVALID")]) from None
        return params

    def _context(
        self,
        request: Request,
        rest: str,
        action: Action,
        params: dict[str, Any],
        body: _Body,
        client_id: str | None,
    ) -> RequestContext:
        query = (
            dict(urllib.parse.parse_qsl(request.url.query, keep_blank_values=True))
            if request.url.query
            else {}
        )  # valid percent-encoding: checked by _check_encoding first
        return RequestContext(
            action=action,
            state=self.state,
            method=request.method,
            path=rest,
            params=params,
            query_params=query,
            body=body.value,
            headers=request.headers,
            client_id=client_id,
            base_url=self.state.public_url,
        )

    async def _answer(self, ctx: RequestContext) -> Reply:
        """The operation's domain handler, or the generic behaviour when it has none."""
        s = self.state
        if any(k.startswith("$") for k in ctx.query_params):
            ctx.options  # noqa: B018 - parse early so bad options give 400 first
        found = s.registry.lookup(ctx.action.id, s.release)
        if found is None:
            return created(ctx, s.behaviour.generic(ctx))
        fn, is_async = found
        result = fn(ctx)
        if is_async or inspect.isawaitable(result):
            return created(ctx, await cast("Awaitable[Reply]", result))
        return created(ctx, cast(Reply, result))

    async def _accept_body(self, request: Request, action: Action, body: _Body) -> None:
        """Check an operation's JSON body: media type, then JSON, depth and schema.

        A body of :data:`~.limits.OFFLOAD_BODY` bytes or more is decoded and validated in
        a worker thread, so the event loop keeps answering other requests meanwhile.
        """
        if body.raw.strip():
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                raise XapiError(
                    415,
                    f"Unsupported media type {ctype or '(none)'!r}: send the body as "
                    "application/json.",
                    [("body", "WARNINGS.INVALID")],
                )

        def check() -> list[Failure]:
            body.decode()
            if body.problem is not None:
                return []
            return self._validate_body(action, body.value)

        failures = await _off_loop(body, check)
        if body.problem is not None:
            raise XapiError(
                400,
                f"The request body is not valid JSON ({body.problem}).",
                [("body", "WARNINGS.INVALID")],
            )
        if failures:
            raise XapiError(400, envelope_message(failures), [(f.target, f.code) for f in failures])

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


def _check_encoding(request: Request) -> None:
    """400 for a path or query that is not valid percent-encoded UTF-8 (see
    :func:`~.wire.percent_problem`); the server's lenient decoding would hide it."""
    raw_path = request.scope.get("raw_path") or b""
    for part, text in (
        ("path", raw_path.decode("latin-1")),
        ("query", request.url.query),
    ):
        problem = percent_problem(text)
        if problem is not None:
            raise XapiError(
                400, f"The request {part} is not valid percent-encoded UTF-8: {problem}."
            )


def _refusal(exc: XapiError | ODataQueryError | StoreError) -> Response:
    """The PBX's answer to a refused request: its error envelope (or a ready answer)."""
    if isinstance(exc, ODataQueryError):
        exc = XapiError(400, str(exc))
    elif isinstance(exc, StoreError):
        exc = XapiError(404 if isinstance(exc, EntityNotFoundError) else 400, str(exc))
    if exc.response is not None:
        return exc.response
    return json_response(exc.status, exc.envelope(), headers=exc.headers or None)
