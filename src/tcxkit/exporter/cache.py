"""The exporter's cache: each PBX's last answer per family, refreshed on its interval.

One refresher per family runs on the exporter's one event loop and asks every PBX of
the fleet (through :class:`tcxkit.fleet.Fleet`, bounded concurrency) each interval; a
scrape only reads what is here.  A PBX whose ``status`` read fails is down
(``threecx_up 0``) and its other values are not reported until it answers again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..health import default_thresholds
from .families import FAMILIES

if TYPE_CHECKING:
    from ..fleet import Fleet

__all__ = ["Cache", "PbxEntry"]


@dataclass
class PbxEntry:
    """What is known of one PBX."""

    up: bool = False
    #: Seconds the last ``status`` read took (``threecx_scrape_duration_seconds``).
    duration: float = 0.0
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


class Cache:
    """Every PBX's entry; :meth:`refresh` reads one family on every PBX."""

    def __init__(
        self,
        fleet: Fleet,
        intervals: dict[str, float],
        thresholds_for: Callable[[str], dict[str, dict[str, float]]] | None = None,
    ):
        self.fleet = fleet
        self.intervals = intervals
        self.thresholds_for = thresholds_for or (lambda _name: default_thresholds())
        self.entries: dict[str, PbxEntry] = {name: PbxEntry() for name in fleet.names}

    async def refresh(self, family: str) -> None:
        read = FAMILIES[family].read

        async def one(name: str, client: Any) -> tuple[Any, float]:
            started = time.perf_counter()
            value = await read(client, self.thresholds_for(name))
            return value, time.perf_counter() - started

        for result in await self.fleet.run(one):
            entry = self.entries[result.pbx]
            if result.ok and result.value is not None:
                value, took = result.value
                entry.values[family] = value
                if family == "status":
                    entry.up, entry.duration, entry.error = True, took, None
            elif family == "status":
                entry.up, entry.error = False, str(result.error)
                entry.values.clear()  # a PBX that is down reports nothing stale
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
