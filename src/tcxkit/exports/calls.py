"""Legs stitched into logical calls: who rang, who answered, queue, overflow, transfers.

3CX logs one call as several legs sharing a ``CallId``.  The rules (docs/exports.md):

* the call starts with its first leg (``Indent`` 0); its ``direction``, caller and the
  number first rung come from that leg;
* **answered** when any leg to a person or an outside line was answered; otherwise
  **missed** (a queue call the second agent took after the first did not pick up is
  answered);
* ``answered_by``: the first such answered leg's destination;
* ``queue``: the first queue or ring group leg; ``overflow``: a second queue or ring
  group the call went on to (the first timed out);
* a **transfer** is a leg whose acted-on DN (``action_dn``) is an extension that answered
  an earlier leg of the call: that person passed the call on; ``transferred_to`` lists
  the targets in order;
* times: ``start`` is the first leg's start, ``end`` the latest leg end (start + ring +
  talk); ``wait_seconds`` is the time until answered (until the end when missed),
  ``talk_seconds`` the talk of the answered person legs.

Pure functions: the same legs give the same call, whatever order they came in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from .legs import local_text, parse_utc, utc_text

__all__ = ["CALL_COLUMNS", "build_call", "leg_end"]

_GROUPS = ("Queue", "RingGroup")

#: A logical call's columns, in order (the CSV header and SQL table; ``legs`` last).
CALL_COLUMNS: tuple[str, ...] = (
    "call_id", "start_utc", "end_utc", "start_local", "time_zone", "direction", "status",
    "caller_number", "caller_dn", "caller_name", "called_number", "called_dn", "called_name",
    "answered_by_dn", "answered_by_name", "queue_dn", "queue_type", "queue_name",
    "overflow_dn", "overflow_type", "transfers", "transferred_to", "wait_seconds",
    "talk_seconds", "duration_seconds", "legs_count", "recording_ids", "legs",
)  # fmt: skip


def _order(leg: dict[str, Any]) -> tuple[str, int, int]:
    return (leg["start_utc"], leg["indent"], leg["segment_id"] or 0)


def _number(leg: dict[str, Any], side: str) -> str:
    """The number of one side: the caller id of an outside party, else the DN."""
    if leg[f"{side}_type"] == "ExternalLine":
        return leg[f"{side}_caller_id"] or leg[f"{side}_dn"]
    return leg[f"{side}_dn"] or leg[f"{side}_caller_id"]


def leg_end(leg: dict[str, Any]) -> float:
    """When a leg ended, as epoch seconds (start + ring + talk)."""
    return parse_utc(leg["start_utc"]).timestamp() + leg["ring_seconds"] + leg["talk_seconds"]


def build_call(
    legs: list[dict[str, Any]], zone: tzinfo, zone_name: str, end: float | None = None
) -> dict[str, Any]:
    """The logical call of ``legs`` (every leg of one ``CallId``), legs nested in order;
    ``end`` (epoch seconds) when the caller knows it already."""
    legs = sorted(legs, key=_order)
    first = next((leg for leg in legs if leg["indent"] == 0), legs[0])
    start = parse_utc(first["start_utc"])
    end_at = max(map(leg_end, legs)) if end is None else end
    end: datetime = datetime.fromtimestamp(end_at, UTC)
    people = [leg for leg in legs if leg["destination_type"] not in _GROUPS]
    taker = next((leg for leg in people if leg["answered"]), None)
    groups = [leg for leg in legs if leg["destination_type"] in _GROUPS]
    answered_dns: set[str] = set()
    transferred_to: list[str] = []
    for leg in legs:
        if leg["action_type"] == "Extension" and leg["action_dn"] in answered_dns:
            transferred_to.append(leg["destination_dn"])
        if leg["answered"] and leg["destination_type"] == "Extension":
            answered_dns.add(leg["destination_dn"])
    if taker is not None:
        answered_at = parse_utc(taker["start_utc"]) + timedelta(seconds=taker["ring_seconds"])
        wait = (answered_at - start).total_seconds()
    else:
        wait = (end - start).total_seconds()
    recordings = sorted({r for leg in legs for r in leg["recording_ids"]})
    return {
        "call_id": first["call_id"],
        "start_utc": utc_text(start),
        "end_utc": utc_text(end),
        "start_local": local_text(start, zone),
        "time_zone": zone_name,
        "direction": first["direction"],
        "status": "answered" if taker is not None else "missed",
        "caller_number": _number(first, "source"),
        "caller_dn": first["source_dn"],
        "caller_name": first["source_name"],
        "called_number": _number(first, "destination"),
        "called_dn": first["destination_dn"],
        "called_name": first["destination_name"],
        "answered_by_dn": taker["destination_dn"] if taker else "",
        "answered_by_name": taker["destination_name"] if taker else "",
        "queue_dn": groups[0]["destination_dn"] if groups else "",
        "queue_type": groups[0]["destination_type"] if groups else "",
        "queue_name": groups[0]["destination_name"] if groups else "",
        "overflow_dn": groups[1]["destination_dn"] if len(groups) > 1 else "",
        "overflow_type": groups[1]["destination_type"] if len(groups) > 1 else "",
        "transfers": len(transferred_to),
        "transferred_to": transferred_to,
        "wait_seconds": max(0.0, wait),
        "talk_seconds": sum((leg["talk_seconds"] for leg in people if leg["answered"]), 0.0),
        "duration_seconds": (end - start).total_seconds(),
        "legs_count": len(legs),
        "recording_ids": recordings,
        "legs": legs,
    }
