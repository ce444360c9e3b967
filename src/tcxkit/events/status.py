"""State sources: a DN's fields compared poll to poll.

* users (``ListUser``): ``IsRegistered`` -> ``dn.registered``/``dn.unregistered``;
  ``CurrentProfileName`` -> ``dn.status_changed``; ``QueueStatus`` ->
  ``queue.agent_logged_in``/``queue.agent_logged_out`` -- one query for all three;
* trunks (``ListTrunk``): ``IsOnline`` -> ``trunk.up``/``trunk.down``.

XAPI keeps no history of these fields, so the source lists them (``$select`` of the
number, the fields and the name; one request per 100 DNs) and compares each with the
last poll's.  The first poll only records the baseline, and a DN new since the last poll
is no change.  The PBX gives no time for the change: an event's ``time`` is the poll that
saw it (late by up to one interval), and its id is derived from the DN, the new value
and that moment -- fixed when the event is committed, so re-deliveries keep it.  A value
that changes and changes back between two polls is not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .model import Event, event_id
from .source import Poll, PollContext, Polled, Query

__all__ = ["DnStateSource", "TrunkSource", "UsersSource", "Watched"]


@dataclass(frozen=True)
class Watched:
    """One field of a DN: how its value is read, and the event a change makes."""

    field: str
    read: Callable[[Any], Any]
    #: (old value, new value) -> (event type, the event's data besides number and name)
    change: Callable[[Any, Any], tuple[str, dict[str, Any]]]


def _flag(on: str, off: str, key: str) -> Callable[[Any, Any], tuple[str, dict[str, Any]]]:
    return lambda old, new: (on if new else off, {key: new})


class DnStateSource:
    """Fields per DN, compared poll to poll (see the module docstring)."""

    name = ""
    types: tuple[str, ...] = ()
    interval = 30.0
    action = ""
    select: tuple[str, ...] = ()
    expand: str | None = None
    watched: tuple[Watched, ...] = ()

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        fields = ["Number", *(w.field for w in self.watched), *self.select]
        params: dict[str, Any] = {"select": fields}
        if self.expand:
            params["expand"] = self.expand
        return Poll((Query(self.action, params),))

    def label(self, row: dict[str, Any]) -> str | None:
        return None

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        before: dict[str, dict[str, Any]] = dict((state or {}).get("dns") or {})
        now: dict[str, dict[str, Any]] = {}
        events = []
        at = ctx.time(ctx.now.replace(microsecond=0))
        for row in sorted(answers[0], key=lambda r: str(r.get("Number"))):
            number = str(row.get("Number"))
            values = {w.field: w.read(row.get(w.field)) for w in self.watched}
            now[number] = values
            old = before.get(number)
            if state is None or old is None:
                continue  # the baseline, or a DN new since the last poll
            for w in self.watched:
                if w.field not in old or old[w.field] == values[w.field]:
                    continue
                kind, data = w.change(old[w.field], values[w.field])
                events.append(
                    Event(
                        event_id(ctx.pbx_key, kind, number, values[w.field], ctx.now.isoformat()),
                        kind,
                        at,
                        ctx.pbx,
                        {"number": number, "name": self.label(row), **data},
                    )
                )
        return Polled(events, {"dns": now})


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class UsersSource(DnStateSource):
    """Users: phone registration, status (presence profile) and queue login, one query."""

    name = "users"
    types = (
        "dn.registered", "dn.unregistered", "dn.status_changed",
        "queue.agent_logged_in", "queue.agent_logged_out",
    )  # fmt: skip
    action = "ListUser"
    select = ("FirstName", "LastName")
    watched = (
        Watched("IsRegistered", bool, _flag("dn.registered", "dn.unregistered", "registered")),
        Watched(
            "CurrentProfileName",
            _text,
            lambda old, new: ("dn.status_changed", {"status": new, "previous": old}),
        ),
        Watched(
            "QueueStatus",
            _text,
            lambda old, new: (
                "queue.agent_logged_in" if new == "LoggedIn" else "queue.agent_logged_out",
                {"queue_status": new},
            ),
        ),
    )

    def label(self, row: dict[str, Any]) -> str | None:
        name = f"{row.get('FirstName') or ''} {row.get('LastName') or ''}".strip()
        return name or None


class TrunkSource(DnStateSource):
    """A trunk coming online (``trunk.up``) or going offline (``trunk.down``)."""

    name = "trunks"
    types = ("trunk.up", "trunk.down")
    action = "ListTrunk"
    expand = "Gateway($select=Name)"
    watched = (Watched("IsOnline", bool, _flag("trunk.up", "trunk.down", "online")),)

    def label(self, row: dict[str, Any]) -> str | None:
        gateway = row.get("Gateway")
        return gateway.get("Name") if isinstance(gateway, dict) else None
