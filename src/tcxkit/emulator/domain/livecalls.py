"""Live calls: ``MakeCall`` rings, is answered or not, ends, and lands in the call log.

A call lives on the PBX's :class:`~..timeline.Timeline`:

* it starts **ringing**: a row in ``ActiveCalls`` (``Status`` ``Ringing``,
  ``EstablishedAt`` its start);
* **answered**: after its ring time the row turns ``Talking`` (``LastChangeStatus``),
  and after its talk time the call ends;
* **missed**: nobody answers; it rings until the no-answer time and ends;
* **abandoned**: the caller hangs up while it rings (the traffic generator's calls;
  ``DropCall`` on a ringing call is the same);
* when it **ends** its row leaves ``ActiveCalls`` and the call is written to the call
  log as 3CX writes it, all its segments at once (:func:`log_call`: one segment per leg;
  a queue or ring group call has the group's leg plus the answering member's), which
  ``GetCallLogData`` and ``CallHistoryView`` read.

``POST /Users/Pbx.MakeCall`` ``{"dn": "100", "destination": "800", ...}`` places a call
from extension ``dn`` (its phone must be registered) to a DN of the PBX or an external
number (5 to 20 digits, ``+`` allowed; at most :data:`MAX_DESTINATION` characters).  Who answers is decided as a PBX would: an
extension whose phone is registered answers; a queue or ring group is answered by its
first member with a registered phone; an external number answers; anything else rings
unanswered until the no-answer time (a missed call).  It answers
``Pbx.CallControlResultResponse`` with ``Result.CallId`` = the call's ``ActiveCalls``
``Id``, the key ``DropCall`` takes.  ``DropCall`` ends a live call at once (answered
if it was talking, abandoned if it rang), and removes any other ``ActiveCalls`` row.

Durations and the bound come from ``EmulatorConfig.options`` (checked at start-up):
``ring_seconds`` (4), ``talk_seconds`` (30), ``no_answer_seconds`` (20), and
``max_calls`` (100, at most 1000): calls in progress at once; one more is refused with
400 ``WARNINGS.LIMIT_REACHED``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..registry import Reply, RequestContext, XapiError, handler, on_start
from ..timeline import stamp, timeline_of

if TYPE_CHECKING:
    from ..state import AppState
    from ..timeline import Timeline

__all__ = [
    "LiveCall",
    "LiveCalls",
    "live_calls",
    "log_agent",
    "log_call",
    "members",
    "peer",
    "shown",
]

_EXT, _QUEUE, _RING_GROUP, _TRUNK = 0, 1, 2, 5
#: Option name -> (default, lowest, highest) for the durations (seconds) and the bound.
SETTINGS: dict[str, tuple[float, float, float]] = {
    "ring_seconds": (4.0, 0.0, 3600.0),
    "talk_seconds": (30.0, 0.0, 86400.0),
    "no_answer_seconds": (20.0, 0.0, 3600.0),
    "max_calls": (100, 1, 1000),
}
OUTCOMES = ("answered", "missed", "abandoned")
_EXTERNAL = re.compile(r"\+?\d{5,20}")
#: Longest ``destination`` a MakeCall takes (an external number is 21 characters at most).
MAX_DESTINATION = 40


def setting(state: AppState, name: str) -> float:
    """One of :data:`SETTINGS` from the options (checked at start-up), else its default."""
    return float(state.config.options.get(name, SETTINGS[name][0]))  # type: ignore[arg-type]


def check_settings(options: dict[str, object]) -> None:
    """Refuse an unusable duration, bound or clock with the fix (a ConfigurationError)."""
    from ...errors import ConfigurationError
    from ..timeline import CLOCKS

    for name, (default, low, high) in SETTINGS.items():
        value = options.get(name, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not low <= value <= high:  # type: ignore[operator,arg-type]
            raise ConfigurationError(
                f"options[{name!r}] must be a number from {low:g} to {high:g}, got {value!r}.",
                hint=f"Leave it out for {default:g}, or give e.g. {name}={default:g}.",
            )
    clock = options.get("clock", "real")
    if clock not in CLOCKS:
        raise ConfigurationError(
            f"options['clock'] must be 'real' or 'manual', got {clock!r}.",
            hint="Use clock='manual' in tests, and move time with POST /emulator/clock.",
        )


@on_start
def _check(state: AppState) -> None:
    check_settings(state.config.options)


# -- DNs -------------------------------------------------------------------------------------


def peer(state: AppState, number: str) -> dict[str, Any] | None:
    """The DN ``number`` (any type) from ``Peers``, or None."""
    return state.entity_set("Peers").find_one(Number=number)  # type: ignore[no-any-return]


def shown(state: AppState, number: str) -> str:
    """How ``ActiveCalls`` names a party: ``"100 Alice Archer"``, or the number."""
    found = peer(state, number)
    return f"{number} {found['Name']}" if found else number


def members(state: AppState, number: str) -> list[str]:
    """The agents of queue ``number`` or the members of ring group ``number``."""
    for set_name, field in (("Queues", "Agents"), ("RingGroups", "Members")):
        row = state.entity_set(set_name).find_one(Number=number)
        if row is not None:
            return [m["Number"] for m in row.get(field) or [] if m.get("Number")]
    return []


def log_agent(state: AppState, user: dict[str, Any], logged_in: bool) -> str:
    """Log queue agent ``user`` (a ``Users`` row) in or out; the new ``QueueStatus``.

    XAPI keeps one queue login per user (``QueueStatus``, for all its queues), which is
    what ``tcxkit.events`` reads for ``queue.agent_logged_in``/``_out``; the traffic
    generator and ``/emulator/queues/{n}/agents/{a}`` both change it here."""
    status = "LoggedIn" if logged_in else "LoggedOut"
    state.entity_set("Users").update(user["Id"], {"QueueStatus": status})
    return status


def _trunk(state: AppState) -> str:
    trunks = state.entity_set("Trunks").all()
    return str(trunks[0]["Number"]) if trunks else "10000"


def _registered(state: AppState, number: str) -> bool:
    user = state.entity_set("Users").find_one(Number=number)
    return bool(user and user.get("IsRegistered"))


# -- the call log ----------------------------------------------------------------------------


def log_call(
    state: AppState, src: str, dst: str, *, began: float, ring: float, talk: float,
    answered: bool, by: str | None = None, trunk: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Write one ended call to the call log; its ``{"CallId", "SegmentIds"}``.

    ``src``/``dst`` are DNs or external numbers (a ``+`` or digits not a DN); ``by`` who
    answered (default: a group's first member, else the callee); ``trunk`` the line an
    external party is on (default: the first trunk).
    """
    from ..demo import _Segment, _segment_row
    from .calls import store_segments

    target = peer(state, dst)
    group = target is not None and target.get("Type") in ("Queue", "RingGroup")
    if by is None and answered:
        by = (members(state, dst) or [dst])[0] if group else dst
    line = trunk or _trunk(state)
    inbound, outbound = peer(state, src) is None, target is None
    direction = "Inbound" if inbound else ("Outbound" if outbound else "Internal")
    dst_type = _QUEUE if target and target.get("Type") == "Queue" else (
        _RING_GROUP if group else (_TRUNK if outbound else _EXT))  # fmt: skip
    ring_s, talk_s = round(ring), round(talk) if answered else 0

    def seg(to: str, to_type: int, ok: bool, indent: int, action: str, at: float) -> Any:
        return _Segment(
            at=at, source=line if inbound else src, source_type=_TRUNK if inbound else _EXT,
            source_caller=src, destination=line if outbound else to, destination_type=to_type,
            destination_caller=to, answered=ok, ring=ring_s, talk=talk_s if ok else 0,
            direction=direction, indent=indent, action=action,
            action_type=_QUEUE if indent else _EXT,
        )  # fmt: skip

    planned = [seg(dst, dst_type, answered, 0, (by or "") if group and answered else "", began)]
    if group and answered and by:
        planned.append(seg(by, _EXT, True, 1, dst, began + ring))
    top_segment, top_call = _top_ids(state)
    names = {p["Number"]: p["Name"] for p in state.entity_set("Peers").all()}
    call_no = top_call + 1
    rows = [_segment_row(s, top_segment + 1 + i, call_no, names) for i, s in enumerate(planned)]
    store_segments(state, rows)
    state.extra["call_log_top"] = (rows[-1]["SegmentId"], call_no)
    return {"CallId": call_no, "SegmentIds": [r["SegmentId"] for r in rows]}


