"""The exporter's cache: each PBX's last answer per family, refreshed on its interval.

One refresher per family runs on the exporter's one event loop and asks every PBX of
the fleet (through :class:`tcxkit.fleet.Fleet`, bounded concurrency) each interval; a
scrape only reads what is here.  A PBX whose ``status`` read fails, or that cannot be
reached by any read, is down (``threecx_up 0``) and its other values are not reported
until it answers again.

A down PBX is backed off rather than re-read on every refresh: only its ``status`` is
read again, after one status interval, then two, four... (bounded exponential back-off,
at most :data:`BACKOFF_CAP` seconds, or one status interval when that is longer), and
no other family (``queues`` every 15 s, the ``health`` checks) asks it meanwhile.  A PBX
that times out would otherwise hold a fleet slot for a timeout per family per interval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import TransportError
from ..health import default_thresholds
from .families import FAMILIES

if TYPE_CHECKING:
    from ..fleet import Fleet

__all__ = ["BACKOFF_CAP", "Cache", "PbxEntry"]

#: The longest wait, in seconds, between two status reads of a PBX that is down.
BACKOFF_CAP = 600.0
_SKIPPED = object()  # a read not made: the PBX is down and its back-off runs


@dataclass
class PbxEntry:
    """What is known of one PBX."""

    up: bool = False
    #: Seconds the last ``status`` read took (``threecx_scrape_duration_seconds``).
    duration: float = 0.0
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    #: Reads failed in a row while down (each one doubles the back-off).
    failures: int = 0
    #: Seconds until its status is read again after the last failure (0 when up).
    backoff: float = 0.0
    #: When (the cache's clock) a down PBX's status may be read again.
    retry_at: float = 0.0


class Cache:
    """Every PBX's entry; :meth:`refresh` reads one family on every PBX that is due.

    ``clock`` (seconds, monotonic) decides when a down PBX is due again.
    """

    def __init__(
        self,
        fleet: Fleet,
        intervals: dict[str, float],
        thresholds_for: Callable[[str], dict[str, dict[str, float]]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.fleet = fleet
        self.intervals = intervals
        self.thresholds_for = thresholds_for or (lambda _name: default_thresholds())
        self.clock = clock
        self.entries: dict[str, PbxEntry] = {name: PbxEntry() for name in fleet.names}

    def due(self, name: str, family: str) -> bool:
        """Whether ``family`` is read from ``name`` now: every family of a PBX that is up;
        of one that is down (or not read yet), only ``status``, once its back-off ended."""
        entry = self.entries[name]
        if entry.up:
            return True
        return family == "status" and self.clock() >= entry.retry_at

    def backoff_after(self, failures: int) -> float:
        """The wait after ``failures`` failed reads in a row: the status interval doubled
        per failure, at most :data:`BACKOFF_CAP` (or one interval when that is longer)."""
        base = self.intervals["status"]
        return min(base * 2 ** min(failures - 1, 32), max(BACKOFF_CAP, base))

    def _down(self, entry: PbxEntry, error: BaseException | None) -> None:
        entry.up, entry.error = False, str(error)
        entry.values.clear()  # a PBX that is down reports nothing stale
        entry.failures += 1
        entry.backoff = self.backoff_after(entry.failures)
        entry.retry_at = self.clock() + entry.backoff

    async def refresh(self, family: str) -> None:
        read = FAMILIES[family].read

        async def one(name: str, client: Any) -> Any:
            if not self.due(name, family):
                return _SKIPPED
            started = time.perf_counter()
            value = await read(client, self.thresholds_for(name))
            return value, time.perf_counter() - started

        for result in await self.fleet.run(one):
            entry = self.entries[result.pbx]
            if result.value is _SKIPPED:
                continue
            if result.ok and result.value is not None:
                value, took = result.value
                entry.values[family] = value
                if family == "status":
                    entry.up, entry.duration, entry.error = True, took, None
                    entry.failures, entry.backoff, entry.retry_at = 0, 0.0, 0.0
            elif family == "status" or isinstance(result.error, TransportError):
                self._down(entry, result.error)  # unreachable, whatever was read
            else:
                entry.values.pop(family, None)

    async def refresh_all(self) -> None:
        """Every family once (status first, so the others know who is up)."""
        await self.refresh("status")
        await asyncio.gather(*(self.refresh(f) for f in FAMILIES if f != "status"))

    async def keep_fresh(self) -> None:
        """Refresh each family on its own interval, forever (cancel to stop)."""

        async def loop(family: str) -> None:
            while True:
                await asyncio.sleep(self.intervals[family])
                await self.refresh(family)

        await asyncio.gather(*(loop(f) for f in FAMILIES))
