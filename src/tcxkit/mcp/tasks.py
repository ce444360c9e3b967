"""Task tools: the questions people ask most, each a few calls on the same client.

They go through :meth:`Toolbox.run`, so the policy, the audit log, redaction
and the result budget apply exactly as for ``call_action``; each answer says
which actions it used, so the model can continue with ``call_action``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..odata import F
from .budget import fit
from .service import Toolbox, ToolFailure

__all__ = [
    "active_calls",
    "call_history",
    "call_log_period",
    "find_dn",
    "queue_members",
    "system_status",
]

_NUMBER = re.compile(r"^\+?[0-9*#]+$")

#: Fields of a user worth showing when one person is asked for by number.
_USER_FIELDS = (
    "Id,Number,FirstName,LastName,DisplayName,EmailAddress,Mobile,Enabled,IsRegistered,"
    "CurrentProfileName,QueueStatus,OutboundCallerID"
)

#: Call-log fields that say who called whom, when, and where the call ended up.
_CALL_FIELDS = (
    "CallId,StartTime,Direction,SourceDn,SourceDisplayName,SourceCallerId,DestinationDn,"
    "DestinationDisplayName,DestinationCallerId,actionDnDn,ActionDnDisplayName,ActionType,"
    "Answered,Status,Reason,RingingDuration,TalkingDuration"
)


def find_dn(tb: Toolbox, query: str, limit: int = 10) -> str:
    """Extensions, queues, ring groups, trunks... whose number starts with, or name contains, ``query``."""
    q = query.strip()
    if not q:
        raise ToolFailure("Give a number (e.g. '104') or part of a name (e.g. 'maria').")
    cat = tb.catalog
    limit = max(1, min(limit, 100))
    flt = F.Number.startswith(q) if _NUMBER.match(q) else F.Name.icontains(q)
    peers = tb.run(
        cat.require("ListPeer"),
        {"filter": flt, "top": limit, "count": True, "select": ["Id", "Number", "Name", "Type"]},
    )
    out: dict[str, Any] = {"matches": peers.get("value", []), "total": peers.get("@odata.count")}
    used = ["ListPeer"]
    exact = [p for p in out["matches"] if p.get("Number") == q and p.get("Type") == "Extension"]
    if exact:
        out["user"] = tb.run(cat.require("GetUserByNumber"), {"number": q, "select": _USER_FIELDS})
        used.append("GetUserByNumber")
    out["used"] = used
    return fit(tb.reveal(out), tb.budget)


def call_history(
    tb: Toolbox,
    number: str,
    period_from: str | None = None,
    period_to: str | None = None,
    top: int | None = None,
    skip: int | None = None,
) -> str:
    """Call-log segments from or to ``number`` in a period (default: the last 24 hours)."""
    number = number.strip()
    if not _NUMBER.match(number):
        raise ToolFailure(f"{number!r} is not a number; find it first with find_dn.")
    end = _when(period_to, "period_to") if period_to else datetime.now(UTC)
    start = _when(period_from, "period_from") if period_from else end - timedelta(days=1)
    if start >= end:
        raise ToolFailure("period_from must be before period_to.")
    args = {
        **call_log_period(start, end),
        "filter": (F.SourceDn == number) | (F.DestinationDn == number) | (F.actionDnDn == number),
        "select": _CALL_FIELDS,
        "top": max(1, min(top or 100, 1000)),
        "skip": skip or 0,
        "count": True,
    }
    result = tb.run(tb.catalog.require("GetCallLogData"), args)
    return fit(tb.reveal(result), tb.budget, skip=skip or 0, action="call_history")


def call_log_period(start: datetime, end: datetime) -> dict[str, Any]:
    """``GetCallLogData``'s eleven function parameters for every call of a period."""
    return {
        "periodFrom": start,
        "periodTo": end,
        "sourceType": 0,
        "sourceFilter": None,
        "destinationType": 0,
        "destinationFilter": None,
        "callsType": 0,
        "callTimeFilterType": 0,
        "callTimeFilterFrom": None,
        "callTimeFilterTo": None,
        "hidePcalls": True,
    }


def _when(text: str, name: str) -> datetime:
    """An ISO date (midnight UTC) or date-time; ``today``/``yesterday`` for convenience."""
    t = text.strip().lower()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if t in ("today", "yesterday"):
        return today - timedelta(days=1 if t == "yesterday" else 0)
    try:
        if len(t) == 10:
            d = date.fromisoformat(t)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ToolFailure(
            f"{name}: {text!r} is not a date; use 2026-11-29, 2026-11-29T08:00:00Z, "
            "'today' or 'yesterday'."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def active_calls(tb: Toolbox) -> str:
    """Calls in progress now."""
    result = tb.run(tb.catalog.require("ListActiveCall"), {"top": 100, "count": True})
    return fit(tb.reveal(result), tb.budget, action="ListActiveCall")


def system_status(tb: Toolbox) -> str:
    """The PBX's version, licence, calls, extensions and health at a glance."""
    return fit(
        tb.reveal(tb.run(tb.catalog.require("GetSystemStatus"), {}), "GetSystemStatus"), tb.budget
    )


def queue_members(tb: Toolbox, queue: str) -> str:
    """The agents of a queue given by number (e.g. '800') or name."""
    cat = tb.catalog
    q = queue.strip()
    flt = F.Number == q if _NUMBER.match(q) else F.Name.icontains(q)
    found = tb.run(
        cat.require("ListQueue"), {"filter": flt, "top": 5, "select": ["Id", "Number", "Name"]}
    ).get("value", [])
    if not found:
        raise ToolFailure(f"No queue {queue!r}; list queues with call_action('ListQueue').")
    if len(found) > 1:
        names = ", ".join(f"{x['Number']} {x['Name']}" for x in found)
        raise ToolFailure(f"{queue!r} matches several queues ({names}); give the number.")
    agents = tb.run(cat.require("ListAgents"), {"Id": found[0]["Id"], "top": 100})
    out = {
        "queue": found[0],
        "agents": agents.get("value", agents),
        "used": ["ListQueue", "ListAgents"],
    }
    return fit(tb.reveal(out), tb.budget)
