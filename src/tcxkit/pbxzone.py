"""The PBX's time zone, learnt from the PBX: for faces that show its times as its users do.

XAPI answers every date-time in UTC; the zone the PBX runs in is configured under Office
Hours (``GET /OfficeHours`` -> ``TimeZoneId``), an ``Id`` of ``GET /Defs/TimeZones``,
whose rows carry the ``IanaName`` beside the ``WindowsName`` and display ``Name``
(docs/events.md, docs/exports.md, docs/mcp.md).  A ``TimeZoneId`` that is an IANA name
itself is taken as it is; otherwise the row is looked for by ``Id``, then by
``WindowsName``, then by ``Name`` (a PBX that stores one of those still has a zone).

This is the one lookup every face uses (events, exports, updates, the MCP server).
:func:`zone_steps` is an I/O-free generator: it yields ``(action, params)``, the caller
runs each with whatever client it has and sends back the raw answer, and it returns a
:class:`PbxZone` -- the zone and how it was learnt.  :func:`learn_zone` and
:func:`learn_zone_async` drive it with a call function.  A zone that cannot be learnt is
refused (:class:`ZoneUnknownError`, with the reason and the face's fix) -- never replaced
by UTC or the host's zone in silence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UsageError
from .odata import F
from .results import rows_of

__all__ = [
    "PbxZone",
    "ZoneSteps",
    "ZoneUnknownError",
    "learn_zone",
    "learn_zone_async",
    "named_zone",
    "zone_steps",
]

#: The ``Defs/TimeZones`` fields a ``TimeZoneId`` is matched against, in this order.
MATCHED_BY = ("Id", "WindowsName", "Name")


@dataclass(frozen=True)
class PbxZone:
    """The zone, its IANA name, how it was learnt and the actions asked (in order), so a
    face can say where a time's offset comes from."""

    zone: tzinfo
    name: str
    source: str
    used: tuple[str, ...]


class ZoneUnknownError(UsageError, title="unknown time zone"):
    """The PBX's zone could not be learnt; ``why`` is the reason alone, for faces that
    word the refusal themselves."""

    def __init__(self, why: str, *, hint: str | None = None) -> None:
        super().__init__(f"The PBX's time zone could not be learnt: {why}.", hint=hint)
        self.why = why


#: A lookup: yields ``(action, params)``, is sent each answer, returns the zone.
ZoneSteps = Generator[tuple[str, dict[str, Any]], Any, PbxZone]


def named_zone(name: str, where: str, fix: str) -> tzinfo:
    """The IANA zone ``name``; refused (:class:`~tcxkit.errors.UsageError`) with ``fix``."""
    zone = _iana(name, strict=False)
    if zone is None:
        raise UsageError(f"Unknown time zone {name!r} (from {where}).", hint=fix)
    return zone


#: Files of the zone database that name no place: the host's own zone (``localtime``,
#: ``posixrules``), the "not set" placeholder (``Factory``, shown ``-00``), and the
#: ``right/`` zones (which count leap seconds, so every time would be ~30 s off).  A
#: name that loads one of them would put the host's zone, or a wrong one, in silence.
_NO_PLACE = ("localtime", "posixrules", "factory")


def _iana(name: str, *, strict: bool = True) -> ZoneInfo | None:
    """``name`` as a zone; ``strict`` takes only what looks like an IANA name (``Area/City``,
    ``UTC``, ``GMT``), so a Windows name or a row id is looked up instead."""
    if not name or (strict and "/" not in name and name not in ("UTC", "GMT")):
        return None
    lowered = name.lower()
    if lowered in _NO_PLACE or lowered.startswith("right/"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone_steps(fix: str) -> ZoneSteps:
    """The PBX's zone (module docstring); ``fix`` is the hint of the refusal (how this face
    lets its user name the zone instead)."""
    office = yield ("GetOfficeHours", {"select": ["TimeZoneId"]})
    zone_id = str((office if isinstance(office, dict) else {}).get("TimeZoneId") or "").strip()
    if not zone_id:
        raise ZoneUnknownError("the PBX's OfficeHours has no TimeZoneId", hint=fix)
    said = f"OfficeHours.TimeZoneId {zone_id!r}"
    direct = _iana(zone_id)
    if direct is not None:
        return PbxZone(direct, zone_id, said, ("GetOfficeHours",))
    unusable: str | None = None
    for field in MATCHED_BY:
        answer = yield ("ListTimeZones", {"filter": getattr(F, field) == zone_id, "top": 1})
        for row in rows_of(answer):
            iana = str(row.get("IanaName") or "") if isinstance(row, dict) else ""
            zone = _iana(iana, strict=False)
            if zone is not None:
                shown = row.get("Name") or iana
                where = f"{said} = Defs/TimeZones {field} ({shown})"
                return PbxZone(zone, iana, where, ("GetOfficeHours", "ListTimeZones"))
            unusable = iana if unusable is None else unusable
    why = f"TimeZoneId {zone_id!r} matches no zone of Defs/TimeZones"
    if unusable is not None:
        why = (
            f"TimeZoneId {zone_id!r} is a Defs/TimeZones row whose IanaName {unusable!r} "
            "is no known zone"
        )
    raise ZoneUnknownError(why, hint=fix)


def learn_zone(call: Callable[[str, dict[str, Any]], Any], fix: str) -> PbxZone:
    """:func:`zone_steps` run with ``call(action, params)`` (whatever it raises, passes)."""
    steps = zone_steps(fix)
    answer: Any = None
    try:
        while True:
            action, params = steps.send(answer)
            answer = call(action, params)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def learn_zone_async(
    call: Callable[[str, dict[str, Any]], Awaitable[Any]], fix: str
) -> PbxZone:
    """The same with an awaitable ``call`` (an :class:`~tcxkit.AsyncClient`'s)."""
    steps = zone_steps(fix)
    answer: Any = None
    try:
        while True:
            action, params = steps.send(answer)
            answer = await call(action, params)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
