"""What the exporter reads, family by family, each with its own refresh interval.

A family is one cheap read (or a few) that several metrics share: ``status``
(``GetSystemStatus``: up, licence, maintenance, extensions, calls, last backup, version)
every 30 s by default, ``trunks`` every 60 s, ``queues`` (``ListQueue`` and the active
calls waiting in them) every 15 s, ``certificate`` hourly and ``health`` (every check of
:mod:`tcxkit.health`) every 5 minutes.  Prometheus may scrape as often as it likes: a
scrape reads the cache and never reaches a PBX.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["DEFAULT_INTERVALS", "FAMILIES", "Family", "parse_intervals"]


#: What a read is given besides its client: the PBX's health thresholds.
Limits = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Family:
    name: str
    read: Callable[[AsyncClient, Limits], Awaitable[Any]]


_STATUS_FIELDS = [
    "Version", "ExpirationDate", "MaintenanceExpiresAt", "LastBackupDateTime",
    "ExtensionsRegistered", "ExtensionsTotal", "CallsActive", "LicenseActive",
]  # fmt: skip


async def _status(client: AsyncClient, _limits: Limits) -> Any:
    status = await client.call("GetSystemStatus", select=_STATUS_FIELDS)
    return {**status, "release": await client.release()}


async def _trunks(client: AsyncClient, _limits: Limits) -> Any:
    return [t async for t in client.paginate("ListTrunk", select=["Id", "Number", "IsOnline",
                                                                  "Gateway"])]  # fmt: skip


async def _queues(client: AsyncClient, _limits: Limits) -> Any:
    """Each queue and the calls waiting in it: active calls to the queue not yet talking."""
    queues = [q async for q in client.paginate("ListQueue", select=["Number", "Name"])]
    calls = [c async for c in client.paginate("ListActiveCall", select=["Callee", "Status"])]
    waiting = {str(q.get("Number")): 0 for q in queues}
    for call in calls:
        callee = str(call.get("Callee") or "").split(" ", 1)[0]
        if callee in waiting and call.get("Status") != "Talking":
            waiting[callee] += 1
    return [(q.get("Name") or q.get("Number"), waiting[str(q.get("Number"))]) for q in queues]


async def _certificate(client: AsyncClient, _limits: Limits) -> Any:
    from ..health.checks_security import certificate_not_after

    cert = (await client.call("GetSecureSipSettings")).get("Certificate") or {}
    contents = cert.get("Contents")
    if isinstance(contents, str) and "BEGIN CERTIFICATE" in contents:
        found = certificate_not_after(contents)
        return found.timestamp() if found else None
    return None


async def _health(client: AsyncClient, limits: Limits) -> Any:
    """Every check, with the PBX's thresholds (config.toml and inventory, per tag)."""
    from ..health import check_pbx, select_checks

    found = await check_pbx("", client, select_checks(), limits, datetime.now(UTC))
    return [(r.check, r.status) for r in found.results]


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("status", _status),
        Family("trunks", _trunks),
        Family("queues", _queues),
        Family("certificate", _certificate),
        Family("health", _health),
    )
}

#: Seconds between two reads of a family, by default.
DEFAULT_INTERVALS: dict[str, float] = {
    "status": 30, "trunks": 60, "queues": 15, "certificate": 3600, "health": 300,
}  # fmt: skip


def parse_intervals(text: str | None) -> dict[str, float]:
    """``status=15,health=600`` over the defaults; unknown families or bad numbers refused."""
    out = dict(DEFAULT_INTERVALS)
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in FAMILIES:
            raise UsageError(
                f"--intervals: no metric family {name!r}.",
                hint="Families: " + ", ".join(f"{k}={v:g}" for k, v in DEFAULT_INTERVALS.items()),
            )
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1
        if not 1 <= seconds <= 86400:
            raise UsageError(
                f"--intervals: {name}={value!r} is not a number of seconds (1..86400).",
                hint=f"e.g. {name}={DEFAULT_INTERVALS[name]:g}",
            )
        out[name] = seconds
    return out
