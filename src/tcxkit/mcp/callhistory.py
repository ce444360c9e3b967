"""``call_history`` and ``missed_calls``: whole calls, found by any number people use.

3CX logs one call as several *segments* (legs): a queue call is a segment to the queue
plus one per agent it rang.  A person asks about *calls*, so the tools

* find segments by a DN (``104``: source, destination or the DN acted on, e.g. the
  queue an agent leg came from) or by an external caller id in any spelling
  (``+44 113 496 0371``, ``0044…``, ``0113…``: matched on its last nine digits, the
  part every spelling shares), and/or by a queue or ring group (number or name);
* fetch every leg of each call found (``CallId``), so a call is judged whole:
  **missed means no leg was answered** — a queue call the second agent took after the
  first did not pick up is answered;
* place the period in the PBX's time zone (:mod:`.pbxclock`);
* say what they searched (number as matched, period with zone) and, when nothing is
  found, what to try next.

Every request goes through :meth:`Toolbox.run` (policy, audit, redaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..calllog import call_log_params as call_log_period
from ..odata import F, Filter
from ..results import page_of, rows_of
from .budget import dumps, fit
from .pbxclock import Period, parse_period
from .service import ToolFailure

if TYPE_CHECKING:
    from .service import Toolbox

__all__ = ["call_history", "call_log_period", "parse_number"]

#: Segments one search reads at most (a report answers up to 20 000; this keeps it quick).
_SCAN = 5000
#: Calls whose legs are fetched per request (an ``or`` of ``CallId eq`` terms).
_LEG_CHUNK = 40
#: Calls judged at most when every candidate must be read whole (missed, number+queue).
_MAX_JUDGED = 400
#: Digits of an external number that identify it in any spelling.
_SUFFIX = 9
#: Caller-id DN types in the call log (``GetCallLogData``'s codes).
_QUEUE, _RING_GROUP, _EXTERNAL = 1, 2, 5

_FIELDS = [
    "SegmentId", "CallId", "StartTime", "Direction", "SourceDn", "SourceType",
    "SourceCallerId", "SourceDisplayName", "DestinationDn", "DestinationType",
    "DestinationCallerId", "DestinationDisplayName", "actionDnDn", "Answered", "Reason",
    "RingingDuration", "TalkingDuration", "Indent",
]  # fmt: skip
_PUNCTUATION = re.compile(r"[\s\-().\/]")
_DIALLABLE = re.compile(r"^\+?[0-9*#]+$")


@dataclass(frozen=True)
class NumberQuery:
    """A number as searched: a DN, or the identifying digits of an external number."""

    text: str
    dn: str | None = None
    suffix: str | None = None

    def filter(self) -> Filter:
        if self.dn is not None:
            n = self.dn
            return (F.SourceDn == n) | (F.DestinationDn == n) | (F.actionDnDn == n)
        assert self.suffix is not None
        return F.SourceCallerId.contains(self.suffix) | F.DestinationCallerId.contains(self.suffix)

    def matches(self, seg: dict[str, Any]) -> bool:
        if self.dn is not None:
            return self.dn in (seg.get("SourceDn"), seg.get("DestinationDn"), seg.get("actionDnDn"))
        assert self.suffix is not None
        return any(
            _digits(seg.get(f)).endswith(self.suffix)
            for f in ("SourceCallerId", "DestinationCallerId")
        )

    def described(self) -> str:
        if self.dn is not None:
            return f"DN {self.dn} (as caller, callee or the queue/ring group a leg came from)"
        return (
            f"external number {self.text!r}: caller ids ending in {self.suffix} "
            "(+CC…, 00CC… and national 0… spellings alike)"
        )


def parse_number(text: str) -> NumberQuery:
    """A DN or external number as typed (spaces, dashes, dots, brackets ignored)."""
    raw = _PUNCTUATION.sub("", text.strip())
    if not raw or not _DIALLABLE.match(raw):
        raise ToolFailure(
            f"{text!r} is not a phone number or extension; find a person or queue by name "
            "with find_dn first."
        )
    digits = raw.lstrip("+")
    external = raw.startswith("+") or digits.startswith("00") or len(digits) >= 7
    if not external:
        return NumberQuery(text.strip(), dn=raw)
    if raw.startswith("+"):
        shown = raw
    elif digits.startswith("00"):
        shown = "+" + digits[2:]
    else:
        shown = raw
    return NumberQuery(shown, suffix=digits[-_SUFFIX:])


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def call_history(
    tb: Toolbox,
    number: str | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    top: int | None = None,
    skip: int | None = None,
    *,
    queue: str | None = None,
    missed_only: bool = False,
    now: datetime | None = None,
) -> str:
    """Whole calls of a period by number and/or queue; ``missed_only``: no leg answered."""
    period = parse_period(tb, period_from, period_to, now=now)
    who = parse_number(number) if number and number.strip() else None
    group = _queue(tb, queue) if queue and queue.strip() else None
    used = ["GetCallLogData"]
    if period.zone is not None:
        used[:0] = period.zone.used
    primary: Filter | None = who.filter() if who else (group[1] if group else None)
    if missed_only:
        unanswered = F.Answered == False  # noqa: E712 (an OData comparison, not Python's)
        primary = unanswered if primary is None else (primary & unanswered)
    candidates, scanned, more = _candidates(tb, period, primary, who)
    top = max(1, min(top or 20, 100))
    skip = max(0, skip or 0)
    judge_all = missed_only or (who is not None and group is not None)
    if judge_all:
        calls = _calls(tb, period, candidates[:_MAX_JUDGED])
        if missed_only:
            calls = [c for c in calls if not c["answered"]]
        if who is not None and group is not None:
            calls = [c for c in calls if c.pop("_dns") & {group[0]["Number"]}]
        total = len(calls)
        page = calls[skip : skip + top]
        more = more or len(candidates) > _MAX_JUDGED
    else:
        total = len(candidates)
        page = _calls(tb, period, candidates[skip : skip + top])
    for c in page:
        c.pop("_dns", None)
        c.pop("answered", None)
    out: dict[str, Any] = {
        "searched": _searched(who, group, period, missed_only, scanned),
        "calls": page,
        "returned": len(page),
        "skip": skip,
        "total": total,
    }
    if skip + len(page) < total:
        out["next"] = {"skip": skip + len(page), "top": top}
    if more:
        out["note"] = (
            f"More than {_SCAN} log segments matched (or {_MAX_JUDGED} calls to judge); "
            "only the earliest were read. Narrow the period for the rest."
        )
    if not page:
        out["note"] = _nothing_found(who, group, period, missed_only, total, skip)
    out["used"] = used
    return _fit(tb.reveal(out), tb.budget)


def _queue(tb: Toolbox, text: str) -> tuple[dict[str, Any], Filter]:
    """The queue or ring group named by number or name, and the filter for its calls."""
    cat = tb.catalog
    q = text.strip()
    kinds = (F.Type == "Queue") | (F.Type == "RingGroup")
    flt = kinds & ((F.Number == q) if _DIALLABLE.match(q) else F.Name.icontains(q))
    found = rows_of(
        tb.run(
            cat.require("ListPeer"), {"filter": flt, "top": 5, "select": ["Number", "Name", "Type"]}
        )
    )
    if not found:
        raise ToolFailure(
            f"No queue or ring group {text!r}. List them with find_dn('{q[:3]}') or "
            "call_action('ListQueue') / call_action('ListRingGroup')."
        )
    if len(found) > 1:
        names = ", ".join(f"{x['Number']} {x['Name']}" for x in found)
        raise ToolFailure(f"{text!r} matches several ({names}); give the number.")
    dn = found[0]["Number"]
    return found[0], (F.DestinationDn == dn) | (F.actionDnDn == dn)


def _log_args(period: Period, flt: Filter | None, select: list[str], top: int) -> dict[str, Any]:
    args: dict[str, Any] = {
        **call_log_period(period.start, period.end),
        "select": select,
        "top": top,
        "count": True,
    }
    if flt is not None:
        args["filter"] = flt
    return args


def _candidates(
    tb: Toolbox, period: Period, flt: Filter | None, who: NumberQuery | None
) -> tuple[list[Any], int, bool]:
    """Ids of the calls with a matching segment, oldest first; segments read; cut short?"""
    fields = ["CallId", "StartTime", "SourceCallerId", "DestinationCallerId"]
    found = tb.run(tb.catalog.require("GetCallLogData"), _log_args(period, flt, fields, _SCAN))
    page = page_of(found)
    rows = page.items
    if who is not None and who.suffix is not None:  # contains() may match mid-number
        rows = [r for r in rows if who.matches(r)]
    ids = list(dict.fromkeys(r["CallId"] for r in rows))
    return ids, len(page.items), page.count is not None and page.count > _SCAN


def _calls(tb: Toolbox, period: Period, ids: list[Any]) -> list[dict[str, Any]]:
    """Every leg of each call (a day either side of the period), summarised per call."""
    if not ids:
        return []
    wide = Period(period.start - timedelta(days=1), period.end + timedelta(days=1), None)
    action = tb.catalog.require("GetCallLogData")
    legs: dict[Any, list[dict[str, Any]]] = {i: [] for i in ids}
    for at in range(0, len(ids), _LEG_CHUNK):
        chunk = ids[at : at + _LEG_CHUNK]
        flt = F.CallId == chunk[0]
        for i in chunk[1:]:
            flt = flt | (F.CallId == i)
        for seg in rows_of(tb.run(action, _log_args(wide, flt, _FIELDS, 1000))):
            if seg.get("CallId") in legs:
                legs[seg["CallId"]].append(seg)
    zone = period.zone.zone if period.zone else UTC
    return [_summary(i, legs[i], zone) for i in ids if legs[i]]


def _party(seg: dict[str, Any], side: str) -> str:
    """``104 Emma Evans`` for a DN, the number itself for an external party."""
    if seg.get(f"{side}Type") == _EXTERNAL:
        return str(seg.get(f"{side}CallerId") or seg.get(f"{side}Dn") or "")
    name = seg.get(f"{side}DisplayName") or ""
    return f"{seg.get(f'{side}Dn')} {name}".strip()


def _summary(call_id: Any, legs: list[dict[str, Any]], zone: Any) -> dict[str, Any]:
    legs.sort(key=lambda s: (s.get("StartTime") or "", s.get("SegmentId") or 0))
    first = next((s for s in legs if not s.get("Indent")), legs[0])
    answered = any(s.get("Answered") for s in legs)
    taker = next(
        (
            s
            for s in legs
            if s.get("Answered") and s.get("DestinationType") not in (_QUEUE, _RING_GROUP)
        ),
        None,
    )
    out: dict[str, Any] = {
        "call_id": call_id,
        "start": _local(first.get("StartTime"), zone),
        "direction": first.get("Direction"),
        "from": _party(first, "Source"),
        "to": _party(first, "Destination"),
        "status": "answered" if answered else "missed",
    }
    if taker is not None:
        out["answered_by"] = _party(taker, "Destination")
        out["talked"] = taker.get("TalkingDuration")
    if len(legs) > 1:
        out["legs"] = [
            {
                "at": _local(s.get("StartTime"), zone),
                "to": _party(s, "Destination"),
                "answered": bool(s.get("Answered")),
                "rang": s.get("RingingDuration"),
                **({"via": s["actionDnDn"]} if s.get("actionDnDn") and s.get("Indent") else {}),
            }
            for s in legs
        ]
    out["answered"] = answered
    out["_dns"] = {
        s.get(f) for s in legs for f in ("SourceDn", "DestinationDn", "actionDnDn") if s.get(f)
    }
    return out


def _local(stamp: Any, zone: Any) -> Any:
    if not isinstance(stamp, str):
        return stamp
    try:
        value = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return value.astimezone(zone).isoformat()


def _searched(
    who: NumberQuery | None,
    group: tuple[dict[str, Any], Filter] | None,
    period: Period,
    missed_only: bool,
    scanned: int,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if who is not None:
        out["number"] = who.described()
    if group is not None:
        q = group[0]
        out["queue"] = f"{q['Type']} {q['Number']} {q['Name']} (calls to it and legs from it)"
    if who is None and group is None:
        out["calls"] = "every call of the period"
    out["period"] = period.described()
    out["only"] = "missed calls (no leg answered)" if missed_only else "all calls"
    out["segments_read"] = scanned
    return out


def _nothing_found(
    who: NumberQuery | None,
    group: tuple[dict[str, Any], Filter] | None,
    period: Period,
    missed_only: bool,
    total: int,
    skip: int,
) -> str:
    if total and skip >= total:
        return f"Only {total} calls match; ask with skip below {total}."
    what = "missed calls" if missed_only else "calls"
    tries = ["a wider period (period_from='last week', or a date such as 2026-11-02)"]
    if missed_only:
        tries.append("call_history with the same arguments, to see the answered calls")
    if who is not None and who.dn is not None:
        tries.append(f"find_dn('{who.dn}') to check that the DN exists")
    if who is not None and who.suffix is not None:
        tries.append("fewer digits if the number may be stored differently")
    if group is not None:
        tries.append("queue_members or without queue= to see the DN's other calls")
    return f"No {what} found in that period. Try " + "; ".join(tries) + "."


def _fit(out: dict[str, Any], budget: int) -> str:
    """The answer within the budget: fewer calls (with ``next``) rather than a cut text."""
    text = dumps(out)
    calls = out["calls"]
    n = len(calls)
    while len(text.encode()) > budget and n > 1:
        n = max(1, n * 3 // 4)
        out["calls"] = calls[:n]
        out["returned"] = n
        out["next"] = {"skip": out["skip"] + n, "top": n}
        out["truncated"] = True
        text = dumps(out)
    return text if len(text.encode()) <= budget else fit(out, budget)
