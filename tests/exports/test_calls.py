"""Logical calls as a person reads them: transfers, queue overflow, missed calls -- from
legs planted in the emulator's call log in an empty week of 2021 and exported over HTTP --
and the run's refusals when the PBX's answers cannot be proven whole."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.cli.exitcodes import exit_code_of
from tcxkit.emulator.demo import _Segment, _segment_row
from tcxkit.emulator.domain.calls import store_segments
from tcxkit.errors import IncompleteExportError, UsageError
from tcxkit.exports import ExportSpec, export, export_flow, open_sink
from tcxkit.exports.run import Hint

T0 = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
CALLER = ("10000", 5, "+441134960999")
_PLANTED: dict[str, int] = {}


def _leg(at: int, src: tuple[str, int, str], dst: str, dtype: int, **kw: Any) -> _Segment:
    return _Segment(
        at=T0.timestamp() + at, source=src[0], source_type=src[1], source_caller=src[2],
        destination=dst, destination_type=dtype, destination_caller=dst,
        answered=kw.get("answered", False), ring=kw.get("ring", 10), talk=kw.get("talk", 0),
        direction="Inbound", indent=kw.get("indent", 1), action=kw.get("action", ""),
        action_type=kw.get("action_type", 0),
    )  # fmt: skip


#: call id -> its legs: a queue call transferred, one that overflowed to a ring group and
#: was answered there, one nobody answered, one answered by the second agent rung, and a
#: call that began before the period with a leg inside it.
CALLS: dict[int, list[_Segment]] = {
    9_000_001: [
        _leg(0, CALLER, "800", 1, answered=True, ring=25, talk=120, indent=0, action="104"),
        _leg(0, CALLER, "103", 0, ring=15, action="800", action_type=1),
        _leg(15, CALLER, "104", 0, answered=True, ring=10, talk=60, action="800", action_type=1),
        _leg(85, CALLER, "110", 0, answered=True, ring=5, talk=60, action="104"),
    ],
    9_000_002: [
        _leg(3600, CALLER, "801", 1, ring=90, indent=0),
        _leg(3600, CALLER, "105", 0, ring=15, action="801", action_type=1),
        _leg(3690, CALLER, "850", 2, answered=True, ring=8, talk=40, action="101"),
        _leg(3690, CALLER, "100", 0, ring=8, action="850", action_type=2),
        _leg(3690, CALLER, "101", 0, answered=True, ring=8, talk=40, action="850", action_type=2),
    ],
    9_000_003: [
        _leg(7200, CALLER, "800", 1, ring=95, indent=0),
        _leg(7200, CALLER, "104", 0, ring=20, action="800", action_type=1),
        _leg(7220, CALLER, "108", 0, ring=20, action="800", action_type=1),
    ],
    9_000_004: [
        _leg(9000, CALLER, "800", 1, answered=True, ring=32, talk=245, indent=0, action="108"),
        _leg(9000, CALLER, "104", 0, ring=20, action="800", action_type=1),
        _leg(9020, CALLER, "108", 0, answered=True, ring=12, talk=245, action="800", action_type=1),
    ],
    9_000_005: [
        _leg(-30, CALLER, "102", 0, answered=True, ring=5, talk=300, indent=0),
        _leg(275, CALLER, "106", 0, answered=True, ring=5, talk=30, action="102"),
    ],
}


@pytest.fixture(scope="module")
def planted(centre: Any) -> None:
    if _PLANTED:
        return
    names = {p["Number"]: p["Name"] for p in centre.state.entity_set("Peers").all()}
    rows = []
    seg = 90_000_000
    for call_id, legs in CALLS.items():
        for leg in legs:
            seg += 1
            rows.append(_segment_row(leg, seg, call_id, names))
    store_segments(centre.state, rows)
    _PLANTED["rows"] = len(rows)


def _export(client: Client, **kw: Any) -> list[dict[str, Any]]:
    spec = ExportSpec(T0, T0 + timedelta(days=1), tz="Europe/London", **kw)
    out = io.StringIO()
    sink = open_sink(
        None, fmt="jsonl", legs_only=spec.legs, resume=False, export_key="k", pbx="p", out=out
    )
    export(client, spec, sink)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_logical_calls(planted: None, pbx: Client) -> None:
    calls = {c["call_id"]: c for c in _export(pbx)}
    assert sorted(calls) == [9_000_001, 9_000_002, 9_000_003, 9_000_004]  # not the earlier one
    transferred = calls[9_000_001]
    assert transferred["status"] == "answered" and transferred["answered_by_dn"] == "104"
    assert transferred["queue_dn"] == "800" and transferred["queue_type"] == "Queue"
    assert (transferred["transfers"], transferred["transferred_to"]) == (1, ["110"])
    assert transferred["wait_seconds"] == 25 and transferred["talk_seconds"] == 120
    assert transferred["caller_number"] == "+441134960999" and transferred["direction"] == "Inbound"
    assert [g["destination_dn"] for g in transferred["legs"]] == ["800", "103", "104", "110"]
    assert transferred["start_utc"] == "2021-03-01T09:00:00Z"
    assert transferred["start_local"] == "2021-03-01T09:00:00+00:00"
    assert transferred["end_utc"] == "2021-03-01T09:02:30Z"
    overflow = calls[9_000_002]
    assert (overflow["queue_dn"], overflow["overflow_dn"], overflow["overflow_type"]) == (
        "801", "850", "RingGroup",
    )  # fmt: skip
    assert overflow["status"] == "answered" and overflow["answered_by_dn"] == "101"
    assert overflow["transfers"] == 0 and overflow["wait_seconds"] == 98
    missed = calls[9_000_003]
    assert missed["status"] == "missed" and missed["answered_by_dn"] == ""
    assert missed["legs_count"] == 3 and missed["talk_seconds"] == 0
    second_agent = calls[9_000_004]
    assert second_agent["status"] == "answered" and second_agent["answered_by_dn"] == "108"
    assert second_agent["transfers"] == 0


def test_legs_mode_keeps_every_leg_of_the_period(planted: None, pbx: Client) -> None:
    legs = _export(pbx, legs=True)
    assert len(legs) == _PLANTED["rows"] - 1  # all but the leg before 09:00
    assert {g["call_id"] for g in legs} >= {9_000_005}  # its leg inside the period is a leg
    assert all(g["start_utc"] >= "2021-03-01T09:00:00Z" for g in legs)


def test_a_call_running_past_the_period_is_followed(planted: None, pbx: Client) -> None:
    spec = ExportSpec(T0, T0 + timedelta(seconds=60), tz="UTC", window=20)
    out = io.StringIO()
    sink = open_sink(
        None, fmt="jsonl", legs_only=False, resume=False, export_key="k", pbx="p", out=out
    )
    summary = export(pbx, spec, sink)
    (call,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert call["call_id"] == 9_000_001 and call["legs_count"] == 4  # legs at 09:01:25 too
    assert summary.tail_legs == 1 and summary.windows == 2  # 20 s, then the rest


# -- refusals (the generator fed by hand: answers a PBX could give) ------------------------


def _drive(answers: list[Any], **kw: Any) -> Any:
    spec = ExportSpec(T0, T0 + timedelta(hours=2), tz="UTC", window=3600, **kw)
    sink = open_sink(
        None, fmt="jsonl", legs_only=True, resume=False, export_key="k", pbx="p", out=io.StringIO()
    )
    flow = export_flow(spec, sink)
    step = next(flow)
    try:
        for answer in answers:
            assert step.action == "GetCallLogData"
            step = flow.throw(answer) if isinstance(answer, Exception) else flow.send(answer)
            while isinstance(step, Hint):  # the next window, announced early
                step = flow.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError(f"the run asked for more: {step}")


def _row(seg: int, at: str) -> dict[str, Any]:
    return {"SegmentId": seg, "CallId": seg, "StartTime": at, "Indent": 0}


def test_rows_missing_below_a_proven_count_stop_the_run_loudly() -> None:
    two = [_row(1, "2021-03-01T09:10:00Z"), _row(2, "2021-03-01T09:20:00Z")]
    with pytest.raises(IncompleteExportError) as err:
        _drive([{"value": two, "@odata.count": 2}, {"value": two[:1], "@odata.count": 2}])
    assert str(err.value).startswith(
        "The PBX counted 2 legs from 2021-03-01T10:00:00Z to 2021-03-01T11:00:00Z but sent 1 "
        "(it has sent 2 whole before)."
    )
    assert exit_code_of(err.value) == 13


def test_a_duplicate_or_a_row_outside_the_window_stops_the_run() -> None:
    row = _row(1, "2021-03-01T09:10:00Z")
    with pytest.raises(IncompleteExportError, match=r"sent a leg twice .* \(duplicate SegmentId\)"):
        _drive([{"value": [row, row], "@odata.count": 2}])
    late = _row(3, "2021-03-01T10:10:00Z")
    with pytest.raises(
        IncompleteExportError, match="sent leg 3 of 2021-03-01T10:10:00Z for 2021-03-01T09:00:00Z"
    ):
        _drive([{"value": [late], "@odata.count": 1}])
    with pytest.raises(IncompleteExportError, match=r"gave no @odata\.count"):
        _drive([{"value": [row]}])


def test_a_cap_hit_asks_again_for_a_shorter_window() -> None:
    spec = ExportSpec(T0, T0 + timedelta(hours=2), tz="UTC", window=3600)
    sink = open_sink(
        None, fmt="jsonl", legs_only=True, resume=False, export_key="k", pbx="p", out=io.StringIO()
    )
    flow = export_flow(spec, sink)
    first = next(flow)
    rows = [_row(i, f"2021-03-01T09:{i:02d}:00Z") for i in range(1, 41)]
    again = flow.send({"value": rows[:10], "@odata.count": 40})  # a cap of 10
    assert again.params["periodFrom"] == first.params["periodFrom"] == T0
    assert again.params["periodTo"] == T0 + timedelta(seconds=450)  # aim 5 of 40: an eighth
    hint = flow.send({"value": rows[:5], "@odata.count": 5})
    assert isinstance(hint, Hint)  # the next window, before this one is written
    then = flow.send(None)
    assert then == hint.call and then.params["periodFrom"] == T0 + timedelta(seconds=450)


def test_unusable_periods_are_refused() -> None:
    with pytest.raises(UsageError, match=r"ends .* before it starts"):
        ExportSpec(T0, T0 - timedelta(hours=1))
    with pytest.raises(UsageError, match=r"cap must be 1\.\.80000 rows, got 90000"):
        ExportSpec(T0, T0 + timedelta(hours=1), cap=90000)


@pytest.mark.parametrize(
    ("into", "fmt", "kind", "chosen"),
    [
        (None, None, "stdout", "jsonl"),
        ("calls.csv", None, "file", "csv"),
        ("file:///tmp/calls.ndjson", None, "file", "jsonl"),
        ("calls.txt", "csv", "file", "csv"),
        ("calls.parquet", None, "parquet", "parquet"),
        ("out", "parquet", "parquet", "parquet"),
        ("sqlite:///cdr.db", None, "sqlite", "table"),
        ("postgres://me@db/cdr", None, "postgresql", "table"),
        ("PostgreSQL://me@db/cdr", None, "postgresql", "table"),
    ],
)
def test_the_target_table_names_each_kind(
    into: str | None, fmt: str | None, kind: str, chosen: str
) -> None:
    """The one table of ``--into`` schemes and file endings (the CLI asks it)."""
    from tcxkit.exports import parse_target

    target = parse_target(into, fmt)
    assert (target.kind, target.fmt) == (kind, chosen)
    assert target.shared == (kind in ("sqlite", "postgresql"))
