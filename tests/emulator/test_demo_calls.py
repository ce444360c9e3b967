"""Call generation: named segment records become coherent rows in time order."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from tcxkit.emulator.demo import CallPlan, _Segment, generate_calls


def test_generated_segments_are_coherent_rows_in_time_order() -> None:
    plan = CallPlan(
        [(str(100 + i), f"Ext {i}") for i in range(5)],
        [("800", "Sales", ["100", "101"])],
        [("10000", "Trunk")],
    )
    plan.names = {"100": "Ext 0", "800": "Sales"}
    rows = generate_calls(
        plan,
        400,
        start=datetime(2025, 1, 1, tzinfo=UTC),
        end=datetime(2025, 1, 15, tzinfo=UTC),
        rng=random.Random(3),
        first_segment=10,
    )
    assert [r["SegmentId"] for r in rows] == list(range(10, 410))
    firsts = [r["StartTime"] for r in rows if r["Indent"] == 0]
    assert firsts == sorted(firsts)
    assert {r["Direction"] for r in rows} == {"Inbound", "Outbound", "Internal"}
    for r in rows:
        assert (r["SrcDn"], r["DstDn"]) == (r["SourceDn"], r["DestinationDn"])
        assert r["SrcExternal"] == (r["SourceType"] == 5) != r["SrcInternal"]
        assert r["Status"] == ("Answered" if r["Answered"] else "Unanswered")
        assert r["SegmentEndTime"] >= r["SegmentStartTime"]
    taken = [r for r in rows if r["Indent"] == 1]
    assert taken and all(
        r["actionDnDn"] == "800" and r["ActionDnType"] == 1 and r["DestinationDn"] in {"100", "101"}
        for r in taken
    )
    assert {r["DestinationDisplayName"] for r in taken} <= {"Ext 0", "101"}
    assert "destination_caller" in _Segment._fields
