"""``3cx --fleet SELECTOR events watch|relay``: one watcher per PBX, one process.

Every selected PBX gets an :class:`tcxkit.events.AsyncWatcher` on the fleet's one event
loop (:func:`tcxkit.fleet.bridge.run_sync`), all sharing one cursor store, each PBX its
own cursors and outbox (events carry the PBX's fleet name).  After each round of polls
the outbox is handed to the consumer PBX by PBX, in a worker thread (the printer and the
webhook sender are synchronous), so events stay in order per PBX.  A PBX that cannot be
polled is reported on stderr and tried again at its sources' intervals; with ``--once``
its error ends the run after the others' events (exit 10, or the shared error's code
when every PBX failed alike).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..errors import TcxError

if TYPE_CHECKING:
    from ..events import AsyncWatcher, Event
    from ..events.store import SqliteCursorStore
    from .runopts import Options

__all__ = ["run_fleet", "watch_args"]


def watch_args(o: dict[str, Any], since: timedelta | None) -> dict[str, Any]:
    """What every watcher is told by the command's options, one PBX or a fleet: its
    sources and types, the interval, ``--tz``, and ``since`` (``--since``, read)."""
    from ..events import sources_for

    return {
        "sources": sources_for(o["types"]),
        "types": frozenset(o["types"]),
        "interval": o["interval"],
        "since": since,
        "zone": o["zone"],
    }


def run_fleet(
    opts: Options,
    store: SqliteCursorStore,
    o: dict[str, Any],
    deliver_for: Callable[[str], Callable[[Event], bool]],
    consumer: str,
    *,
    once: bool,
    retry_in: Callable[[], float] = lambda: 3600.0,
) -> None:
    """Watch every selected PBX until interrupted (or once); ``deliver_for(pbx)`` is the
    consumer of that PBX's events (True: delivered, the position moves past it).
    ``o`` is the command's options, ``--since`` already read (``since_parsed``)."""
    from ..events import AsyncWatcher, drain
    from ..fleet import FleetReport, FleetResult
    from ..fleet.bridge import run_sync
    from .fleet import fleet_targets, open_fleet

    since = o["since_parsed"]
    fleet = open_fleet(fleet_targets(opts), opts, None)
    failed: dict[str, TcxError] = {}

    async def main() -> None:
        async with fleet:
            watchers = [
                AsyncWatcher(
                    store,
                    t.name,
                    t.url.rstrip("/"),
                    client=fleet.client(t.name),
                    **watch_args(o, since),
                )
                for t in fleet.targets
            ]
            while True:
                await _round(watchers, once, failed)
                for w in watchers:
                    await asyncio.to_thread(drain, store, consumer, w.pbx, deliver_for(w.pbx))
                if once:
                    return
                wait = min([w.seconds_to_next() for w in watchers] + [retry_in()])
                await asyncio.sleep(max(0.05, wait))

    run_sync(main)
    # The PBXs that never answered a --once poll, in fleet order (the others' events
    # were delivered as they came): the one fleet ending, exit 10 with their rows.
    failures: list[FleetResult[Any]] = [
        FleetResult(n, error=failed[n]) for n in fleet.names if n in failed
    ]
    FleetReport(failures).raise_for_failures(total=len(fleet.names))


async def _round(watchers: list[AsyncWatcher], once: bool, failed: dict[str, TcxError]) -> None:
    """One poll of every PBX (what is due; everything with ``--once``), concurrently."""
    results = await asyncio.gather(
        *((w.poll_all() if once else w.poll_due()) for w in watchers), return_exceptions=True
    )
    for w, result in zip(watchers, results, strict=True):
        if isinstance(result, TcxError):
            if once:
                failed[w.pbx] = result
            print(f"3cx: polling {w.pbx} failed, retrying: {result}", file=sys.stderr)
        elif isinstance(result, BaseException):
            raise result
