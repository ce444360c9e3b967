"""Serve ``/metrics``: fill the cache once, listen, then keep each family fresh.

The first scrape already has every PBX (the cache is filled before the socket is
announced), the HTTP server is ``prometheus-client``'s own (a daemon thread), and the
reads run on the exporter's one event loop, entered through the fleet's sync bridge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import netaddr
from ..errors import UsageError
from ..urls import is_loopback

if TYPE_CHECKING:
    from ..fleet import Fleet

__all__ = ["parse_listen", "serve"]


def parse_listen(text: str, allow_remote: bool = False) -> tuple[str, int]:
    """``--listen [HOST:]PORT`` (:func:`tcxkit.netaddr.parse_listen`, host 127.0.0.1); a
    non-loopback host needs ``allow_remote``."""
    host, port = netaddr.parse_listen(text, "--listen", 9464)
    if not is_loopback(host) and not allow_remote:
        raise UsageError(
            f"--listen {host}: other machines could read your fleet's metrics.",
            hint="Add --allow-remote to listen there (and firewall it), or use 127.0.0.1.",
        )
    return host, port


def serve(
    fleet: Fleet,
    host: str,
    port: int,
    intervals: dict[str, float],
    announce: Callable[[str, int], None],
    tags: dict[str, list[str]] | None = None,
    thresholds_for: Callable[[str], dict[str, dict[str, float]]] | None = None,
) -> None:
    """Run until interrupted (Ctrl-C); ``announce(host, port)`` once scrapes can start;
    ``tags`` (each PBX's) become a ``tags`` label on every series; ``thresholds_for(pbx)``
    gives the health checks' thresholds (the defaults when None)."""
    from prometheus_client import CollectorRegistry, start_http_server

    from ..fleet.bridge import run_sync
    from .cache import Cache
    from .metrics import FleetCollector

    cache = Cache(fleet, intervals, thresholds_for)

    async def main() -> None:
        async with fleet:
            await cache.refresh_all()
            registry = CollectorRegistry(auto_describe=False)
            registry.register(FleetCollector(cache, tags))
            server, _thread = start_http_server(port, addr=host, registry=registry)
            try:
                announce(host, server.server_port)
                await cache.keep_fresh()
            finally:
                server.shutdown()
                server.server_close()

    run_sync(main)
