"""End to end: a call made through XAPI (``3cx users make-call``) lives on the emulated PBX
(manual clock) and ``3cx events watch --once`` reports ``call.started``, then
``call.ended`` and ``call.missed`` once the calls are over."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcxkit.emulator import running
from tests.emulators import own_config

from .conftest import Cli, Pbx


@pytest.fixture(scope="module")
def pbx() -> Iterator[Pbx]:
    """This module's PBX: time moves only when a test says so."""
    with running(own_config(data="demo", options={"clock": "manual"})) as emu:
        yield Pbx(emu)


def _watch(tcx: Cli, cursor: Path) -> list[dict[str, Any]]:
    code, out, err = tcx("events", "watch", "--once", "--cursor", str(cursor))
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _make_call(tcx: Cli, dn: str, destination: str) -> int:
    code, out, err = tcx(
        "users", "make-call", "--dn", json.dumps(dn), "--destination", json.dumps(destination),
        "--contact", "null", "--test-call", "false",
    )  # fmt: skip
    assert code == 0, err
    return int(json.loads(out)["Result"]["CallId"])


def test_make_call_gives_started_then_ended_and_missed(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    assert _watch(tcx, cursor) == []  # the baseline
    answered = _make_call(tcx, "100", "800")  # the Sales Queue: agent 108 answers
    missed = _make_call(tcx, "100", "101")  # 101's phone is not registered
    started = _watch(tcx, cursor)
    assert [(e["type"], e["data"]["active_call_id"], e["data"]["status"]) for e in started] == [
        ("call.started", answered, "Ringing"), ("call.started", missed, "Ringing")]  # fmt: skip
    assert started[0]["data"]["caller"] == "100 Alice Archer"
    assert started[0]["data"]["callee"] == "800 Sales Queue"

    pbx.post("/emulator/clock", {"advance": 35})  # rang 4 s and talked 30; rang out at 20
    events = _watch(tcx, cursor)
    assert sorted(e["type"] for e in events) == ["call.ended", "call.ended", "call.missed"]
    ended = {e["data"]["to"]["dn"]: e["data"] for e in events if e["type"] == "call.ended"}
    assert ended["800"]["answered"] is True
    assert ended["800"]["answered_by"]["dn"] == "108"
    assert (ended["800"]["ringing_seconds"], ended["800"]["talking_seconds"]) == (4, 30)
    assert ended["101"]["answered"] is False and ended["101"]["ringing_seconds"] == 20
    [gone] = [e["data"] for e in events if e["type"] == "call.missed"]
    assert gone["missed_at"]["dn"] == "101" and gone["from"]["dn"] == "100"
    assert _watch(tcx, cursor) == []  # each reported once


def test_drop_call_through_the_cli_ends_the_call(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    assert _watch(tcx, cursor) == []
    call = _make_call(tcx, "100", "+441134960371")
    pbx.post("/emulator/clock", {"advance": 2})
    # DropCall is a file-shaped action in the spec but answers 204: no file is written.
    code, out, err = tcx("active-calls", "drop-call", "--id", str(call))
    assert (code, out, err) == (0, "", "3cx: DropCall: done (no content).\n")
    assert list(tcx.cwd.iterdir()) == []
    events = _watch(tcx, cursor)
    # Hung up while it rang, between two polls: no call.started (the documented blind
    # spot); an outbound call nobody answered ends, and is not "missed".
    assert [e["type"] for e in events] == ["call.ended"]
    assert events[0]["data"]["answered"] is False
    assert events[0]["data"]["direction"] == "Outbound"
    assert events[0]["data"]["ringing_seconds"] == 2
    code, _out, err = tcx("active-calls", "drop-call", "--id", str(call), "--out", "-")
    assert code == 7, err
    assert f"DropCall: not found (404) at POST {pbx.url}/xapi/v1/ActiveCalls({call})" in err
    assert "- Id: WARNINGS.XAPI.NOT_FOUND" in err
