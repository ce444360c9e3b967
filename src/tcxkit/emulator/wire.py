"""What goes on the wire: the JSON codec, content types and the PBX's answer shapes.

Every HTTP module builds responses through these helpers, so the OData JSON content type,
the ``{"error": {"code", "message", "details"}}`` envelope and the OAuth error shape are
written in one place.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .validate import Failure

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
    "JSONDecodeError",
    "dumps",
    "envelope",
    "json_response",
    "loads",
    "oauth_error",
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


def oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description}, OAUTH_JSON)
