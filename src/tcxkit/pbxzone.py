"""The PBX's time zone, learnt from the PBX: for faces that show its times as its users do.

XAPI answers every date-time in UTC; the zone the PBX runs in is configured under Office
Hours (``GET /OfficeHours`` -> ``TimeZoneId``), an ``Id`` of ``GET /Defs/TimeZones``,
whose rows carry the ``IanaName`` (docs/events.md, docs/exports.md).  :func:`zone_steps`
is that lookup as an I/O-free generator: it yields ``(action, params)``, the caller runs
each with whatever client it has (sync, async, or the MCP server's audited toolbox) and
sends back the raw result, and it returns the zone.  A zone that cannot be learnt is
refused with the fix -- never replaced by UTC or the host's zone in silence.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UsageError
from .odata import F
from .results import rows_of

__all__ = ["ZoneSteps", "named_zone", "zone_steps"]

#: A lookup: yields ``(action, params)``, is sent each answer, returns (zone, its name).
ZoneSteps = Generator[tuple[str, dict[str, Any]], Any, tuple[tzinfo, str]]


def named_zone(name: str, where: str, fix: str) -> tzinfo:
    """The IANA zone ``name``; refused (:class:`~tcxkit.errors.UsageError`) with ``fix``."""
    try:
        if name:
            return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    raise UsageError(f"Unknown time zone {name!r} (from {where}).", hint=fix)


def zone_steps(fix: str) -> ZoneSteps:
    """The PBX's zone: ``OfficeHours.TimeZoneId`` when it is an IANA name, else that
    ``Defs/TimeZones`` row's ``IanaName``.  ``fix`` is the hint of the refusal (how this
    face lets its user name the zone instead)."""
    office = yield ("GetOfficeHours", {"select": ["TimeZoneId"]})
    name = str((office if isinstance(office, dict) else {}).get("TimeZoneId") or "").strip()
    if name and "/" not in name and name not in ("UTC", "GMT"):
        found = rows_of((yield ("ListTimeZones", {"filter": F.Id == name, "top": 1})))
        name = str((found[0] if found else {}).get("IanaName") or name)  # else: say which
    return named_zone(name, "the PBX's OfficeHours.TimeZoneId", fix), name
