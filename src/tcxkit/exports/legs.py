"""Call-log rows (``Pbx.CallLogData``) as export legs: one documented, flat shape.

The PBX's row names differ by view and release (``actionDnDn``, ``SrcRecId``); an export
is read by warehouses for years, so it gets its own stable names (docs/exports.md):
``snake_case``, times as UTC text ending in ``Z``, durations as seconds, DN types as
words.  Only the fields below are asked for (``$select``), which also keeps each window's
answer small.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

__all__ = [
    "DN_TYPES",
    "LEG_COLUMNS",
    "SELECT",
    "leg_of",
    "local_text",
    "parse_seconds",
    "parse_utc",
    "utc_text",
]

#: The fields read from ``GetCallLogData`` for every leg.
SELECT: tuple[str, ...] = (
    "SegmentId", "CallId", "StartTime", "Indent", "Direction", "SourceDn", "SourceType",
    "SourceCallerId", "SourceDisplayName", "DestinationDn", "DestinationType",
    "DestinationCallerId", "DestinationDisplayName", "actionDnDn", "ActionDnType", "Answered",
    "RingingDuration", "TalkingDuration", "Reason", "SrcRecId", "DstRecId", "CallHistoryId",
    "CdrId",
)  # fmt: skip

#: ``SourceType``/``DestinationType``/``ActionDnType`` codes of the call log, as words.
DN_TYPES: dict[int, str] = {
    0: "Extension",
    1: "Queue",
    2: "RingGroup",
    3: "IVR",
    4: "Fax",
    5: "ExternalLine",
    6: "Parking",
}

#: An export leg's columns, in order (the CSV header, the SQL table).
LEG_COLUMNS: tuple[str, ...] = (
    "segment_id", "call_id", "start_utc", "start_local", "indent", "direction",
    "source_dn", "source_type", "source_caller_id", "source_name",
    "destination_dn", "destination_type", "destination_caller_id", "destination_name",
    "action_dn", "action_type", "answered", "ring_seconds", "talk_seconds", "reason",
    "recording_ids", "call_history_id", "cdr_id",
)  # fmt: skip

_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_seconds(value: Any) -> float:
    """An ISO-8601 duration (``PT1M12.5S``) in seconds; 0 for empty or unreadable."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _seconds(value)
    return _seconds(str(value or ""))


@functools.lru_cache(maxsize=8192)
def _seconds(value: str) -> float:
    """Durations repeat (a few thousand distinct ones in a day of calls): read each once."""
    m = _DURATION.match(value.strip())
    if not m:
        return 0.0
    days, hours, minutes, secs = (float(g or 0) for g in m.groups()[1:])
    total = days * 86400 + hours * 3600 + minutes * 60 + secs
    return -total if m.group(1) else total


def parse_utc(value: Any) -> datetime:
    """A PBX date-time (offset or ``Z``, up to 7 fractional digits) as aware UTC."""
    if isinstance(value, str) and len(value) == 20 and value[-1] == "Z":  # the usual form
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return _parse_other(str(value))


def _parse_other(value: str) -> datetime:
    text = value.strip().replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    head, dot, rest = text.partition(".")
    if dot:  # Python reads at most 6 fractional digits
        digits = re.match(r"\d*", rest).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def utc_text(stamp: datetime) -> str:
    """UTC text ending in ``Z`` (microseconds only when there are some)."""
    text = stamp.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def local_text(stamp: datetime, zone: tzinfo) -> str:
    """The same instant in ``zone``, with its offset."""
    return stamp.astimezone(zone).isoformat()


def _dn_type(code: Any) -> str:
    if code is None or code == "":
        return ""
    try:
        return DN_TYPES.get(int(code), str(code))
    except (TypeError, ValueError):
        return str(code)


def _recordings(row: dict[str, Any]) -> list[int]:
    ids = []
    for key in ("SrcRecId", "DstRecId"):
        value = row.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            ids.append(value)
    return sorted(set(ids))


def leg_of(row: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """One call-log row as an export leg (see :data:`LEG_COLUMNS`)."""
    raw = row["StartTime"]
    start = parse_utc(raw)
    usual = isinstance(raw, str) and len(raw) == 20 and raw[-1] == "Z"
    return {
        "segment_id": row.get("SegmentId"),
        "call_id": row.get("CallId"),
        "start_utc": raw if usual else utc_text(start),
        "start_local": local_text(start, zone),
        "indent": int(row.get("Indent") or 0),
        "direction": row.get("Direction") or "",
        "source_dn": row.get("SourceDn") or "",
        "source_type": _dn_type(row.get("SourceType")),
        "source_caller_id": row.get("SourceCallerId") or "",
        "source_name": row.get("SourceDisplayName") or "",
        "destination_dn": row.get("DestinationDn") or "",
        "destination_type": _dn_type(row.get("DestinationType")),
        "destination_caller_id": row.get("DestinationCallerId") or "",
        "destination_name": row.get("DestinationDisplayName") or "",
        "action_dn": row.get("actionDnDn") or "",
        "action_type": _dn_type(row.get("ActionDnType")) if row.get("actionDnDn") else "",
        "answered": bool(row.get("Answered")),
        "ring_seconds": parse_seconds(row.get("RingingDuration")),
        "talk_seconds": parse_seconds(row.get("TalkingDuration")),
        "reason": row.get("Reason") or "",
        "recording_ids": _recordings(row),
        "call_history_id": row.get("CallHistoryId") or "",
        "cdr_id": row.get("CdrId") or "",
    }
