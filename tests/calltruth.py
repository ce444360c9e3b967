"""The ground truth of an export: which calls and legs the emulator's own table holds.

Read straight from the emulator's database, not through XAPI, so an export (the CLI's, the
Airflow operator's) is compared with what the PBX really has (tests/exports, tests/airflow).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

__all__ = ["truth", "truth_legs"]


def truth(emu: Any, start: datetime, end: datetime) -> dict[int, list[int]]:
    """Straight from the emulator's table: each call begun in [start, end) (its Indent-0
    leg) with every one of its legs' SegmentIds, wherever they fall."""
    table = emu.state.extra["call_log"].table
    rows = emu.state.store.execute(
        "SELECT json_extract(data, '$.CallId'), json_extract(data, '$.SegmentId'), "
        f"json_extract(data, '$.StartTime'), json_extract(data, '$.Indent') FROM \"{table}\""
    )
    legs: dict[int, list[int]] = defaultdict(list)
    begun: set[int] = set()
    lo, hi = _z(start), _z(end)
    for call, seg, at, indent in rows:
        legs[call].append(seg)
        if indent == 0 and lo <= at < hi:
            begun.add(call)
    return {c: sorted(legs[c]) for c in begun}


def truth_legs(emu: Any, start: datetime, end: datetime) -> list[int]:
    table = emu.state.extra["call_log"].table
    rows = emu.state.store.execute(
        f"SELECT json_extract(data, '$.SegmentId') FROM \"{table}\" "
        "WHERE json_extract(data, '$.StartTime') >= ? AND json_extract(data, '$.StartTime') < ?",
        (_z(start), _z(end)),
    )
    return sorted(r[0] for r in rows)


def _z(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