def _top_ids(state: AppState) -> tuple[int, int]:
    """The call log's highest SegmentId and CallId.

    The CallId is in the JSON data (a scan of every segment), so it is remembered with the
    SegmentId it was read at and read again only when another writer (a seeder) has added
    segments since: the SegmentId is the table's key, its maximum costs one index step.
    """
    from .calls import call_log_set

    table = call_log_set(state).table
    top_segment = int(state.store.execute(f'SELECT coalesce(max(k), 0) FROM "{table}"')[0][0])
    known = state.extra.get("call_log_top")
    if known is not None and known[0] == top_segment:
        return known  # type: ignore[no-any-return]
    row = state.store.execute(
        f"SELECT coalesce(max(json_extract(data, '$.CallId')), 0) FROM \"{table}\""
    )[0]
    return top_segment, int(row[0])


# -- calls in progress ---------------------------------------------------------------------------


@dataclass
class LiveCall:
    """One call in progress and how it will go (decided when it starts)."""

    id: int  # its ActiveCalls Id
    src: str
    dst: str
    began: float
    outcome: str  # one of OUTCOMES
    ring: float  # seconds until answered, or until it ends unanswered
    talk: float
    by: str | None = None
    trunk: str | None = None
    answered_at: float | None = None
    ended: bool = False


