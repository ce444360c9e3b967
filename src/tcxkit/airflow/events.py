"""PBX events in Airflow: one trigger for a deferrable sensor and for event-driven DAGs.

:class:`ThreeCXEventTrigger` runs the events core (:mod:`tcxkit.events`: sources, cursor
store, :class:`~tcxkit.events.AsyncWatcher`) in the triggerer with a
:class:`tcxkit.AsyncClient`, so waiting for a change holds no worker slot:

* in a DAG's ``schedule`` through an ``AssetWatcher`` (Airflow 3's event-driven
  scheduling) it never ends: the events one poll finds go out as **one** trigger event
  (``{"status": "events", "events": [...]}``), i.e. one asset event and one DAG run --
  one run per missed call, per trunk failure, unless several happen within one poll.
  One per poll, not one per event, because Airflow's scheduler starts a run at the first
  queued asset event and leaves those queued a moment later for the *next* event's run:
  a burst yielded event by event would wait, half of it, for an unrelated later call.
  Its cursor store is a file (by default one per connection and consumer under the
  tcxkit cache directory), and a batch is acknowledged only after the triggerer took it:
  a restarted triggerer resumes after the last batch handed over and never repeats one
  it acknowledged (at least once in the narrow window between hand-over and ack; every
  event has a stable ``id`` to dedupe by);
* behind :class:`ThreeCXEventSensor` it fires once, on the first matching event after
  ``after`` (the DAG run's start): a restarted trigger polls again from ``after`` and finds
  the same first event, same id, so the sensor completes on exactly one event and needs no
  file of its own.

Only data travels to the triggerer: the connection id, the event types and plain options.
The trigger never runs SQLite on the triggerer's event loop (which every other trigger
shares): the store is opened, read, acknowledged and closed in a worker thread, and the
watcher commits its polls there too (:class:`~tcxkit.events.AsyncWatcher`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import TcxError, UsageError
from ..events.model import parse_types
from ..pbxzone import named_zone
from ._compat import AirflowException, BaseSensorOperator, TriggerEvent
from .errors import ThreeCXPermanentError, to_airflow_error
from .hooks import ThreeCXHook
from .pools import ConnectionPool, pool_for

try:  # Airflow >= 3.0: the base class AssetWatcher requires
    from airflow.triggers.base import BaseEventTrigger
except ImportError:  # pragma: no cover - _compat already refuses Airflow 2
    from ._compat import BaseTrigger as BaseEventTrigger

__all__ = ["ThreeCXEventSensor", "ThreeCXEventTrigger", "default_cursor"]

#: How often the trigger looks at the outbox between polls (it is local: cheap).
_TICK = 0.2
#: Most events in one trigger event (one asset event, so one DAG run).
MAX_BATCH = 100
#: The sensor looks back this far before its run's start: PBX times are whole seconds,
#: and the PBX's clock and Airflow's are never quite the same.
AFTER_MARGIN = timedelta(seconds=5)
_TZ_FIX = "Give tz= an IANA zone name, e.g. tz='Europe/London'."


def _types(value: str | Sequence[str]) -> list[str]:
    """Event types as a sorted list (the default consumer's name, so its cursor file,
    derives from it); unknown ones refused at DAG parse time, by the core's one check."""
    return sorted(parse_types(value, at_least_one=True))


def default_cursor(threecx_conn_id: str, consumer: str) -> str:
    """Where a watching trigger keeps its cursors: one SQLite file per connection and consumer.

    One file per consumer because a store's source cursors move for the types its watcher
    records: two watchers of different types must not share them.
    """
    from ..auth import default_cache_dir

    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{threecx_conn_id}-{consumer}")[:120]
    return str(default_cache_dir() / "airflow-events" / f"{slug}.sqlite")


