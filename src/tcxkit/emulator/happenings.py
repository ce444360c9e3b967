"""Control endpoints that make things happen on the emulated PBX (for events tests).

A real PBX changes by itself: calls start and end, phones register, trunks drop.  These
endpoints let a test (or a demo) cause each change over HTTP, so ``tcxkit.events`` is
tested against the same XAPI answers a PBX would give.  They need the emulator's
credentials, like every ``/emulator/*`` control endpoint (:func:`.admin.control_denied`):

* ``POST /emulator/calls`` ``{"from": "+441134960371", "to": "800"}`` -- a call starts:
  it appears in ``ActiveCalls`` (``Status`` ``Ringing``); answers ``{"Id": n}``.
  ``from``/``to`` are DNs of the PBX or external numbers (a leading ``+``).
* ``POST /emulator/calls/{Id}/end`` ``{"answered": true, "by": "108"}`` -- it ends: it
  leaves ``ActiveCalls`` and lands in the call log as its segments (a call to a queue or
  ring group: the segment to the group, plus the member's when answered; ``by`` is who
  answered, by default the first member or the callee).  ``{"answered": false}`` ends it
  unanswered (a missed call).  Answers ``{"CallId": n, "SegmentIds": [...]}``.  A live
  call (``MakeCall``, ``--traffic``: :mod:`.domain.livecalls`) is refused with 409: it
  ends by itself, or through ``DropCall``.
* ``POST /emulator/users/{Number}/registration`` ``{"registered": false}`` -- a phone
  unregisters (``IsRegistered``), or registers with ``true``.
* ``POST /emulator/queues/{Queue}/agents/{Number}`` ``{"logged_in": true}`` -- agent
  ``Number`` of queue ``Queue`` logs in (``false``: out): the user's ``QueueStatus``,
  which XAPI keeps for all its queues (``queue.agent_logged_in``/``_out`` events).
  An unknown queue, or a number that is not one of its agents, is a 404.
* ``POST /emulator/trunks/{Number}/online`` ``{"online": false}`` -- a trunk goes down
  (``IsOnline``), or up with ``true``.
* ``POST /emulator/event-log`` ``{"Type": "Error", "Message": "...", "Source": "...",
  "EventId": 4101}`` -- the PBX logs an event (``EventLogs``; ``TimeGenerated`` now);
  answers ``{"Id": n}``.
* ``POST /emulator/license`` ``{"ExpirationDate": "2026-12-31T00:00:00Z"}`` -- the licence
  now expires then (``GetLicenseStatus``).

Bad input is a 400 (a 404 for an unknown call or DN) with the PBX's error envelope
(``{"error": {"code", "message", "details"}}``) saying what to send; a key an endpoint
does not take is refused, never ignored; bodies are bounded like every control endpoint's.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .admin import control_denied
from .limits import MAX_JSON_BODY
from .timeline import stamp as _stamp
from .wire import OAUTH_JSON, BodyTooLarge, control_error, json_response, loads_bounded, read_body

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["Happenings", "routes"]

_NO_CALLS = SimpleNamespace(calls={})
#: Calls in progress that a test may hold at once.
MAX_INJECTED = 1000
#: Longest DN or phone number a control endpoint takes (a body's or a path's).
MAX_NUMBER = 40


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Happenings:
    """The handlers; one per emulated PBX."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._lock = threading.Lock()

    async def _body(
        self, request: Request, example: str, keys: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The request's JSON object; with ``keys``, any other key is refused (a typo
        such as ``"answerd"`` must not pass silently as the default)."""
        try:
            body = loads_bounded(await read_body(request, MAX_JSON_BODY) or b"{}")
        except BodyTooLarge as exc:
            raise _Refused(413, f"The body is larger than {exc.limit} bytes.") from None
        except ValueError:
            raise _Refused(400, f"The body is not JSON; send e.g. {example}.") from None
        if not isinstance(body, dict):
            raise _Refused(400, f"Send a JSON object, e.g. {example}.")
        unknown = sorted(set(body) - set(keys)) if keys else []
        if unknown:
            shown = repr(unknown[0][:MAX_NUMBER])
            raise _Refused(
                400, f"Unknown key {shown}: send only {', '.join(keys)}, e.g. {example}."
            )
        return body

    async def _run(self, request: Request, work: Any) -> Response:
        if (denied := control_denied(self.state, request)) is not None:
            return denied
        try:
            return json_response(200, await work(request), OAUTH_JSON)
        except _Refused as exc:
            return control_error(exc.status, str(exc))

    # -- calls ------------------------------------------------------------------------------
    async def start_call(self, request: Request) -> Response:
        async def work(request: Request) -> Any:
            example = '{"from": "+441134960371", "to": "800"}'
            body = await self._body(request, example, ("from", "to"))
            src, dst = body.get("from"), body.get("to")
            if not isinstance(src, str) or not isinstance(dst, str) or not src or not dst:
                raise _Refused(400, f"Give 'from' and 'to' as strings, e.g. {example}.")
            if len(src) > MAX_NUMBER or len(dst) > MAX_NUMBER:
                raise _Refused(400, f"'from' and 'to' are at most {MAX_NUMBER} characters.")
            for number in (src, dst):
                if not number.startswith("+") and self._peer(number) is None:
                    raise _Refused(404, f"No DN {number!r} on this PBX (external: start with +).")
            with self._lock:
                calls = self.state.entity_set("ActiveCalls")
                if len(calls) >= MAX_INJECTED:
                    raise _Refused(400, f"{MAX_INJECTED} calls are in progress; end some first.")
                now = _stamp(time.time())
                row = calls.insert(
                    {"Caller": self._shown(src), "Callee": self._shown(dst), "Status": "Ringing",
                     "EstablishedAt": now, "LastChangeStatus": now, "ServerNow": now}
                )  # fmt: skip
                self.state.extra.setdefault("injected_calls", {})[row["Id"]] = (src, dst)
            return {"Id": row["Id"]}

        return await self._run(request, work)

    async def end_call(self, request: Request) -> Response:
        async def work(request: Request) -> Any:
            example = '{"answered": true, "by": "108"}'
            body = await self._body(request, example, ("answered", "by"))
            answered = body.get("answered")
            by = body.get("by")
            if not isinstance(answered, bool) or (by is not None and not isinstance(by, str)):
                raise _Refused(400, f"Give 'answered' (true/false) and optionally 'by', e.g. {example}.")  # fmt: skip
            if by is not None and (len(by) > MAX_NUMBER or self._peer(by) is None):
                raise _Refused(404, f"'by' is a DN of this PBX (who answered), e.g. {example}.")
            try:
                call_id = int(request.path_params["id"])
            except ValueError:
                raise _Refused(404, "A call Id is a number (from POST /emulator/calls).") from None
            with self._lock:
                calls = self.state.entity_set("ActiveCalls")
                row = calls.get(call_id)
                if row is None:
                    raise _Refused(404, f"No call {call_id} in progress.")
                if call_id in self.state.extra.get("live_calls", _NO_CALLS).calls:
                    raise _Refused(409, f"Call {call_id} is a live call (MakeCall or --traffic): "
                                   "it ends by itself, or hang it up with DropCall.")  # fmt: skip
                src, dst = self.state.extra.get("injected_calls", {}).pop(
                    call_id, (row.get("Caller") or "", row.get("Callee") or "")
                )
                segments = self._segments(row, src, dst, answered, by)
                calls.delete(call_id)
            return segments

        return await self._run(request, work)

    def _segments(
        self, row: dict[str, Any], src: str, dst: str, answered: bool, by: str | None
    ) -> dict[str, Any]:
        from .domain.livecalls import log_call

        began = _epoch(row.get("EstablishedAt"))
        total = max(1, int(time.time() - began))
        ring = min(total, 3) if answered else total
        talk = total - ring if answered else 0
        return log_call(self.state, src, dst, began=began, ring=ring, talk=talk,
                        answered=answered, by=by)  # fmt: skip

    # -- DN state ---------------------------------------------------------------------------
    async def registration(self, request: Request) -> Response:
        return await self._run(request, lambda r: self._flag(r, "Users", "IsRegistered", "registered"))  # fmt: skip

    async def agent_login(self, request: Request) -> Response:
        async def work(request: Request) -> Any:
            from .domain.livecalls import log_agent, members

            example = '{"logged_in": true}'
            body = await self._body(request, example)
            logged_in = body.get("logged_in")
            if not isinstance(logged_in, bool) or len(body) != 1:
                raise _Refused(400, f"Give 'logged_in' as true or false (only), e.g. {example}.")
            queue, number = request.path_params["queue"], request.path_params["number"]
            if len(queue) > MAX_NUMBER or len(number) > MAX_NUMBER:
                raise _Refused(400, f"A queue or agent number is at most {MAX_NUMBER} characters.")
            if self.state.entity_set("Queues").find_one(Number=queue) is None:
                raise _Refused(404, f"No queue {queue!r} on this PBX.")
            agents = members(self.state, queue)
            user = self.state.entity_set("Users").find_one(Number=number)
            if number not in agents or user is None:
                shown = ", ".join(agents[:20]) or "none"
                raise _Refused(404, f"{number!r} is not an agent of queue {queue} (its agents: {shown}).")  # fmt: skip
            with self._lock:
                status = log_agent(self.state, user, logged_in)
            return {"Queue": queue, "Number": number, "QueueStatus": status}

        return await self._run(request, work)

    async def trunk_online(self, request: Request) -> Response:
        return await self._run(request, lambda r: self._flag(r, "Trunks", "IsOnline", "online"))

    async def _flag(self, request: Request, set_name: str, field: str, key: str) -> Any:
        example = f'{{"{key}": false}}'
        body = await self._body(request, example, (key,))
        value = body.get(key)
        if not isinstance(value, bool):
            raise _Refused(400, f"Give '{key}' as true or false, e.g. {example}.")
        number = request.path_params["number"]
        if len(number) > MAX_NUMBER:
            raise _Refused(400, f"A number is at most {MAX_NUMBER} characters.")
        es = self.state.entity_set(set_name)
        with self._lock:
            row = es.find_one(Number=number)
            if row is None:
                raise _Refused(404, f"No {set_name[:-1].lower()} {number!r} on this PBX.")
            es.update(row["Id"], {field: value})
        return {"Number": number, field: value}

    # -- system -----------------------------------------------------------------------------
    async def event_log(self, request: Request) -> Response:
        async def work(request: Request) -> Any:
            example = '{"Type": "Error", "Message": "Trunk 10000 lost registration"}'
            body = await self._body(request, example, ("Type", "Message", "Source", "EventId"))
            kind, message = body.get("Type"), body.get("Message")
            if kind not in ("Error", "Warning", "Info") or not isinstance(message, str):
                raise _Refused(400, f"Give 'Type' (Error, Warning or Info) and 'Message', e.g. {example}.")  # fmt: skip
            source, event_id = body.get("Source", "System"), body.get("EventId", 0)
            if not isinstance(source, str) or isinstance(event_id, bool) or not isinstance(event_id, int):  # fmt: skip
                raise _Refused(400, "'Source' is a string and 'EventId' an integer.")
            if not -(2**31) <= event_id < 2**31:  # XAPI's EventId is an Int32
                raise _Refused(400, "'EventId' is a 32-bit integer (-2147483648..2147483647).")
            if len(message) > 4000 or len(source) > 200:
                raise _Refused(400, "'Message' is at most 4000 characters, 'Source' 200.")
            row = self.state.entity_set("EventLogs").insert(
                {"Type": kind, "Message": message, "Source": source, "EventId": event_id,
                 "Group": "", "GroupName": "", "Params": [], "TimeGenerated": _stamp(time.time())}
            )  # fmt: skip
            return {"Id": row["Id"]}

        return await self._run(request, work)

    async def license(self, request: Request) -> Response:
        async def work(request: Request) -> Any:
            example = '{"ExpirationDate": "2026-12-31T00:00:00Z"}'
            body = await self._body(request, example, ("ExpirationDate",))
            expires = body.get("ExpirationDate")
            if not isinstance(expires, str) or _epoch(expires, None) is None:
                raise _Refused(400, f"Give 'ExpirationDate' as a date-time, e.g. {example}.")
            if not _has_offset(expires):  # else read in this machine's zone, not the PBX's
                raise _Refused(400, f"Give 'ExpirationDate' in UTC (Z) or with an offset, e.g. {example}.")  # fmt: skip
            current = self.state.singleton("LicenseStatus")
            self.state.set_singleton("LicenseStatus", {**current, "ExpirationDate": expires})
            return {"ExpirationDate": expires}

        return await self._run(request, work)

    # -- lookups ----------------------------------------------------------------------------
    def _peer(self, number: str) -> dict[str, Any] | None:
        from .domain.livecalls import peer

        return peer(self.state, number)

    def _shown(self, number: str) -> str:
        from .domain.livecalls import shown

        return shown(self.state, number)


def _epoch(text: Any, fallback: float | None = -1.0) -> Any:
    """Epoch seconds of a date-time text; ``fallback`` (-1: now) when unreadable."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time() if fallback == -1.0 else fallback


def _has_offset(text: str) -> bool:
    """Whether a date-time :func:`_epoch` reads says its zone (``Z`` or ``+01:00``)."""
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None


def routes(state: AppState) -> list[Route]:
    """The control routes, for :func:`.app.create_app`."""
    h = Happenings(state)
    return [
        Route("/emulator/calls", h.start_call, methods=["POST"]),
        Route("/emulator/calls/{id}/end", h.end_call, methods=["POST"]),
        Route("/emulator/users/{number}/registration", h.registration, methods=["POST"]),
        Route("/emulator/queues/{queue}/agents/{number}", h.agent_login, methods=["POST"]),
        Route("/emulator/trunks/{number}/online", h.trunk_online, methods=["POST"]),
        Route("/emulator/event-log", h.event_log, methods=["POST"]),
        Route("/emulator/license", h.license, methods=["POST"]),
    ]
