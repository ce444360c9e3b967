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
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..catalog import Action
from ..redaction import redact
from .admin import inject_fault, log_request
from .odata import ODataQueryError
from .registry import Reply, RequestContext, XapiError
from .routing import LiteralError, decode_literal
from .store import EntityNotFoundError, StoreError
from .token_endpoint import bearer
from .validate import REQUIRED, Failure, envelope_message
from .wire import (
    API_PREFIX,
    ODATA_JSON,
    JSONDecodeError,
    dumps,
    envelope,
    json_response,
    loads,
)

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["SYSTEM_OWNER_RESOURCES", "XapiEndpoints"]

SYSTEM_OWNER_RESOURCES = frozenset(
    {"CallHistoryView", "ChatHistoryView", "ChatMessagesHistoryView", "Recordings"}
)


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
        name = request.path_params["name"]
        data = self.state.extra.get("backup_files", {}).get(name)
        if data is None:
            return envelope(
                404, f"There is no backup named {name!r}: list them with GET /xapi/v1/Backups."
            )
        return Response(
            data,
            200,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

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
        return log_request(self.state, request, response, body_for_log)

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
        client_id, denied = bearer(self.state, request)
        if denied is not None:
            return denied
        match = s.router.match(request.method, rest)
        if match.action is None:
            if match.status == 405:
                return envelope(
                    405,
                    f"The path {rest} does not support {request.method}; it allows "
                    + ", ".join(match.allowed)
                    + ".",
                    Allow=", ".join(match.allowed),
                )
            message = f"No XAPI {s.release} operation matches {request.method} {API_PREFIX}{rest}."
            if match.hint:
                message += " " + match.hint
            return envelope(404, message)
        action = match.action
        if s.faults:
            injected = await inject_fault(s, request, action.id)
            if injected is not None:
                return injected
        if (
            action.resource in SYSTEM_OWNER_RESOURCES
            and s.config.options.get("role") == "system_admin"
        ):
            return envelope(403, f"{action.id} needs the System Owner role.")
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
                return envelope(status, exc.message, [Failure(pname, "WARNINGS.INVALID")])
        body: Any = None
        if action.body is not None:
            if raw.strip():
                try:
                    body = loads(raw)
                except (ValueError, JSONDecodeError) as exc:
                    return envelope(
                        400,
                        f"The request body is not valid JSON ({exc}).",
                        [Failure("body", "WARNINGS.INVALID")],
                    )
            failures = self._validate_body(action, body)
            if failures:
                return envelope(400, envelope_message(failures), failures)
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
            return json_response(exc.status, exc.envelope())
        except ODataQueryError as exc:
            return envelope(400, str(exc))
        except EntityNotFoundError as exc:
            return envelope(404, str(exc))
        except StoreError as exc:
            return envelope(400, str(exc))
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
