"""Test helpers no PBX has: the ``/emulator/*`` endpoints, the request log, fault injection.

``/emulator/health`` reports the release, ``/emulator/requests`` lists (or, with
``DELETE``, clears) the log of requests, ``/emulator/tokens/expire`` makes tokens expire
now and ``/emulator/faults`` holds rules that delay requests or answer them with a chosen
status.  The XAPI and token endpoints call :func:`log_request` and :func:`inject_fault`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .wire import OAUTH_JSON, JSONDecodeError, envelope, json_response, loads

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["AdminEndpoints", "check_fault", "inject_fault", "log_request"]


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
        if request.method == "DELETE":
            self.state.requests.clear()
            return Response(status_code=204)
        return json_response(200, list(self.state.requests), OAUTH_JSON)

    async def expire_tokens(self, request: Request) -> Response:
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
        if request.method == "DELETE":
            self.state.faults.clear()
            return Response(status_code=204)
        if request.method == "POST":
            try:
                rule = loads(await request.body() or b"{}")
                problem = check_fault(rule)
            except (ValueError, JSONDecodeError):
                problem = "the body is not JSON"
            if problem:
                return json_response(
                    400,
                    {
                        "error": f"Bad fault rule: {problem}. Send e.g. "
                        '{"path": "/xapi/v1/Users", "status": 503, "times": 2}.'
                    },
                    OAUTH_JSON,
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
