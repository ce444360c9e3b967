"""Test helpers no PBX has: the ``/emulator/*`` endpoints, the request log, fault injection.

``/emulator/health`` reports the release, ``/emulator/requests`` lists (or, with
``DELETE``, clears) the log of requests, ``/emulator/tokens/expire`` makes tokens expire
now and ``/emulator/faults`` holds rules that delay requests or answer them with a chosen
status (or 204, no content).  The XAPI, token and backup-file (``/backups/<file>``)
endpoints call :func:`log_request` and :func:`inject_fault`.

Everything but ``health`` needs the emulator's credentials, because the log and the
fault rules are as sensitive as the API itself: either a live bearer token of the
configured API client (what ``/connect/token`` issues) or HTTP Basic with that client's
id and secret (RFC 6749's ``client_secret_basic``), which lets a test harness drive the
helpers without taking the one active token away from the client under test.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import hmac
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from . import wire
from .limits import MAX_JSON_BODY
from .wire import OAUTH_JSON, bearer, control_error, dumps, envelope, json_response

if TYPE_CHECKING:
    from .state import AppState

__all__ = [
    "LOGGED_BODY",
    "AdminEndpoints",
    "RequestLog",
    "check_fault",
    "control_denied",
    "inject_fault",
    "log_request",
]

#: Fault-rule keys and the JSON types each accepts (``body`` may be any JSON value).
_RULE_TYPES: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "operation": (str,),
    "method": (str,),
    "status": (int,),
    "delay": (int, float),
    "times": (int,),
}
_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"})
#: Longest ``delay`` a rule may ask for, seconds (a stuck test should fail, not hang).
MAX_FAULT_DELAY = 120
#: Rules held at once.
MAX_FAULTS = 100
#: The one success a rule may answer: 204, nothing sent (a file action with no file).
NO_CONTENT = 204
#: Characters of a body's JSON text kept in the request log; a longer body is logged as
#: ``{"truncated": <its length>, "head": <the first LOGGED_BODY characters>}``.
LOGGED_BODY = 4096
#: What one entry costs besides its strings (the dict, its keys, the numbers), roughly.
_ENTRY_OVERHEAD = 400


class RequestLog:
    """The request log: newest last, bounded in entries *and* in bytes.

    Bodies arrive already redacted (secrets masked), and only for requests that passed
    authentication: nothing of an unauthenticated request is kept but its method, path,
    query and status.  A body longer than :data:`LOGGED_BODY` characters is cut, and the
    oldest entries are dropped while the total is over ``max_bytes``, so however large or
    many the requests, the log holds a bounded amount of memory.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: collections.deque[tuple[int, dict[str, Any]]] = collections.deque()
        self._bytes = 0

    def append(self, entry: dict[str, Any]) -> None:
        entry["body"] = _cut(entry.get("body"))
        size = _ENTRY_OVERHEAD + sum(len(v) for v in entry.values() if isinstance(v, str))
        body = entry["body"]
        if isinstance(body, dict) and "truncated" in body and "head" in body:
            size += len(body["head"])
        elif body is not None:
            size += len(dumps(body))
        self._entries.append((size, entry))
        self._bytes += size
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            dropped, _ = self._entries.popleft()
            self._bytes -= dropped

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    @property
    def bytes(self) -> int:
        """What the entries cost, as counted against ``max_bytes``."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (entry for _, entry in list(self._entries))

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self._entries[index][1]


def _cut(body: Any) -> Any:
    """A logged body, cut to :data:`LOGGED_BODY` characters of its JSON text."""
    if body is None or isinstance(body, bool | int | float):
        return body
    text = body if isinstance(body, str) else dumps(body).decode("utf-8", "replace")
    if len(text) <= LOGGED_BODY:
        return body
    return {"truncated": len(text), "head": text[:LOGGED_BODY]}


def control_denied(state: AppState, request: Request) -> Response | None:
    """None when the request carries the emulator's credentials, else the 401 to send."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            pair = ""
        client_id, _, secret = pair.partition(":")
        expected = f"{state.config.client_id}:{state.config.client_secret}"
        if hmac.compare_digest(f"{client_id}:{secret}".encode(), expected.encode()):
            return None
    elif scheme.lower() == "bearer":
        client_id, denied = bearer(state, request)
        if denied is None and client_id == state.config.client_id:
            return None
    return envelope(
        401,
        "The /emulator/ control endpoints need the emulator's credentials: "
        "'Authorization: Bearer <token from /connect/token>' or HTTP Basic with the "
        "API client id and secret.",
        **{"WWW-Authenticate": 'Basic realm="emulator", Bearer realm="emulator"'},
    )


