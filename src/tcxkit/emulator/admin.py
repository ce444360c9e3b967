"""Test helpers no PBX has: the ``/emulator/*`` endpoints, the request log, fault injection.

``/emulator/health`` reports the release, ``/emulator/requests`` lists (or, with
``DELETE``, clears) the log of requests, ``/emulator/tokens/expire`` makes tokens expire
now and ``/emulator/faults`` holds rules that delay requests or answer them with a chosen
status.  The XAPI and token endpoints call :func:`log_request` and :func:`inject_fault`.

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
import hmac
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .limits import MAX_JSON_BODY
from .wire import OAUTH_JSON, BodyTooLarge, envelope, json_response, loads_bounded, read_body

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["AdminEndpoints", "check_fault", "control_denied", "inject_fault", "log_request"]

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


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message}, OAUTH_JSON)


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
        from .token_endpoint import bearer  # token_endpoint imports this module

        client_id, denied = bearer(state, request)
        if denied is None and client_id == state.config.client_id:
            return None
    return json_response(
        401,
        {
            "error": "The /emulator/ control endpoints need the emulator's credentials: "
            "'Authorization: Bearer <token from /connect/token>' or HTTP Basic with the "
            "API client id and secret."
        },
        OAUTH_JSON,
        {"WWW-Authenticate": 'Basic realm="emulator", Bearer realm="emulator"'},
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
                rule = loads_bounded(await read_body(request, MAX_JSON_BODY) or b"{}")
                problem = check_fault(rule)
            except BodyTooLarge as exc:
                return _error(413, f"The fault rule is larger than {exc.limit} bytes.")
            except ValueError:
                problem = "the body is not JSON"
            if not problem and len(self.state.faults) >= MAX_FAULTS:
                problem = f"{MAX_FAULTS} rules are set already; DELETE them first"
            if problem:
                return _error(
                    400,
                    f"Bad fault rule: {problem}. Send e.g. "
                    '{"path": "/xapi/v1/Users", "status": 503, "times": 2}.',
                )
            self.state.faults.append(rule)
        return json_response(200, self.state.faults, OAUTH_JSON)


def log_request(state: AppState, request: Request, response: Response, body: Any) -> Response:
    """Append one request to the log (bodies already redacted) and pass the response on."""
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
        if status:
            if "body" in rule:
                return json_response(int(status), rule["body"])
            return envelope(int(status), f"Injected fault (emulator rule for {want or action_id}).")
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
    if status is not None and not 400 <= status <= 599:
        return "'status' must be an integer 400..599"
    delay = rule.get("delay")
    if delay is not None and not 0 <= delay <= MAX_FAULT_DELAY:
        return f"'delay' must be 0..{MAX_FAULT_DELAY} seconds"
    if not status and not delay:
        return "give 'status' and/or 'delay' (seconds)"
    times = rule.get("times")
    if times is not None and times < 0:
        return "'times' must be a whole number"
    return ""
