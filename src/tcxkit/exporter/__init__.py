"""``3cx exporter``: the fleet as Prometheus metrics (extra ``exporter``; docs/health.md).

:mod:`.families` are the reads and their intervals, :mod:`.cache` keeps each PBX's last
answers fresh on the exporter's one event loop, :mod:`.metrics` turns them into metric
families at each scrape and :mod:`.server` serves ``/metrics`` with the official
``prometheus-client``.
"""

from __future__ import annotations

__all__: list[str] = []