class AdminEndpoints:
    """The ``/emulator/*`` request handlers of one emulated PBX."""

    def __init__(self, state: AppState):
        self.state = state

    async def health(self, request: Request) -> Response:
        s = self.state
        return json_response(
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
        if (denied := control_denied(self.state, request)) is not None:
            return denied
        if request.method == "DELETE":
            self.state.requests.clear()
            return Response(status_code=204)
        return json_response(200, list(self.state.requests), OAUTH_JSON)

    async def expire_tokens(self, request: Request) -> Response:
        if (denied := control_denied(self.state, request)) is not None:
            return denied
        client_id = request.query_params.get("client_id")
        count = self.state.tokens.expire_all(client_id)
        return json_response(200, {"expired": count}, OAUTH_JSON)

    async def set_faults(self, request: Request) -> Response:
        """``POST`` adds a rule, ``GET`` lists them, ``DELETE`` clears them.

        A rule is ``{"path": "/xapi/v1/Users", "method": "POST", "status": 503,
        "delay": 2.0, "times": 1}``: requests to that exact path (a trailing ``*``
        matches a prefix), optionally only that method, are delayed by ``delay``
        seconds and/or answered with ``status``, for the next ``times`` requests
        (forever when omitted).  ``operation`` may replace ``path`` (an operationId).
        """
        if (denied := control_denied(self.state, request)) is not None:
            return denied
        if request.method == "DELETE":
            self.state.faults.clear()
            return Response(status_code=204)
        if request.method == "POST":
            try:
                rule = wire.loads_bounded(await wire.read_body(request, MAX_JSON_BODY) or b"{}")
                problem = check_fault(rule)
            except wire.BodyTooLarge as exc:
                return control_error(413, f"The fault rule is larger than {exc.limit} bytes.")
            except ValueError:
                problem = "the body is not JSON"
            if not problem and len(self.state.faults) >= MAX_FAULTS:
                problem = f"{MAX_FAULTS} rules are set already; DELETE them first"
            if problem:
                return control_error(
                    400,
                    f"Bad fault rule: {problem}. Send e.g. "
                    '{"path": "/xapi/v1/Users", "status": 503, "times": 2}.',
                )
            self.state.faults.append(rule)
        return json_response(200, self.state.faults, OAUTH_JSON)


def log_request(state: AppState, request: Request, response: Response, body: Any) -> Response:
    """Append one request to the log and pass the response on.

    ``body`` is the redacted body of an authenticated request, a marker such as
    ``"<not JSON>"``, or None; callers never pass anything of an unauthenticated one.
    """
    state.requests.append(
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


async def inject_fault(
    state: AppState, request: Request, action_id: str | None = None
) -> Response | None:
    """Apply the first matching fault rule: delay and/or an injected status."""
    path = request.url.path
    for rule in state.faults:
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
        if status == NO_CONTENT:  # done, nothing sent: as DropCall answers (a file not there)
            return Response(status_code=NO_CONTENT)
        if status:
            if "body" in rule:
                return json_response(int(status), rule["body"])
            return wire.envelope(
                int(status), f"Injected fault (emulator rule for {want or action_id})."
            )
        return None
    return None


def check_fault(rule: Any) -> str:
    """Why a fault rule is unusable ('' when fine): every key and type is checked here,
    so a stored rule can never break a later request."""
    if not isinstance(rule, dict):
        return "send a JSON object"
    for key, value in rule.items():
        if key == "body":
            continue
        kinds = _RULE_TYPES.get(key)
        if kinds is None:
            known = ", ".join([*_RULE_TYPES, "body"])
            return f"unknown key {key!r} (known: {known})"
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            wanted = "a number" if key == "delay" else kinds[0].__name__.replace("str", "a string")
            return f"'{key}' must be {wanted.replace('int', 'an integer')}"
    if not rule.get("path") and not rule.get("operation"):
        return "give 'path' (e.g. /xapi/v1/Users) or 'operation' (an operationId)"
    method = rule.get("method")
    if method and method.upper() not in _METHODS:
        return "'method' must be one of " + ", ".join(sorted(_METHODS))
    status = rule.get("status")
    if status is not None and status != NO_CONTENT and not 400 <= status <= 599:
        return "'status' must be 204 (no content) or an integer 400..599"
    if status == NO_CONTENT and "body" in rule:
        return "a 204 (no content) answer has no 'body'"
    delay = rule.get("delay")
    if delay is not None and not 0 <= delay <= MAX_FAULT_DELAY:
        return f"'delay' must be 0..{MAX_FAULT_DELAY} seconds"
    if not status and not delay:
        return "give 'status' and/or 'delay' (seconds)"
    times = rule.get("times")
    if times is not None and times < 0:
        return "'times' must be a whole number"
    return ""
