"""``3cx exporter``'s cache backs a down PBX off: an emulated PBX that stops is
``threecx_up 0`` with nothing else reported, is not read again by any family until its
back-off (one status interval, doubling per failure, bounded) has passed, and is back at
``up 1`` with its values on the first read after it answers again.  The cache's clock is
the test's, so no test waits for an interval."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from prometheus_client.core import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.exporter.cache import BACKOFF_CAP, Cache
from tcxkit.exporter.families import DEFAULT_INTERVALS, FAMILIES
from tcxkit.exporter.metrics import FleetCollector
from tcxkit.fleet import Fleet, PbxTarget, SecretRef

CONFIG = EmulatorConfig(client_id="backoff", client_secret="backoff-secret-123", data="demo")


def _scrape(cache: Cache) -> dict[str, float]:
    """Every sample of the PBX "solo" as ``name{labels}`` -> value."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(cache))
    text = generate_latest(registry).decode()
    return {
        f"{s.name}{sorted((k, v) for k, v in s.labels.items() if k != 'pbx')}": s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.labels.get("pbx") == "solo"
    }


@contextmanager
def _counting(port: int) -> Iterator[list[int]]:
    """The stopped PBX's port, held by a listener that closes every connection at once
    and counts them: how often anything still tries to read that PBX."""
    server = socket.create_server(("127.0.0.1", port))
    count = [0]

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return  # closed: the PBX is coming back
            count[0] += 1
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield count
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux)
        server.close()
        thread.join(5)


def test_a_pbx_that_stops_is_backed_off_then_comes_back() -> None:
    now = [1000.0]
    with ExitStack() as first:
        emu = first.enter_context(running(CONFIG))
        port = int(emu.url.rsplit(":", 1)[1])
        target = PbxTarget("solo", emu.url, CONFIG.client_id, SecretRef("env", "UNUSED"))
        fleet = Fleet([target], secrets=lambda _t: CONFIG.client_secret, timeout=5, retries=0)
        cache = Cache(fleet, dict(DEFAULT_INTERVALS), clock=lambda: now[0])

        async def scenario(stop: Any) -> None:
            async with fleet:
                await cache.refresh_all()
                entry = cache.entries["solo"]
                assert entry.up and set(entry.values) == set(FAMILIES)
                assert _scrape(cache)["threecx_up[]"] == 1.0
                stop()  # the PBX stops answering
                with _counting(port) as tries:
                    await _while_down(cache, entry, now, tries)
                with running(CONFIG, port=port):  # the PBX answers again, same address
                    now[0] += 1
                    await cache.refresh_all()
                    assert (entry.up, entry.failures, entry.backoff) == (True, 0, 0.0)
                    assert set(entry.values) == set(FAMILIES)
                    back = _scrape(cache)
                    assert back["threecx_up[]"] == 1.0
                    assert back["threecx_down_backoff_seconds[]"] == 0.0
                    assert back["threecx_extensions_total[]"] > 0

        asyncio.run(scenario(first.close))


async def _while_down(cache: Cache, entry: Any, now: list[float], tries: list[int]) -> None:
    """The stopped PBX: read once and found down, then left alone until its back-off ends."""
    await cache.refresh("status")
    assert (entry.up, entry.failures, entry.backoff) == (False, 1, 30.0)
    assert entry.values == {} and entry.error
    assert _scrape(cache) == {
        "threecx_up[]": 0.0,
        "threecx_scrape_duration_seconds[]": entry.duration,
        "threecx_down_backoff_seconds[]": 30.0,
    }  # nothing stale: only that it is down, and for how long it is left alone
    first = tries[0]
    assert first >= 1
    for family in FAMILIES:  # within the back-off: no family asks it
        await cache.refresh(family)
    assert (tries[0], entry.failures) == (first, 1)
    now[0] += 30  # the back-off has passed: one status read (which fails), nothing else
    for family in FAMILIES:
        await cache.refresh(family)
    assert (entry.failures, entry.backoff, entry.retry_at) == (2, 60.0, 1090.0)
    second = tries[0]
    assert second > first
    now[0] += 59
    await cache.refresh("status")
    assert (tries[0], entry.failures) == (second, 2)  # still backed off: not asked
    assert [cache.backoff_after(n) for n in (3, 4, 5, 6, 40)] == [
        120.0, 240.0, 480.0, BACKOFF_CAP, BACKOFF_CAP
    ]  # fmt: skip
