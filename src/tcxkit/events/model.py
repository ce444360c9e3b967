"""The event: what every source produces and every consumer receives.

An event is a plain JSON object with five fields (docs/events.md):

* ``id`` -- stable: derived from the PBX's own data (a call's ``CdrId``, an active
  call's ``Id`` and ``EstablishedAt``), or, for state changes the PBX keeps no record of
  (a phone registering), from what was seen and when it was first seen.  The id is fixed
  when the event is first recorded in the cursor store, so every re-delivery carries the
  same id and the same body: a consumer that dedupes by id sees each change once;
* ``type`` -- one of :data:`EVENT_TYPES`;
* ``time`` -- when it happened, ISO 8601 with the PBX's own UTC offset at that moment
  (XAPI answers in UTC; the watcher learns the PBX's time zone, :mod:`tcxkit.pbxzone`,
  and shows each instant in it -- ``2026-12-07T09:12:00-10:00`` for a PBX in Honolulu).
  Ids never derive from this text, only from the PBX's data and the instant, so the
  representation can change without re-issuing an id;
* ``pbx`` -- the name of the PBX it came from (profile or inventory name, else its host);
* ``data`` -- the type's fields, documented per type.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ..errors import UsageError

__all__ = [
    "EVENT_TYPES",
    "Event",
    "event_id",
    "iso_time",
    "parse_duration",
    "parse_time",
    "parse_types",
]

#: Every event type a source of this release can produce.
EVENT_TYPES: tuple[str, ...] = (
    "call.started",
    "call.ended",
    "call.missed",
    "dn.registered",
    "dn.unregistered",
    "dn.status_changed",
    "queue.agent_logged_in",
    "queue.agent_logged_out",
    "trunk.up",
    "trunk.down",
    "backup.completed",
    "backup.failed",
    "license.expiring",
    "system.alert",
)


def event_id(pbx_key: str, type_: str, *parts: Any) -> str:
    """A stable, opaque id: the same PBX, type and PBX data always give the same id.

    ``pbx_key`` identifies the PBX itself (its URL), not the name a user gave it, so
    renaming a profile does not re-issue ids.  Hashed, so the id is safe in an HTTP header
    and says nothing a receiver should parse.
    """
    text = "\x1f".join([pbx_key, type_, *(str(p) for p in parts)])
    return "evt_" + hashlib.sha256(text.encode()).hexdigest()[:32]


def parse_types(types: str | Iterable[str], *, at_least_one: bool = False) -> list[str]:
    """Event types named by a user, checked: the one check every face (CLI, MCP, Airflow,
    the library's :func:`~tcxkit.events.sources_for`) calls.

    Fail closed: an unknown type is refused with :class:`~tcxkit.errors.UsageError`
    naming the close ones and listing the known types -- a typo must not silently watch
    nothing.  Returns the distinct types in the order of :data:`EVENT_TYPES`.
    """
    found = [types] if isinstance(types, str) else [str(t) for t in types]
    unknown = [t for t in dict.fromkeys(found) if t not in EVENT_TYPES]
    if unknown:
        close = [c for t in unknown for c in difflib.get_close_matches(t, EVENT_TYPES, n=1)]
        maybe = f" Did you mean {', '.join(close)}?" if close else ""
        raise UsageError(
            f"Unknown event type {', '.join(map(repr, unknown))}.{maybe}",
            hint="Known types: " + ", ".join(EVENT_TYPES) + " (docs/events.md).",
        )
    if at_least_one and not found:
        raise UsageError(
            "Name at least one event type.",
            hint="Known types: " + ", ".join(EVENT_TYPES) + " (docs/events.md).",
        )
    return [t for t in EVENT_TYPES if t in found]


def iso_time(value: datetime | str, zone: tzinfo = UTC) -> str:
    """ISO 8601 with the offset ``zone`` has at that instant (the PBX's zone; UTC when it
    is not known), second precision kept as the PBX gave it."""
    moment = parse_time(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat()


_DURATION = re.compile(r"\s*(\d{1,6})\s*([smhd])\s*", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta | None:
    """``90s``, ``15m``, ``1h``, ``2d`` (one number of at most six digits, one unit) as a
    timedelta; None when ``text`` is not one (each face says so in its own words)."""
    m = _DURATION.fullmatch(text)
    return timedelta(seconds=int(m.group(1)) * _SECONDS[m.group(2).lower()]) if m else None


def parse_time(text: str) -> datetime:
    """An XAPI date-time (``2026-03-10T09:12:00Z``, fractions allowed) as an aware time."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    """One change on one PBX (see the module docstring for the fields)."""

    id: str
    type: str
    time: str
    pbx: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "time": self.time, "pbx": self.pbx,
                "data": self.data}  # fmt: skip

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Event:
        return cls(row["id"], row["type"], row["time"], row["pbx"], dict(row.get("data") or {}))
