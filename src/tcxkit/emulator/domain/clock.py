"""The PBX's time zone and clock: ``OfficeHours.TimeZoneId`` and ``Defs/TimeZones``.

A 3CX PBX keeps its time zone with the office hours (admin console: Office Hours →
Time zone); XAPI shows it as ``GET /OfficeHours`` → ``TimeZoneId``, an ``Id`` of the
``GET /Defs/TimeZones`` list, whose rows also carry the ``IanaName`` and
``WindowsName``.  Clients that need "today" or "yesterday" as the PBX's users mean
them read those two (see :mod:`tcxkit.mcp.tasks`).

The emulated PBX's zone is ``EmulatorConfig(options={"time_zone": "Pacific/Honolulu"})``
(``--time-zone`` on the command line), default ``Europe/London`` (the demo company is
in the UK).  ``options={"now": "2026-03-10T03:00:00Z"}`` fixes the clock the demo's
scripted calls are placed by, so a test can put them on a known day.  A zone that is
not an IANA name is refused at start-up, never silently replaced by UTC.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..registry import Reply, RequestContext, handler, on_start
from .common import now, query_rows, to_datetime

if TYPE_CHECKING:
    from ..config import EmulatorConfig
    from ..state import AppState

__all__ = ["DEFAULT_TIME_ZONE", "local_midnight", "pbx_now", "pbx_zone", "time_zones"]

DEFAULT_TIME_ZONE = "Europe/London"

#: A part of the PBX's zone list, (Id, IANA name, Windows name, display name), kept as data
#: in zones.json (its "about" says where the values come from).
_ZONES: tuple[tuple[str, str, str, str], ...] = tuple(
    tuple(zone)
    for zone in json.loads((Path(__file__).with_name("zones.json")).read_text())["zones"]
)


def _zone_name(config: EmulatorConfig) -> str:
    return str(config.options.get("time_zone") or DEFAULT_TIME_ZONE)


def pbx_zone(config: EmulatorConfig) -> ZoneInfo:
    """The emulated PBX's time zone (a configuration error if it is no IANA zone)."""
    name = _zone_name(config)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from ...errors import ConfigurationError

        raise ConfigurationError(
            f"Unknown time zone {name!r} for the emulated PBX.",
            hint="Give an IANA zone name, e.g. Europe/London, Pacific/Honolulu or UTC.",
        ) from None


def pbx_now(config: EmulatorConfig) -> datetime:
    """The emulator's "now" in UTC: ``options["now"]`` when set (tests), else the clock."""
    fixed = config.options.get("now")
    if not fixed:
        return now()
    try:
        return to_datetime(fixed)
    except ValueError:
        from ...errors import ConfigurationError

        raise ConfigurationError(
            f"options['now'] is not a date-time: {fixed!r}.",
            hint="Give an ISO 8601 date-time with an offset, e.g. 2026-03-10T03:00:00Z.",
        ) from None


def time_zones(config: EmulatorConfig) -> list[dict[str, Any]]:
    """The ``Defs/TimeZones`` rows, the configured zone among them."""
    rows = [
        {"Id": i, "IanaName": iana, "WindowsName": win, "Name": name}
        for i, iana, win, name in _ZONES
    ]
    wanted = _zone_name(config)
    if all(r["IanaName"] != wanted for r in rows):
        rows.append(
            {"Id": str(len(rows) + 1), "IanaName": wanted, "WindowsName": "", "Name": wanted}
        )
    return rows


@on_start
def _office_hours_zone(state: AppState) -> None:
    """Put the configured zone into ``OfficeHours.TimeZoneId``.

    A stored database keeps a zone set by ``UpdateOfficeHours`` unless a zone is
    configured explicitly; a first start always writes it.
    """
    pbx_zone(state.config)  # fail at start-up on a bad zone
    pbx_now(state.config)
    if "OfficeHours" not in state.singletons:
        return
    rows = time_zones(state.config)
    office = state.singleton("OfficeHours")
    known = {r["Id"] for r in rows}
    if "time_zone" in state.config.options or office.get("TimeZoneId") not in known:
        zone_id = next(r["Id"] for r in rows if r["IanaName"] == _zone_name(state.config))
        state.set_singleton("OfficeHours", {**office, "TimeZoneId": zone_id})


@handler("ListTimeZones")
def list_time_zones(ctx: RequestContext) -> Reply:
    return query_rows(ctx, time_zones(ctx.config), "Pbx.TimeZone")


def local_midnight(config: EmulatorConfig, days_ago: int) -> datetime:
    """Midnight (PBX zone) ``days_ago`` days before the emulator's today, as an aware time."""
    zone = pbx_zone(config)
    today = pbx_now(config).astimezone(zone).date() - timedelta(days=days_ago)
    return datetime(today.year, today.month, today.day, tzinfo=zone)
