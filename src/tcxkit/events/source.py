"""What a source is: a sans-I/O poller that turns XAPI answers into events.

A source asks for the cheapest answer that can show its change (``queries``), and turns
the answers into events and its next cursor state (``consume``); it does no I/O, so the
same source runs under the sync and the async client, and a test can drive it with
hand-made rows.  The state is a small JSON object the cursor store keeps
(:mod:`tcxkit.events.store`), committed in the same transaction as the events it
produced: a restart resumes exactly where the last committed poll ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol

from .model import Event, iso_time

__all__ = ["Poll", "PollContext", "Polled", "Query", "Source"]


@dataclass(frozen=True)
class Query:
    """One XAPI call: an action id and its parameters (``all_pages``: follow ``$skip``)."""

    action: str
    params: dict[str, Any]
    all_pages: bool = True


@dataclass(frozen=True)
class PollContext:
    """What a source knows about the poll besides its state."""

    pbx: str  # the PBX's name, as events carry it
    pbx_key: str  # what identifies the PBX in event ids (its URL)
    now: datetime  # this poll's time (aware, UTC)
    since: timedelta | None = None  # first poll only: report changes this far back
    zone: tzinfo = UTC  # the PBX's time zone: event times are shown in it

    def time(self, value: datetime | str) -> str:
        """An instant as events show it: ISO 8601 with the PBX's offset at that instant."""
        return iso_time(value, self.zone)


@dataclass
class Polled:
    """A poll's outcome: the events (oldest first) and the state to commit with them."""

    events: list[Event] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Poll:
    """The queries of one poll (answers come back in the same order)."""

    queries: tuple[Query, ...]


class Source(Protocol):
    """A change detector over one XAPI resource (see the module docstring)."""

    @property
    def name(self) -> str:
        """Its name in the cursor store (never changes once released)."""

    @property
    def types(self) -> tuple[str, ...]:
        """The event types it produces."""

    @property
    def interval(self) -> float:
        """Its default poll interval, seconds."""

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        """What to ask the PBX; ``state`` None means the first poll ever."""

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        """The events in ``answers`` (rows per query) and the next state."""
