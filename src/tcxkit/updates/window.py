"""Maintenance windows: ``'Sat 02:00-05:00'``, read strictly, judged in the PBX's time zone.

Grammar (nothing else is accepted: an update outside the hours people agreed to is worse
than no update, so text that cannot be read is refused with the fix, never guessed at)::

    WINDOW = DAYS " " HH:MM "-" HH:MM
    DAYS   = "daily" | DAY ("," DAY)*    DAY = Mon|Tue|Wed|Thu|Fri|Sat|Sun, or a range Mon-Fri

The end may be ``24:00``; an end before the start crosses midnight (``Sat 23:00-02:00``
is Saturday 23:00 to Sunday 02:00).  The PBX's zone is the one its admin console sets
for the office hours (``OfficeHours.TimeZoneId``, learnt by :mod:`tcxkit.pbxzone`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from ..errors import TcxError, UsageError
from ..pbxzone import ZoneUnknownError, learn_zone_async

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["Window", "WindowError", "parse_window", "pbx_zone"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHAPE = re.compile(r"(\S+) (\d\d):(\d\d)-(\d\d):(\d\d)")
_FIX = "Write DAYS HH:MM-HH:MM, e.g. 'Sat 02:00-05:00', 'Mon-Fri 22:00-23:30', 'daily 01:00-04:00'."
#: Longest window text read (a window is about 20 characters).
MAX_TEXT = 100


class WindowError(UsageError):
    """A maintenance window that cannot be read (exit 2, with the fix)."""

    title = "bad maintenance window"


@dataclass(frozen=True)
class Window:
    """When updates may start: ``days`` (0 = Monday) and local ``start``/``end``."""

    text: str
    days: frozenset[int]
    start: time
    end: time | None  # None: midnight at the end of the day (24:00)

    def contains(self, local: datetime) -> bool:
        """Whether ``local`` (a time in the PBX's zone) falls inside the window."""
        day, now = local.weekday(), local.time().replace(tzinfo=None)
        if self.end is None or self.end > self.start:
            return day in self.days and self.start <= now and (self.end is None or now < self.end)
        # crosses midnight: the evening of a listed day, or the morning after it
        return (day in self.days and now >= self.start) or (
            (day - 1) % 7 in self.days and now < self.end
        )

    def __str__(self) -> str:
        return self.text


def _bad(text: str, why: str) -> WindowError:
    return WindowError(f"Maintenance window {text!r}: {why}.", hint=_FIX)


def _day(text: str, word: str) -> int:
    if word.lower() not in DAYS:
        raise _bad(text, f"{word!r} is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)")
    return DAYS.index(word.lower())


def _days(text: str, words: str) -> frozenset[int]:
    if words.lower() == "daily":
        return frozenset(range(7))
    found: set[int] = set()
    for part in words.split(","):
        first, dash, last = part.partition("-")
        a = _day(text, first)
        b = _day(text, last) if dash else a
        found.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(found)


def _clock(text: str, hours: str, minutes: str, *, end: bool) -> time | None:
    h, m = int(hours), int(minutes)
    if end and (h, m) == (24, 0):
        return None
    if h > 23 or m > 59:
        raise _bad(text, f"{hours}:{minutes} is not a time of day")
    return time(h, m)


def parse_window(text: str) -> Window:
    """The :class:`Window` ``text`` names; :class:`WindowError` (with the fix) otherwise."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise _bad(str(text)[:MAX_TEXT], "not a short text")
    shape = _SHAPE.fullmatch(text.strip())
    if shape is None:
        raise _bad(text, "not of the form DAYS HH:MM-HH:MM")
    words, sh, sm, eh, em = shape.groups()
    start = _clock(text, sh, sm, end=False)
    assert start is not None
    end = _clock(text, eh, em, end=True)
    if end == start:
        raise _bad(text, "it starts and ends at the same time")
    return Window(text.strip(), _days(text, words), start, end)


async def pbx_zone(client: AsyncClient) -> tuple[tzinfo, str]:
    """The PBX's zone and its IANA name, by the core's lookup (:mod:`tcxkit.pbxzone`:
    ``OfficeHours.TimeZoneId``, via ``Defs/TimeZones`` when it is no IANA name)."""
    try:
        found = await learn_zone_async(
            lambda action, params: client.call(action, **params), _ZONE_FIX
        )
    except ZoneUnknownError as exc:
        raise TcxError(
            f"The PBX's time zone could not be learnt ({exc.why}), so its maintenance "
            "window cannot be judged.",
            hint=_ZONE_FIX,
        ) from None
    return found.zone, found.name


_ZONE_FIX = (
    "Set the time zone in the admin console (Office Hours), or update this PBX without --window."
)


def local_time(now: datetime, zone: tzinfo) -> str:
    """``Sat 02:15 Europe/London``: a PBX's local time as a person reads it."""
    local = now.astimezone(zone)
    return f"{DAYS[local.weekday()].title()} {local:%H:%M} {zone}"


def next_start(window: Window, now: datetime, zone: tzinfo) -> datetime:
    """When ``window`` next opens after ``now`` (in ``zone``), for a skipped PBX's row."""
    local = now.astimezone(zone).replace(second=0, microsecond=0)
    for day in range(8):
        when = datetime.combine(local.date() + timedelta(days=day), window.start, tzinfo=zone)
        if when > local and when.weekday() in window.days:
            return when
    return local  # unreachable: a window has at least one day
