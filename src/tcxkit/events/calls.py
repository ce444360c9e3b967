"""Call sources: ``call.started`` from ``ActiveCalls``, ``call.ended``/``call.missed`` from
the call log (``GetCallLogData``).

*Active calls* are few (one row per call in progress), so the source lists them with
``$select`` of five fields and compares the ids with the last poll's: a new id is a
``call.started`` (its ``time`` is the PBX's ``EstablishedAt``).  A call shorter than the
interval may come and go between two polls and is never seen as started; its
``call.ended`` still comes from the call log.

The *call log* holds a call once it has ended, as several segments (legs) sharing a
``CallId``.  The source asks for segments whose ``SegmentId`` is above the last one
delivered (``$filter``), over a look-back window of start times (a report function
needs a period; a call logged now may have started hours ago, so the window is 24 h by
default), and assembles each call from its legs.  That assumes a PBX writes a call's
segments together when the call ends, as 3CX does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ..calllog import call_log_params
from .model import Event, event_id, iso_time, parse_time
from .source import Poll, PollContext, Polled, Query

__all__ = ["ActiveCallsSource", "CallLogSource", "assemble_call", "call_log_params"]

#: Call-log DN type codes (``SourceType``/``DestinationType``) by name.
DN_TYPE_NAMES: dict[int, str] = {
    0: "Extension", 1: "Queue", 2: "RingGroup", 3: "IVR", 4: "Fax", 5: "ExternalLine",
    6: "Parking",
}  # fmt: skip
_EXTENSION = 0
#: The active calls remembered between polls (a PBX's concurrent calls are far fewer).
MAX_ACTIVE = 10_000
_DURATION = re.compile(
    r"P(?:(?P<d>\d{1,9})D)?(?:T(?:(?P<h>\d{1,9})H)?(?:(?P<m>\d{1,9})M)?"
    r"(?:(?P<s>\d{1,9}(?:\.\d{1,9})?)S)?)?\Z"
)


def seconds(text: Any) -> float:
    """An ISO 8601 duration (``PT1M12S``) in seconds; 0 when absent or unreadable."""
    m = _DURATION.match(str(text or ""))
    if not m or not text:
        return 0.0
    d, h, mi, s = (m.group(g) for g in ("d", "h", "m", "s"))
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


# -- active calls -----------------------------------------------------------------------------

_ACTIVE_FIELDS = ["Id", "Caller", "Callee", "Status", "EstablishedAt"]


class ActiveCallsSource:
    """``call.started``: a call id not in the last poll's ``ActiveCalls``."""

    name = "active_calls"
    types = ("call.started",)
    interval = 5.0

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        return Poll((Query("ListActiveCall", {"select": _ACTIVE_FIELDS}),))

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        rows = answers[0]
        seen = set((state or {}).get("calls") or [])
        floor = ctx.now - ctx.since if ctx.since else None
        events = []
        current = []
        for row in rows:
            key = f"{row.get('Id')}@{row.get('EstablishedAt') or ''}"
            current.append(key)
            if key in seen:
                continue
            if state is None and (floor is None or _before(row.get("EstablishedAt"), floor)):
                continue  # the first poll only sets the baseline (unless --since)
            events.append(self._event(row, ctx))
        events.sort(key=lambda e: e.time)
        return Polled(events, {"calls": current[:MAX_ACTIVE]})

    @staticmethod
    def _event(row: dict[str, Any], ctx: PollContext) -> Event:
        at = row.get("EstablishedAt")
        return Event(
            event_id(ctx.pbx_key, "call.started", row.get("Id"), at or ""),
            "call.started",
            ctx.time(at or ctx.now),
            ctx.pbx,
            {
                "active_call_id": row.get("Id"),
                "caller": row.get("Caller"),
                "callee": row.get("Callee"),
                "status": row.get("Status"),
            },
        )


def _before(text: Any, floor: datetime) -> bool:
    try:
        return parse_time(str(text)) < floor
    except ValueError:
        return True


# -- the call log -------------------------------------------------------------------------------

_LOG_FIELDS = [
    "SegmentId", "CallId", "CdrId", "StartTime", "Direction", "SourceDn", "SourceType",
    "SourceCallerId", "SourceDisplayName", "DestinationDn", "DestinationType",
    "DestinationCallerId", "DestinationDisplayName", "actionDnDn", "Answered",
    "RingingDuration", "TalkingDuration", "Indent",
]  # fmt: skip
#: How far back a logged call may have started (the report function needs a period).
LOOKBACK = timedelta(hours=24)
#: Clock skew allowed between this host and the PBX (the period's end is now + this).
SKEW = timedelta(hours=1)