class ThreeCXEventTrigger(BaseEventTrigger):
    """Yield each event of ``types`` on the connection's PBX (see the module docstring).

    :param types: event types (``call.missed``, ``trunk.down`` ...; docs/events.md).
    :param threecx_conn_id: the ``threecx`` connection; events carry its id as ``pbx``.
    :param once: fire on the first event and end (the sensor); else watch for ever.
    :param after: ISO time: the first poll reports changes since then (else: from now).
    :param cursor: the cursor store file (watching: default :func:`default_cursor`;
        ``once``: in memory unless given).
    :param consumer: the position's name in the store (default: ``airflow:<types>``).
    :param interval: seconds between polls of each source (default: each source's own).
    :param tz: the PBX's IANA time zone for event times (default: learnt from the PBX's
        ``OfficeHours.TimeZoneId``; needed when the API client may not read it).
    """

    def __init__(
        self,
        *,
        types: str | Sequence[str],
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        once: bool = False,
        after: str | None = None,
        cursor: str | None = None,
        consumer: str | None = None,
        interval: float | None = None,
        tz: str | None = None,
    ) -> None:
        super().__init__()
        self.types = _types(types)
        self.threecx_conn_id = threecx_conn_id
        self.once = once
        self.after = after
        self.consumer = consumer or "airflow:" + ",".join(self.types)
        self.cursor = cursor
        self.interval = interval
        self.tz = tz
        self._acking: asyncio.Future[None] | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "types": self.types,
                "threecx_conn_id": self.threecx_conn_id,
                "once": self.once,
                "after": self.after,
                "cursor": self.cursor,
                "consumer": self.consumer,
                "interval": self.interval,
                "tz": self.tz,
            },
        )

    def _store_path(self) -> str:
        if self.cursor:
            return self.cursor
        return ":memory:" if self.once else default_cursor(self.threecx_conn_id, self.consumer)

    def _since(self) -> timedelta | None:
        if not self.after:
            return None
        from ..events.model import parse_time

        try:
            return max(timedelta(0), datetime.now(UTC) - parse_time(self.after))
        except ValueError:
            raise UsageError(
                f"after={self.after!r} is not an ISO time.",
                hint="Give e.g. after='2026-03-10T09:00:00Z' (templated: '{{ data_interval_start }}').",
            ) from None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ..client import AsyncClient
        from ..events import AsyncWatcher, SqliteCursorStore, sources_for

        try:
            since = self._since()  # refused with the fix, before any connection is made
            zone = named_zone(self.tz, "tz=", _TZ_FIX) if self.tz else None
            hook = ThreeCXHook(threecx_conn_id=self.threecx_conn_id)
            settings = await asyncio.to_thread(hook.settings)  # a connection look-up blocks
            path = self._store_path()
            store = await asyncio.to_thread(SqliteCursorStore, path)
        except TcxError as exc:
            if not self.once:  # an asset event is for a change, not an error: fail the trigger
                raise
            yield self._failure(exc)
            return
        self.log.info("watching %s for %s (cursor %s)", self.threecx_conn_id, self.types, path)
        try:
            async with AsyncClient(**settings) as client:
                watcher = AsyncWatcher(
                    store,
                    self.threecx_conn_id,
                    str(settings["base_url"]).rstrip("/"),
                    sources_for(self.types),
                    types=frozenset(self.types),
                    interval=self.interval,
                    since=since,
                    zone=zone,
                    client=client,
                )
                async for event in self._events(watcher, store):
                    yield event
                    if self.once:
                        return
        finally:
            if self._acking is not None:
                await asyncio.gather(self._acking, return_exceptions=True)
            await asyncio.to_thread(store.close)

    async def _events(self, watcher: Any, store: Any) -> AsyncIterator[TriggerEvent]:
        """Poll what is due; hand over what the outbox holds, in order, a batch per poll."""
        first = True
        while True:
            try:
                await watcher.poll_due()
                if first:  # says from when changes are seen (operators; the cluster test)
                    self.log.info("%s %s: first poll done", self.threecx_conn_id, self.types)
                    first = False
            except TcxError as exc:
                if self.once and isinstance(to_airflow_error(exc), ThreeCXPermanentError):
                    yield self._failure(exc)
                    return
                self.log.warning("polling %s failed, retrying: %s", self.threecx_conn_id, exc)
            while pending := await asyncio.to_thread(
                store.pending, self.consumer, self.threecx_conn_id, MAX_BATCH
            ):
                events = [event.to_dict() for _, event in pending]
                for event in events:
                    self.log.info("event %s %s (%s)", event["type"], event["id"], event["time"])
                if self.once:  # the sensor: its first event; found again from `after`
                    yield TriggerEvent({"status": "event", "event": events[0]})
                    return
                yield TriggerEvent({"status": "events", "events": events})
                # Taken: acknowledged even if the triggerer cancels us during the write
                # (shielded; run() waits for it before closing the store).
                self._acking = asyncio.ensure_future(
                    asyncio.to_thread(
                        store.ack, self.consumer, self.threecx_conn_id, pending[-1][0]
                    )
                )
                await asyncio.shield(self._acking)
            await asyncio.sleep(max(_TICK, min(watcher.seconds_to_next(), 5.0)))

    def _failure(self, exc: TcxError) -> TriggerEvent:
        permanent = isinstance(to_airflow_error(exc), ThreeCXPermanentError)
        return TriggerEvent({"status": "error", "message": str(exc), "permanent": permanent})