class CallRefused(Exception):
    """No more calls at once (``max_calls``)."""


class LiveCalls:
    """The PBX's calls in progress, moved along by its timeline."""

    def __init__(self, state: AppState, timeline: Timeline) -> None:
        self.state = state
        self.timeline = timeline
        self.calls: dict[int, LiveCall] = {}
        self.ended: dict[str, int] = dict.fromkeys(OUTCOMES, 0)

    def start(
        self, src: str, dst: str, *, outcome: str, ring: float, talk: float,
        by: str | None = None, trunk: str | None = None, at: float | None = None,
    ) -> LiveCall:  # fmt: skip
        """A call starts ringing now (or at ``at``, a due step's time)."""
        t = self.timeline.now if at is None else at
        active = self.state.entity_set("ActiveCalls")
        if len(active) >= int(setting(self.state, "max_calls")):
            raise CallRefused
        now = stamp(t)
        row = active.insert(
            {"Caller": shown(self.state, src), "Callee": shown(self.state, dst),
             "Status": "Ringing", "EstablishedAt": now, "LastChangeStatus": now, "ServerNow": now}
        )  # fmt: skip
        call = LiveCall(row["Id"], src, dst, t, outcome, ring, talk, by, trunk)
        self.calls[call.id] = call
        if outcome == "answered":
            self.timeline.at(t + ring, lambda when: self._answer(call, when))
        else:
            self.timeline.at(t + ring, lambda when: self._end(call, when))
        return call

    def _answer(self, call: LiveCall, when: float) -> None:
        if call.ended:
            return
        call.answered_at = when
        self.state.entity_set("ActiveCalls").update(
            call.id, {"Status": "Talking", "LastChangeStatus": stamp(when), "ServerNow": stamp(when)}
        )  # fmt: skip
        self.timeline.at(when + call.talk, lambda t: self._end(call, t))

    def _end(self, call: LiveCall, when: float) -> None:
        if call.ended:
            return
        call.ended = True
        self.calls.pop(call.id, None)
        self.state.entity_set("ActiveCalls").delete(call.id)
        answered = call.answered_at is not None
        ring = (call.answered_at if answered else when) - call.began  # type: ignore[operator]
        talk = when - call.answered_at if answered else 0.0  # type: ignore[operator]
        outcome = "answered" if answered else call.outcome
        self.ended[outcome if outcome in self.ended else "abandoned"] += 1
        log_call(self.state, call.src, call.dst, began=call.began, ring=ring, talk=talk,
                 answered=answered, by=call.by, trunk=call.trunk)  # fmt: skip

    def drop(self, active_id: int) -> bool:
        """Hang up a live call now (False: no live call has that Id)."""
        call = self.calls.get(active_id)
        if call is None:
            return False
        if call.answered_at is None:
            call.outcome = "abandoned"
        self._end(call, self.timeline.now)
        return True


def live_calls(state: AppState) -> LiveCalls:
    """The PBX's live calls (made on first use, on its timeline)."""
    found = state.extra.get("live_calls")
    if found is None:
        found = state.extra["live_calls"] = LiveCalls(state, timeline_of(state))
    return found  # type: ignore[no-any-return]


# -- XAPI -----------------------------------------------------------------------------------------


