"""What goes on the wire: the JSON codec, content types and the PBX's answer shapes.

Every HTTP module builds responses through these helpers, so the OData JSON content type,
the ``{"error": {"code", "message", "details"}}`` envelope and the OAuth error shape are
written in one place.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .limits import MAX_JSON_DEPTH
from .validate import Failure

if TYPE_CHECKING:
    from .state import AppState

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

__all__ = [
    "API_PREFIX",
    "OAUTH_JSON",
    "ODATA_JSON",
    "BodyTooLarge",
    "JSONDecodeError",
    "bearer",
    "dumps",
    "envelope",
    "json_depth",
    "json_response",
    "loads",
    "loads_bounded",
    "oauth_error",
    "percent_problem",
    "read_body",
]

ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true"
OAUTH_JSON = "application/json; charset=utf-8"
API_PREFIX = "/xapi/v1"


def json_response(
    status: int, body: Any, content_type: str = ODATA_JSON, headers: dict | None = None
) -> Response:
    return Response(dumps(body), status, headers=headers, media_type=content_type)


def envelope(
    status: int, message: str, failures: list[Failure] | None = None, **headers: str
) -> Response:
    details = [{"code": "", "message": f.code, "target": f.target} for f in failures or []]
    return json_response(
        status,
        {"error": {"code": "", "message": message, "details": details}},
        headers=headers or None,
    )


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def percent_problem(text: str) -> str | None:
    """Why URL text is not valid percent-encoded UTF-8 (None when it is).

    A ``%`` must start a two-digit hex escape (a literal ``%`` is ``%25``), and the bytes
    the escapes stand for must be UTF-8.  Decoding leniently would turn ``%FF`` into
    U+FFFD, and a filter on it would silently match nothing.
    """
    bad = _BAD_ESCAPE.search(text)
    if bad is not None:
        at = text[bad.start() : bad.start() + 3]
        return f"'{at}' is not a percent-escape (write a literal % as %25)"
    if "%" in text:
        try:
            urllib.parse.unquote(text, errors="strict")
        except UnicodeDecodeError:
            return "its percent-escapes are not UTF-8 (e.g. %FF); encode text as UTF-8"
    return None


def control_error(status: int, message: str) -> Response:
    """A control endpoint's refusal (``/emulator/...``), in the envelope every XAPI error
    has, so a client reads any of the emulator's errors at ``error.message``."""
    return envelope(status, message)


def oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description}, OAUTH_JSON)


class BodyTooLarge(Exception):
    """A request body over its limit (answered 413 before the rest is read)."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit

    def response(self) -> Response:
        return envelope(
            413,
            f"The request body is larger than {self.limit} bytes, the most this PBX accepts.",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read chunk by chunk and refused as soon as it passes ``limit``.

    A ``Content-Length`` over the limit is refused before a byte is read, so a 50 MB
    request costs nothing; a chunked one stops at the first chunk that crosses it.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # later request.body()/form() reuse it instead of re-reading
    return body


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep arrays and objects nest in ``value``, counted up to ``limit + 1``.

    Iterative, so the check itself cannot recurse; it stops as soon as the limit is
    passed.
    """
    deepest = 0
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest


def loads_bounded(raw: bytes) -> Any:
    """``loads`` that refuses nesting deeper than :data:`~.limits.MAX_JSON_DEPTH` levels.

    Raises ``ValueError`` (the message says why) for invalid JSON, invalid UTF-8 and
    too deep nesting alike.
    """
    try:
        value = loads(raw)
    except (ValueError, JSONDecodeError) as exc:
        if "depth" in str(exc) or "recursion" in str(exc).lower():
            raise ValueError(f"it nests deeper than {MAX_JSON_DEPTH} levels") from None
        raise ValueError(str(exc)) from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"it nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def bearer(state: AppState, request: Request) -> tuple[str | None, Response | None]:
    """``(client_id, None)`` for a live bearer token, else ``(None, the 401 to send)``."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None, Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="xapi"'})
    record = state.tokens.check(token.strip())
    if record is None:
        reason = state.tokens.why_invalid(token.strip())
        return None, Response(
            status_code=401,
            headers={
                "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'
            },
        )
    return record.client_id, None