class CallLogSource:
    """``call.ended`` for every logged call, ``call.missed`` for one no leg answered."""

    name = "call_log"
    types = ("call.ended", "call.missed")
    interval = 15.0

    def __init__(self, lookback: timedelta = LOOKBACK) -> None:
        self.lookback = lookback

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        end = ctx.now + SKEW
        if state is None:
            # Baseline: the newest segment ever logged (one row), plus, with --since,
            # the calls started since then.
            newest = Query(
                "GetCallLogData",
                {**call_log_params(datetime(2000, 1, 1, tzinfo=ctx.now.tzinfo), end),
                 "select": ["SegmentId"], "orderby": "SegmentId desc", "top": 1},
                all_pages=False,
            )  # fmt: skip
            if not ctx.since:
                return Poll((newest,))
            recent = Query(
                "GetCallLogData",
                {**call_log_params(ctx.now - ctx.since, end), "select": _LOG_FIELDS},
            )
            return Poll((newest, recent))
        last = int(state.get("segment") or 0)
        return Poll(
            (
                Query(
                    "GetCallLogData",
                    {**call_log_params(ctx.now - self.lookback, end),
                     "filter": f"SegmentId gt {last}", "select": _LOG_FIELDS},
                ),
            )
        )  # fmt: skip

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        last = int((state or {}).get("segment") or 0)
        if state is None:
            last = max([int(r.get("SegmentId") or 0) for r in answers[0]] or [0])
            rows = answers[1] if len(answers) > 1 else []
        else:
            rows = [r for r in answers[0] if int(r.get("SegmentId") or 0) > last]
        calls: dict[Any, dict[int, dict[str, Any]]] = {}
        for row in rows:
            calls.setdefault(row.get("CallId"), {})[int(row.get("SegmentId") or 0)] = row
        events: list[Event] = []
        for legs in calls.values():
            events.extend(call_events([legs[k] for k in sorted(legs)], ctx))
        top = max([last, *(int(r.get("SegmentId") or 0) for r in rows)])
        events.sort(key=lambda e: (e.time, e.type))
        return Polled(events, {"segment": top})


def _party(row: dict[str, Any], side: str) -> dict[str, Any]:
    code = row.get(f"{side}Type")
    return {
        "dn": row.get(f"{side}Dn"),
        "number": row.get(f"{side}CallerId"),
        "name": row.get(f"{side}DisplayName"),
        "type": DN_TYPE_NAMES.get(code, str(code)) if code is not None else None,
    }


def assemble_call(legs: list[dict[str, Any]], zone: tzinfo = UTC) -> dict[str, Any]:
    """One logical call from its segments (sorted by ``SegmentId``): the ``data`` of
    ``call.ended``.  Answered when any leg was; ``answered_by`` is the extension (or, on
    an outbound call, the external party) of the first answered leg below a queue or
    ring group, else of the first answered leg.  Times are shown in ``zone`` (the PBX's)."""
    first = legs[0]
    starts = [parse_time(leg["StartTime"]) for leg in legs if leg.get("StartTime")]
    started = min(starts)
    ended = max(
        parse_time(leg["StartTime"])
        + timedelta(
            seconds=seconds(leg.get("RingingDuration")) + seconds(leg.get("TalkingDuration"))
        )
        for leg in legs
        if leg.get("StartTime")
    )
    answered_legs = [leg for leg in legs if leg.get("Answered")]
    taker = next(
        (leg for leg in answered_legs if leg.get("DestinationType") == _EXTENSION),
        answered_legs[0] if answered_legs else None,
    )
    return {
        "call_id": first.get("CallId"),
        "cdr_id": first.get("CdrId"),
        "direction": first.get("Direction"),
        "from": _party(first, "Source"),
        "to": _party(first, "Destination"),
        "answered": bool(answered_legs),
        "answered_by": _party(taker, "Destination") if taker else None,
        "started": iso_time(started, zone),
        "ended": iso_time(ended, zone),
        "duration_seconds": round((ended - started).total_seconds()),
        "ringing_seconds": round(seconds(first.get("RingingDuration"))),
        "talking_seconds": round(max(seconds(leg.get("TalkingDuration")) for leg in legs)),
        "legs": [
            {
                "segment_id": leg.get("SegmentId"),
                "from": _party(leg, "Source"),
                "to": _party(leg, "Destination"),
                "via": leg.get("actionDnDn") or None,
                "answered": bool(leg.get("Answered")),
                "started": iso_time(leg["StartTime"], zone) if leg.get("StartTime") else None,
                "ringing_seconds": round(seconds(leg.get("RingingDuration"))),
                "talking_seconds": round(seconds(leg.get("TalkingDuration"))),
            }
            for leg in legs
        ],
    }


def call_events(legs: list[dict[str, Any]], ctx: PollContext) -> list[Event]:
    """``call.ended`` for the call, and ``call.missed`` when no leg was answered on an
    inbound or internal call (an outbound call nobody picked up is not a missed call)."""
    if not legs or not any(leg.get("StartTime") for leg in legs):
        return []
    data = assemble_call(legs, ctx.zone)
    key = data["cdr_id"] or data["call_id"]
    out = [Event(event_id(ctx.pbx_key, "call.ended", key), "call.ended", data["ended"], ctx.pbx,
                 data)]  # fmt: skip
    if not data["answered"] and data["direction"] != "Outbound":
        missed = {**data, "missed_at": data["to"]}
        out.append(
            Event(
                event_id(ctx.pbx_key, "call.missed", key),
                "call.missed",
                data["ended"],
                ctx.pbx,
                missed,
            )
        )
    return out
