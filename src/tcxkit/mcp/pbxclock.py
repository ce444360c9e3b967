"""The PBX's time zone, and periods such as "yesterday" as the PBX's users mean them.

A call log answers in UTC, but "today" at a PBX in Honolulu is not today in UTC.  The
zone is learnt from the PBX itself, once per server, by the core's lookup
(:mod:`tcxkit.pbxzone`, the one the events watcher and exports use) run through the
toolbox, so its reads pass the policy and the audit like any tool's:

1. ``GetOfficeHours`` (``GET /OfficeHours``) → ``TimeZoneId``: the zone the admin console
   sets under Office Hours, which 3CX uses for the office-hours schedule;
2. if that value is not an IANA name itself, ``ListTimeZones`` (``GET /Defs/TimeZones``)
   by ``Id``, then ``WindowsName``, then ``Name`` gives the row's ``IanaName``.

The answer says how it was learnt (``time_zone_learnt_from``) and which actions it used.
When neither works (a PBX that refuses, an ``--allow`` list without these actions, an
unknown zone) the tools refuse relative or offset-less dates and say how to give the
period instead; they never fall back to the host's or UTC's day silently.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from ..pbxzone import PbxZone, ZoneUnknownError, learn_zone
from .service import ToolFailure

if TYPE_CHECKING:
    from collections.abc import Callable

    from .service import Toolbox

__all__ = ["PbxZone", "Period", "parse_period", "pbx_zone"]

_LEARNT: weakref.WeakKeyDictionary[Toolbox, PbxZone] = weakref.WeakKeyDictionary()

_WORDS = "'today', 'yesterday', 'this week', 'last week', 'last 7 days', 'last 24 hours'"
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_LAST_N = re.compile(r"^(?:last|past)\s+(\d{1,3})\s+(day|days|hour|hours)$")


def pbx_zone(tb: Toolbox) -> PbxZone:
    """The PBX's zone, learnt once per toolbox (see the module docstring)."""
    found = _LEARNT.get(tb)
    if found is None:
        found = _LEARNT[tb] = _learn(tb)
    return found


def _learn(tb: Toolbox) -> PbxZone:
    """:func:`tcxkit.pbxzone.learn_zone` through the toolbox (policy, audit, limits), its
    refusals worded for the model."""

    def run(action: str, params: dict[str, Any]) -> Any:
        found = tb.catalog.get(action)
        if found is None:
            raise _unknown(f"this release has no {action}")
        try:
            return tb.run(found, params)
        except ToolFailure as exc:
            raise _unknown(f"{action} failed: {exc}") from None

    try:
        return learn_zone(run, _FIX)
    except ZoneUnknownError as exc:
        raise _unknown(exc.why) from None


_FIX = "Give period_from/period_to as date-times with an offset."


def _unknown(why: str) -> ToolFailure:
    return ToolFailure(
        f"The PBX's time zone could not be learnt ({why}), so days such as 'yesterday' "
        "cannot be placed. Give period_from/period_to as date-times with an offset, e.g. "
        "2026-11-29T00:00:00+01:00."
    )


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval ``[start, end)`` and how to say it back."""

    start: datetime
    end: datetime
    zone: PbxZone | None

    def described(self) -> dict[str, str]:
        z = self.zone.zone if self.zone else UTC
        out = {
            "from": self.start.astimezone(z).isoformat(),
            "to": self.end.astimezone(z).isoformat(),
        }
        if self.zone is not None:
            out["time_zone"] = self.zone.name
            out["time_zone_learnt_from"] = self.zone.source
        else:
            out["time_zone"] = "UTC (the PBX's own zone could not be learnt)"
        return out


def parse_period(
    tb: Toolbox,
    period_from: str | None,
    period_to: str | None,
    *,
    now: datetime | None = None,
    default: str = "last 24 hours",
) -> Period:
    """``period_from``/``period_to`` as a UTC interval, days counted in the PBX's zone.

    Each text names an interval: a word (``today``, ``yesterday``, ``this week``, ``last
    week``, ``last N days``/``hours``), a date (the whole day, PBX time) or a date-time
    (an instant; without an offset, PBX time).  The period runs from the start of
    ``period_from`` to the start of ``period_to``; without ``period_to``, to the end of
    ``period_from``'s interval (to now for an instant).
    """
    current = (now or datetime.now(UTC)).astimezone(UTC)
    zone_holder: list[PbxZone] = []

    def zone() -> PbxZone:
        if not zone_holder:
            zone_holder.append(pbx_zone(tb))
        return zone_holder[0]

    first = _interval(period_from or default, "period_from", current, zone)
    end = _interval(period_to, "period_to", current, zone)[0] if period_to else first[1]
    if not zone_holder:  # not needed for the period, but times read best in PBX time
        with contextlib.suppress(ToolFailure):
            zone()
    if first[0] >= end:
        raise ToolFailure(
            f"The period is empty: period_from ({first[0].isoformat()}) is not before "
            f"period_to ({end.isoformat()})."
        )
    return Period(first[0], end, zone_holder[0] if zone_holder else None)


def _interval(
    text: str, name: str, now: datetime, zone: Callable[[], PbxZone]
) -> tuple[datetime, datetime]:
    """The interval ``text`` names; a date at the edge of the calendar is refused, not a crash."""
    try:
        start, end = _interval_unbounded(text, name, now, zone)
    except OverflowError:
        start = end = None
    if start is None or end is None or not all(_EARLIEST <= t <= _LATEST for t in (start, end)):
        raise ToolFailure(f"{name}: {text!r} is out of range; give a date between 1900 and 2100.")
    return start, end


def _interval_unbounded(
    text: str, name: str, now: datetime, zone: Callable[[], PbxZone]
) -> tuple[datetime, datetime]:
    t = " ".join(text.strip().lower().split())
    if t == "now":
        return now, now
    if m := _LAST_N.match(t):
        n, unit = int(m.group(1)), m.group(2)
        span = timedelta(hours=n) if unit.startswith("hour") else timedelta(days=n)
        return now - span, now
    if t in ("today", "yesterday", "this week", "last week"):
        z = zone().zone
        today = now.astimezone(z).date()
        if t in ("today", "yesterday"):
            day = today - timedelta(days=1 if t == "yesterday" else 0)
            return _midnight(day, z), _midnight(day + timedelta(days=1), z)
        monday = today - timedelta(days=today.weekday() + (7 if t == "last week" else 0))
        return _midnight(monday, z), _midnight(monday + timedelta(days=7), z)
    try:
        if len(t) == 10:
            d = date.fromisoformat(t)
            z = zone().zone
            return _midnight(d, z), _midnight(d + timedelta(days=1), z)
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ToolFailure(
            f"{name}: {text!r} is not a date; use {_WORDS}, a date (2026-11-29, a whole day "
            "in the PBX's time zone) or a date-time (2026-11-29T08:00:00Z)."
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone().zone)
    return value.astimezone(UTC), now


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
