"""The watcher: polls each source of one PBX at its interval and commits what it finds.

Sources are sans-I/O (:mod:`.source`); this module is the small driver that runs their
queries with a :class:`tcxkit.Client` and commits each poll's events with the source's
next state (:mod:`.store`).  Consumers read the store's outbox (:func:`drain`), so the
printer and the webhook relay share one delivery rule: the position moves only past
what was handed over.

Before its first poll a watcher learns the PBX's time zone (:mod:`tcxkit.pbxzone`: a
few small reads, once) unless it was given one, so every event's ``time`` carries
the PBX's offset.  The async watcher never touches the store on its event loop: loads and
commits run in a worker thread (``asyncio.to_thread``), so many PBXs -- or an Airflow
triggerer's other triggers -- are never held up by a SQLite write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, UsageError
from ..pbxzone import learn_zone, learn_zone_async
from ..results import records_of
from .calls import ActiveCallsSource, CallLogSource
from .model import Event, parse_types
from .source import PollContext, Query, Source
from .status import TrunkSource, UsersSource
from .system import BackupsSource, EventLogSource, LicenseSource

if TYPE_CHECKING:
    from ..client import AsyncClient, Client
    from .store import CursorStore

__all__ = ["SOURCES", "AsyncWatcher", "Watcher", "drain", "sources_for"]

#: Every source, in the order a poll runs them.
SOURCES: tuple[Callable[[], Source], ...] = (
    ActiveCallsSource,
    CallLogSource,
    UsersSource,
    TrunkSource,
    BackupsSource,
    LicenseSource,
    EventLogSource,
)


def sources_for(types: Iterable[str] = ()) -> list[Source]:
    """The sources that produce ``types`` (every source when empty); unknown types refused
    (:func:`~tcxkit.events.model.parse_types`)."""
    wanted = set(parse_types(types))
    found = [make() for make in SOURCES]
    return [s for s in found if not wanted or wanted & set(s.types)]


#: How a user names the zone when the PBX's cannot be learnt (the refusal's hint).
_ZONE_FIX = (
    "Give the PBX's IANA zone (e.g. Europe/London): 3cx events --tz, "
    "ThreeCXEventTrigger(tz=...), Watcher(..., zone=ZoneInfo(...)); or let the API client "
    "read OfficeHours."
)


def _unlearnt(exc: ApiError) -> Exception:
    """A zone read the PBX refuses (no right, no such resource) is the user's to fix; a
    PBX that is down stays that error (retried at the sources' pace)."""
    if exc.status in (403, 404):
        return UsageError(f"The PBX's time zone could not be learnt: {exc}", hint=_ZONE_FIX)
    return exc


@dataclass
class _Schedule:
    """What both drivers share: which sources are due, and one poll's bookkeeping."""

    store: CursorStore
    pbx: str
    pbx_key: str
    sources: list[Source]
    types: frozenset[str] = frozenset()  # only these types are recorded (empty: all)
    interval: float | None = None  # overrides every source's own interval
    since: timedelta | None = None  # first poll of a source only
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: The PBX's time zone; None: learnt from the PBX before the first poll.
    zone: tzinfo | None = None
    _due: dict[str, float] = field(default_factory=dict)

    def _begin(
        self, source: Source, state: dict[str, Any] | None
    ) -> tuple[PollContext, list[Query]]:
        assert self.zone is not None
        ctx = PollContext(self.pbx, self.pbx_key, self.clock(), self.since, self.zone)
        return ctx, list(source.queries(state, ctx).queries)

    def _finish(
        self,
        source: Source,
        state: dict[str, Any] | None,
        answers: list[list[dict[str, Any]]],
        ctx: PollContext,
    ) -> int:
        polled = source.consume(state, answers, ctx)
        events = [e for e in polled.events if not self.types or e.type in self.types]
        return self.store.commit(self.pbx, source.name, polled.state, events)

    def _take_due(self) -> list[Source]:
        """The sources due now, each due again after its interval -- even when this poll
        fails (PBX down): a failing source is retried at its pace, not in a tight loop."""
        now = time.monotonic()
        due = [s for s in self.sources if self._due.get(s.name, 0.0) <= now]
        for source in due:
            self._due[source.name] = now + (self.interval or source.interval)
        return due

    def seconds_to_next(self) -> float:
        """How long until a source is due (0 when one is due now)."""
        if not self._due:
            return 0.0
        return max(0.0, min(self._due.values()) - time.monotonic())


@dataclass
class Watcher(_Schedule):
    """Polls ``sources`` of one PBX into ``store`` with a :class:`tcxkit.Client`."""

    client: Client | None = None

    def poll(self, source: Source) -> int:
        """Poll one source now and commit; returns how many new events were recorded."""
        if self.zone is None:
            self.zone = self._learn_zone()
        state = self.store.load(self.pbx, source.name)
        ctx, queries = self._begin(source, state)
        return self._finish(source, state, [self._run(q) for q in queries], ctx)

    def _learn_zone(self) -> tzinfo:
        client = self.client
        assert client is not None
        try:
            return learn_zone(lambda action, params: client.call(action, **params), _ZONE_FIX).zone
        except ApiError as exc:
            raise _unlearnt(exc) from None

    def poll_all(self) -> int:
        """Poll every source once (``--once``)."""
        return sum(self.poll(s) for s in self.sources)

    def poll_due(self) -> int:
        """Poll the sources whose interval has passed; returns the new events recorded."""
        return sum(self.poll(s) for s in self._take_due())

    def _run(self, query: Query) -> list[dict[str, Any]]:
        assert self.client is not None
        if query.all_pages:
            return list(self.client.paginate(query.action, **query.params))
        return records_of(self.client.call(query.action, **query.params))


@dataclass
class AsyncWatcher(_Schedule):
    """The same with a :class:`tcxkit.AsyncClient` (many PBXs on one event loop)."""

    client: AsyncClient | None = None

    async def poll(self, source: Source) -> int:
        if self.zone is None:
            self.zone = await self._learn_zone()
        state = await asyncio.to_thread(self.store.load, self.pbx, source.name)
        ctx, queries = self._begin(source, state)
        answers = [await self._run(q) for q in queries]
        return await asyncio.to_thread(self._finish, source, state, answers, ctx)

    async def _learn_zone(self) -> tzinfo:
        client = self.client
        assert client is not None
        try:
            found = await learn_zone_async(
                lambda action, params: client.call(action, **params), _ZONE_FIX
            )
        except ApiError as exc:
            raise _unlearnt(exc) from None
        return found.zone

    async def poll_all(self) -> int:
        return sum([await self.poll(s) for s in self.sources])

    async def poll_due(self) -> int:
        return sum([await self.poll(s) for s in self._take_due()])

    async def _run(self, query: Query) -> list[dict[str, Any]]:
        assert self.client is not None
        if query.all_pages:
            return [row async for row in self.client.paginate(query.action, **query.params)]
        return records_of(await self.client.call(query.action, **query.params))


def drain(
    store: CursorStore,
    consumer: str,
    pbx: str,
    deliver: Callable[[Event], bool],
    *,
    batch: int = 100,
) -> int:
    """Hand the outbox's events after ``consumer``'s position to ``deliver``, in order.

    The position moves past an event only when ``deliver`` returns True; the first False
    stops the drain there (the rest wait, in order).  Returns how many were delivered.
    """
    done = 0
    while True:
        pending = store.pending(consumer, pbx, batch)
        if not pending:
            return done
        for seq, event in pending:
            if not deliver(event):
                return done
            store.ack(consumer, pbx, seq)
            done += 1
