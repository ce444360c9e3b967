"""The cache as Prometheus metric families (a custom collector of ``prometheus-client``).

Names follow Prometheus conventions: a ``threecx_`` prefix, base units (seconds,
Unix timestamps), ``_total`` only for counters (``threecx_extensions_total`` is the
issue's name for a gauge: the number of extensions, kept as asked), labels for what
varies within a PBX (``trunk``, ``queue``, ``check``) and ``pbx`` on every series.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from ..health.registry import parse_time

if TYPE_CHECKING:
    from .cache import Cache

__all__ = ["CHECK_VALUES", "FleetCollector"]

#: ``threecx_health_check_status``: 0 pass, 1 warn (or could not read), 2 fail -- the
#: same order as ``3cx health``'s exit codes.
CHECK_VALUES = {"pass": 0, "warn": 1, "unknown": 1, "fail": 2}


def _timestamp(text: Any) -> float | None:
    """An XAPI date-time as Unix time, read as the health checks read it."""
    when = parse_time(text)
    return when.timestamp() if when else None


class FleetCollector(Collector):
    """Collects from :class:`.cache.Cache` at each scrape (no PBX is asked).

    ``tags`` (``--tag-labels``): each PBX's inventory tags, given to every series as a
    ``tags`` label in the ``,eu,emulated,`` form (match one with ``tags=~".*,eu,.*"``).
    """

    def __init__(self, cache: Cache, tags: dict[str, list[str]] | None = None):
        self.cache = cache
        self.tags = tags
        self.base = ["pbx", "tags"] if tags is not None else ["pbx"]

    def _ids(self, pbx: str) -> list[str]:
        if self.tags is None:
            return [pbx]
        return [pbx, "," + ",".join(sorted(self.tags.get(pbx, []))) + ","]

    def collect(self) -> Iterator[Any]:
        base = self.base

        def _gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=[*base, *labels])

        g = {
            "up": _gauge("threecx_up", "1 when the PBX answered its last status read."),
            "duration": _gauge(
                "threecx_scrape_duration_seconds", "Seconds the last status read took."
            ),
            "backoff": _gauge(
                "threecx_down_backoff_seconds",
                "Seconds a down PBX is left alone before its status is read again (0 up).",
            ),
            "licence": _gauge("threecx_license_expiry_timestamp_seconds",
                              "When the licence expires (Unix time)."),
            "maint": _gauge("threecx_maintenance_expiry_timestamp_seconds",
                            "When the maintenance (updates) expires (Unix time)."),
            "backup": _gauge("threecx_backup_last_success_timestamp_seconds",
                             "When the newest backup was made (Unix time)."),
            "ext_reg": _gauge("threecx_extensions_registered", "Extensions registered now."),
            "ext_total": _gauge("threecx_extensions_total", "Extensions configured."),
            "calls": _gauge("threecx_active_calls", "Calls in progress."),
            "trunk": _gauge("threecx_trunk_registered", "1 when the trunk is registered.",
                            ("trunk",)),
            "queue": _gauge("threecx_queue_calls_waiting", "Calls waiting in the queue.",
                            ("queue",)),
            "cert": _gauge("threecx_certificate_expiry_timestamp_seconds",
                           "When the PBX's TLS certificate expires (Unix time)."),
            "check": _gauge("threecx_health_check_status",
                            "Health check: 0 pass, 1 warn or unreadable, 2 fail.", ("check",)),
        }  # fmt: skip
        info = InfoMetricFamily("threecx", "The PBX's version and XAPI release.",
                                labels=base)  # fmt: skip
        for pbx, entry in self.cache.entries.items():
            ids = self._ids(pbx)
            g["up"].add_metric(ids, 1 if entry.up else 0)
            g["duration"].add_metric(ids, entry.duration)
            g["backoff"].add_metric(ids, entry.backoff)
            if entry.up:
                self._pbx(ids, entry.values, g, info)
        yield from g.values()
        yield info

    @staticmethod
    def _pbx(ids: list[str], v: dict[str, Any], g: dict[str, GaugeMetricFamily], info: Any) -> None:
        status = v.get("status") or {}
        for key, field in (("licence", "ExpirationDate"), ("maint", "MaintenanceExpiresAt"),
                           ("backup", "LastBackupDateTime")):  # fmt: skip
            when = _timestamp(status.get(field))
            if when is not None:
                g[key].add_metric(ids, when)
        for key, field in (("ext_reg", "ExtensionsRegistered"), ("ext_total", "ExtensionsTotal"),
                           ("calls", "CallsActive")):  # fmt: skip
            if isinstance(status.get(field), int):
                g[key].add_metric(ids, status[field])
        if status:
            info.add_metric(
                ids, {"version": str(status.get("Version")), "release": str(status["release"])}
            )
        for trunk in v.get("trunks") or []:
            name = str((trunk.get("Gateway") or {}).get("Name") or trunk.get("Number"))
            g["trunk"].add_metric([*ids, name], 1 if trunk.get("IsOnline") else 0)
        for queue, waiting in v.get("queues") or []:
            g["queue"].add_metric([*ids, str(queue)], waiting)
        if v.get("certificate") is not None:
            g["cert"].add_metric(ids, v["certificate"])
        for check, state in v.get("health") or []:
            g["check"].add_metric([*ids, check], CHECK_VALUES[state])