def _refuse(status: int, target: str, code: str, why: str) -> XapiError:
    return XapiError(status, f"{target}:\n{code} ({why})", [(target, code)])


def _plan(state: AppState, dn: str, destination: str) -> tuple[str, float, str | None]:
    """How a MakeCall goes: its outcome, its ring time and who answers."""
    ring, no_answer = setting(state, "ring_seconds"), setting(state, "no_answer_seconds")
    target = peer(state, destination)
    if target is None:  # an external number: the world answers
        return "answered", ring, None
    if target.get("Type") in ("Queue", "RingGroup"):
        takers = [m for m in members(state, destination) if _registered(state, m)]
        return ("answered", ring, takers[0]) if takers else ("missed", no_answer, None)
    if _registered(state, destination):
        return "answered", ring, destination
    return "missed", no_answer, None


@handler("MakeCall")
def make_call(ctx: RequestContext) -> Reply:
    """Place a live call from extension ``dn`` to ``destination`` (module docstring)."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    dn, destination = body.get("dn"), body.get("destination")
    if not isinstance(dn, str) or not dn:
        raise _refuse(400, "dn", "WARNINGS.REQUIRED", "give the extension that calls, e.g. 100")
    if not isinstance(destination, str) or not destination:
        raise _refuse(400, "destination", "WARNINGS.REQUIRED", "give a DN or a phone number")
    if len(destination) > MAX_DESTINATION:  # else a 64 KiB string comes back in the 404
        raise _refuse(400, "destination", "WARNINGS.STRING_TOO_LONG",
                      f"a DN or a phone number is at most {MAX_DESTINATION} characters")  # fmt: skip
    state = ctx.state
    if state.entity_set("Users").find_one(Number=dn) is None:
        raise _refuse(404, "dn", "WARNINGS.XAPI.NOT_FOUND", f"no extension {dn!r}")
    if not _registered(state, dn):
        raise _refuse(400, "dn", "WARNINGS.INVALID", f"extension {dn} has no registered phone")
    if peer(state, destination) is None and not _EXTERNAL.fullmatch(destination):
        raise _refuse(
            404, "destination", "WARNINGS.XAPI.NOT_FOUND",
            f"no DN {destination!r}; an external number has 5 to 20 digits",
        )  # fmt: skip
    if destination == dn:
        raise _refuse(400, "destination", "WARNINGS.INVALID", "an extension cannot call itself")
    calls = live_calls(state)
    calls.timeline.sync()
    outcome, ring, by = _plan(state, dn, destination)
    try:
        call = calls.start(dn, destination, outcome=outcome, ring=ring,
                           talk=setting(state, "talk_seconds"), by=by)  # fmt: skip
    except CallRefused:
        limit = int(setting(state, "max_calls"))
        raise _refuse(400, "destination", "WARNINGS.LIMIT_REACHED",
                      f"{limit} calls are in progress, the most at once; end some with DropCall") from None  # fmt: skip
    target = peer(state, destination)
    return Reply.json(
        {"FinalStatus": "Success", "Reason": "NoError", "ReasonText": "", "VttId": None,
         "Result": {"Id": call.id, "CallId": call.id, "LegId": 1, "DN": dn,
                    "PartyDn": destination, "PartyCallerId": destination,
                    "PartyCallerName": target["Name"] if target else "",
                    "PartyDnType": target["Type"] if target else "ExternalLine",
                    "Status": "Dialing", "DirectControl": False, "DeviceId": ""}}
    )  # fmt: skip


@handler("ListActiveCall")
def list_active_calls(ctx: RequestContext) -> Reply:
    """``ActiveCalls`` as of now: the timeline's due steps run first."""
    timeline_of(ctx.state).sync()
    return ctx.generic()


@handler("DropCall")
def drop_call(ctx: RequestContext) -> Reply:
    """Hang up an active call: a live one ends (and is logged), any other row goes (404 if
    there is none)."""
    calls = live_calls(ctx.state)
    calls.timeline.sync()
    key = ctx.params.get("Id")
    if isinstance(key, int) and calls.drop(key):
        return Reply.no_content()
    if not ctx.entity_set("ActiveCalls").delete(key):
        raise XapiError(
            404,
            f"Id:\nWARNINGS.XAPI.NOT_FOUND (no active call {key}; list them with ListActiveCall)",
            [("Id", "WARNINGS.XAPI.NOT_FOUND")],
        )
    return Reply.no_content()
