"""Which recordings a run takes (the period) and where each goes (its key).

Keys are ``<pbx>/<YYYY-MM-DD>/<start, UTC>_rec<id>_<from>_to_<to>.wav``: sorted by time
in any listing, one folder per PBX and day (a day holds a few thousand recordings at
most), and each part a plain name (:func:`tcxkit.storage.check_key`): the parties are
caller numbers (else the DN) with everything but letters, digits, ``+ . _ -`` turned into
``-``, so a caller id can never steer a key.  The key depends only on the recording's
own fields, which is what lets a later run find what an earlier one stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..errors import UsageError

__all__ = ["Period", "parse_when", "party", "recording_key", "start_of"]

_UNSAFE = re.compile(r"[^A-Za-z0-9+._-]+")
MAX_PARTY = 40


def parse_when(text: str, option: str) -> datetime:
    """``2026-12-01`` (midnight UTC) or an ISO date-time (UTC when no zone is given)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date or date-time.",
            hint=f"e.g. {option} 2026-12-01 or {option} 2026-12-01T08:00:00Z (UTC unless a "
            "zone is given).",
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Recordings that *started* in ``[start, end)`` (UTC)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise UsageError(
                f"The period ends ({self.end:%Y-%m-%dT%H:%M:%SZ}) before it starts "
                f"({self.start:%Y-%m-%dT%H:%M:%SZ}).",
                hint="--to is the end of the period (exclusive); the store is --into.",
            )

    @classmethod
    def parse(cls, start: str, end: str | None) -> Period:
        first = parse_when(start, "--from")
        last = parse_when(end, "--to") if end else datetime.now(UTC).replace(microsecond=0)
        return cls(first, last)

    def odata_filter(self) -> str:
        """The ``$filter`` of ``ListRecording`` for this period."""
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        return f"StartTime ge {self.start:{fmt}} and StartTime lt {self.end:{fmt}}"

    def holds(self, when: datetime) -> bool:
        return self.start <= when < self.end

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)


def start_of(row: dict[str, Any]) -> datetime:
    """A recording's start time, UTC (a row without one is refused: no key without it)."""
    text = str(row.get("StartTime") or "")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"recording {row.get('Id')} has no readable StartTime ({text!r})"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def party(row: dict[str, Any], side: str) -> str:
    """One side of the call for a file name: its number as the PBX shows it (an
    extension's is the extension; an outside caller's is their number, not the trunk's
    DN), else the DN, else the display name."""
    for field in (f"{side}CallerNumber", f"{side}Dn", f"{side}DisplayName"):
        text = _UNSAFE.sub("-", str(row.get(field) or "")).strip("-._")
        if text:
            return text[:MAX_PARTY]
    return "unknown"


def recording_key(pbx: str, row: dict[str, Any]) -> str:
    """Where recording ``row`` of ``pbx`` goes in a store (module docstring)."""
    when = start_of(row)
    rec_id = int(row["Id"])
    name = f"{when:%Y%m%dT%H%M%SZ}_rec{rec_id}_{party(row, 'From')}_to_{party(row, 'To')}.wav"
    return f"{pbx}/{when:%Y-%m-%d}/{name}"
