"""State sources: ``dn.registered``/``dn.unregistered`` (Users' ``IsRegistered``) and
``trunk.up``/``trunk.down`` (Trunks' ``IsOnline``).

XAPI keeps no history of these flags, so the source lists them (``$select`` of the
number, the flag and the name; one request per 100 DNs) and compares each with the last
poll's.  The first poll only records the baseline.  The PBX gives no time for the
change: an event's ``time`` is the poll that saw it (so it is late by up to one
interval), and its id is derived from the DN, the new value and that time -- fixed
when the event is committed, so re-deliveries keep it.  A flag that flips and flips
back between two polls is not seen.
"""

from __future__ import annotations

from typing import Any

from .model import Event, event_id, iso_time
from .source import Poll, PollContext, Polled, Query

__all__ = ["FlagSource", "RegistrationSource", "TrunkSource"]


class FlagSource:
    """A boolean per DN, compared poll to poll (the base of the two sources below)."""

    name = ""
    types: tuple[str, ...] = ()
    interval = 30.0
    action = ""
    flag = ""
    select: tuple[str, ...] = ()
    on_type = ""
    off_type = ""

    expand: str | None = None

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        params: dict[str, Any] = {"select": ["Number", self.flag, *self.select]}
        if self.expand:
            params["expand"] = self.expand
        return Poll((Query(self.action, params),))

    def label(self, row: dict[str, Any]) -> str | None:
        return None

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        before: dict[str, bool] = dict((state or {}).get("flags") or {})
        now: dict[str, bool] = {}
        events = []
        for row in sorted(answers[0], key=lambda r: str(r.get("Number"))):
            number = str(row.get("Number"))
            value = bool(row.get(self.flag))
            now[number] = value
            if state is None or before.get(number, value) == value:
                continue  # baseline, a new DN, or no change
            kind = self.on_type if value else self.off_type
            at = iso_time(ctx.now.replace(microsecond=0))
            events.append(
                Event(
                    event_id(ctx.pbx_key, kind, number, ctx.now.isoformat()),
                    kind,
                    at,
                    ctx.pbx,
                    {"number": number, "name": self.label(row), self.flag_key: value},
                )
            )
        return Polled(events, {"flags": now})

    @property
    def flag_key(self) -> str:
        return {"IsRegistered": "registered", "IsOnline": "online"}[self.flag]


class RegistrationSource(FlagSource):
    """A user's phone registering (``dn.registered``) or dropping (``dn.unregistered``)."""

    name = "registrations"
    types = ("dn.registered", "dn.unregistered")
    action = "ListUser"
    flag = "IsRegistered"
    select = ("FirstName", "LastName")
    on_type, off_type = "dn.registered", "dn.unregistered"

    def label(self, row: dict[str, Any]) -> str | None:
        name = f"{row.get('FirstName') or ''} {row.get('LastName') or ''}".strip()
        return name or None


class TrunkSource(FlagSource):
    """A trunk coming online (``trunk.up``) or going offline (``trunk.down``)."""

    name = "trunks"
    types = ("trunk.up", "trunk.down")
    action = "ListTrunk"
    flag = "IsOnline"
    expand = "Gateway($select=Name)"
    on_type, off_type = "trunk.up", "trunk.down"

    def label(self, row: dict[str, Any]) -> str | None:
        gateway = row.get("Gateway")
        return gateway.get("Name") if isinstance(gateway, dict) else None