class ThreeCXEventSensor(ConnectionPool, BaseSensorOperator):
    """Wait, in the triggerer, for the PBX's next event of ``type``; its XCom is the event.

    ``ThreeCXEventSensor(task_id="wait", type="backup.completed")`` completes on the first
    backup that completes after the DAG run started (less :data:`AFTER_MARGIN`; ``after``:
    an ISO time to look back to instead; templated).  Always deferred: the wait holds no worker slot.
    """

    template_fields: Sequence[str] = ("after",)
    ui_color = "#fff4e0"

    def __init__(
        self,
        *,
        type: str | Sequence[str],
        after: str | None = None,
        interval: float | None = None,
        tz: str | None = None,
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        pool_for(kwargs, threecx_conn_id)
        super().__init__(**kwargs)
        self.types = _types(type)
        if tz:  # refused at DAG parse time, like an unknown type (the trigger checks again)
            named_zone(tz, "tz=", _TZ_FIX)
        self.after = after
        self.interval = interval
        self.tz = tz
        self.threecx_conn_id = threecx_conn_id

    def _after(self, context: Any) -> str:
        """``after``, else the run's start less :data:`AFTER_MARGIN`, in whole seconds: the
        PBX stamps a backup with whole seconds, by its own clock."""
        if self.after:
            return str(self.after)
        dag_run = context.get("dag_run") if context else None
        start = getattr(dag_run, "start_date", None) or datetime.now(UTC)
        return (start - AFTER_MARGIN).replace(microsecond=0).isoformat()

    def execute(self, context: Any) -> Any:
        after = self._after(context)
        self.log.info("waiting in the triggerer for %s after %s", self.types, after)
        self.defer(
            trigger=ThreeCXEventTrigger(
                types=self.types,
                threecx_conn_id=self.threecx_conn_id,
                once=True,
                after=after,
                interval=self.interval,
                tz=self.tz,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def poke(self, context: Any) -> bool:  # pragma: no cover - execute() always defers
        raise AirflowException("ThreeCXEventSensor waits in the triggerer only.")

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Back from the triggerer: the event (``id``, ``type``, ``time``, ``pbx``, ``data``)."""
        from ._compat import AirflowFailException

        event = event or {}
        if event.get("status") == "event":
            found = event["event"]
            self.log.info("%s %s at %s", found["type"], found["id"], found["time"])
            return found
        message = str(event.get("message") or f"unexpected trigger event {event!r}")
        raise AirflowFailException(message) if event.get("permanent") else AirflowException(message)
