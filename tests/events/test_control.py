"""The emulator's control endpoints for events (emulator/happenings.py): what they do,
and how they refuse bad input (4xx with a message, never a 5xx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit import Client

from .conftest import Pbx

AGENT = "/emulator/queues"


def _post(pbx: Pbx, path: str, body: Any = None, *, raw: bytes | None = None,
          auth: bool = True) -> httpx.Response:  # fmt: skip
    return httpx.post(
        pbx.url + path,
        json=body if raw is None else None,
        content=raw,
        auth=pbx.emu.control_auth if auth else None,
    )


def test_a_call_shows_in_active_calls_then_in_the_call_log(pbx: Pbx, tmp_path: Path) -> None:
    emu = pbx.emu
    tcx_client = Client(emu.url, emu.client_id, emu.client_secret, token_cache=tmp_path / "t")
    call = pbx.start_call("+441134960371", "800")
    active = tcx_client.call("ListActiveCall", filter=f"Id eq {call}")["value"]
    assert active[0]["Caller"] == "+441134960371"
    assert active[0]["Callee"] == "800 Sales Queue"
    assert active[0]["Status"] == "Ringing"
    r = _post(pbx, f"/emulator/calls/{call}/end", {"answered": True, "by": "104"})
    assert r.status_code == 200
    segments = r.json()["SegmentIds"]
    assert len(segments) == 2  # the queue's segment and the agent's
    assert tcx_client.call("ListActiveCall", filter=f"Id eq {call}")["value"] == []
    logged = tcx_client.call("ListCallHistoryView", filter=f"SegmentId eq {segments[1]}")
    assert logged["value"][0]["DstDn"] == "104"
    tcx_client.close()


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/emulator/calls", {"from": "+44"}, 400, "Give 'from' and 'to' as strings"),
        ("/emulator/calls", {"from": "+44", "to": "999"}, 404, "No DN '999' on this PBX"),
        ("/emulator/calls", {"from": "+4" * 30, "to": "100"}, 400, "at most 40 characters"),
        ("/emulator/calls", [1], 400, "Send a JSON object"),
        ("/emulator/calls/987654/end", {"answered": True}, 404, "No call 987654 in progress"),
        ("/emulator/calls/x/end", {"answered": True}, 404, "A call Id is a number"),
        ("/emulator/calls/1/end", {"answered": "yes"}, 400, "Give 'answered' (true/false)"),
        ("/emulator/users/100/registration", {}, 400, "Give 'registered' as true or false"),
        ("/emulator/users/999/registration", {"registered": True}, 404, "No user '999'"),
        ("/emulator/trunks/1/online", {"online": True}, 404, "No trunk '1'"),
        (f"/emulator/trunks/{'1' * 41}/online", {"online": True}, 400, "at most 40 characters"),
        (f"/emulator/users/{'1' * 41}/registration", {"registered": True}, 400, "at most 40"),
        (f"{AGENT}/800/agents/104", {"logged_in": 1}, 400, "Give 'logged_in' as true or false"),
        (f"{AGENT}/800/agents/104", {"logged_in": True, "x": 1}, 400, "true or false (only)"),
        (f"{AGENT}/899/agents/104", {"logged_in": True}, 404, "No queue '899' on this PBX."),
        (f"{AGENT}/801/agents/104", {"logged_in": True}, 404, "'104' is not an agent of queue 801"),
        (f"{AGENT}/800/agents/{'9' * 41}", {"logged_in": True}, 400, "at most 40 characters"),
        ("/emulator/event-log", {"Type": "Fatal", "Message": "x"}, 400, "Give 'Type' (Error"),
        (
            "/emulator/event-log",
            {"Type": "Info", "Message": "x", "EventId": "1"},
            400,
            "'EventId' an integer",
        ),
        ("/emulator/event-log", {"Type": "Info", "Message": "x" * 4001}, 400, "at most 4000"),
        ("/emulator/license", {"ExpirationDate": "soon"}, 400, "Give 'ExpirationDate' as a"),
        ("/emulator/license", {"ExpirationDate": "2026-12-31T00:00:00"}, 400, "in UTC (Z) or with"),
        # unknown keys are refused, never ignored (a typo must not pass as the default)
        (
            "/emulator/calls",
            {"from": "+44", "to": "800", "x": 1},
            400,
            "Unknown key 'x': send only from, to",
        ),
        (
            "/emulator/calls/1/end",
            {"answerd": True},
            400,
            "Unknown key 'answerd': send only answered, by",
        ),
        (
            "/emulator/users/100/registration",
            {"registered": True, "x": 1},
            400,
            "Unknown key 'x': send only registered",
        ),
        (
            "/emulator/trunks/10000/online",
            {"online": True, "x": 1},
            400,
            "Unknown key 'x': send only online",
        ),
        (
            "/emulator/event-log",
            {"Type": "Info", "Message": "m", "Bogus": 1},
            400,
            "Unknown key 'Bogus'",
        ),
        (
            "/emulator/license",
            {"ExpirationDate": "2026-12-31T00:00:00Z", "x": 1},
            400,
            "Unknown key 'x'",
        ),
        # bounded values
        (
            "/emulator/event-log",
            {"Type": "Info", "Message": "m", "EventId": 2**40},
            400,
            "'EventId' is a 32-bit integer",
        ),
        (
            "/emulator/calls/1/end",
            {"answered": True, "by": "1" * 41},
            404,
            "'by' is a DN of this PBX",
        ),
        ("/emulator/calls/1/end", {"answered": True, "by": "999"}, 404, "'by' is a DN of this PBX"),
    ],
)
def test_bad_input_is_refused_with_the_fix(
    pbx: Pbx, path: str, body: Any, status: int, message: str
) -> None:
    r = _post(pbx, path, body)
    assert r.status_code == status
    assert message in r.json()["error"]["message"]


def test_an_agent_logs_in_and_out_of_a_queue(pbx: Pbx, tmp_path: Path) -> None:
    emu = pbx.emu
    with Client(emu.url, emu.client_id, emu.client_secret, token_cache=tmp_path / "t") as xapi:

        def status() -> str:
            rows = xapi.call("ListUser", filter="Number eq '108'", select=["QueueStatus"])
            return str(rows["value"][0]["QueueStatus"])

        r = _post(pbx, f"{AGENT}/800/agents/108", {"logged_in": True})
        assert r.json() == {"Queue": "800", "Number": "108", "QueueStatus": "LoggedIn"}
        assert status() == "LoggedIn"
        pbx.agent("800", "108", False)
        assert status() == "LoggedOut"
        r = _post(pbx, f"{AGENT}/800/agents/108", {"logged_in": True}, auth=False)
        assert r.status_code == 401 and status() == "LoggedOut"


def test_not_json_too_large_and_unauthenticated(pbx: Pbx) -> None:
    r = _post(pbx, "/emulator/calls", raw=b"{nope")
    assert r.status_code == 400 and "The body is not JSON" in r.json()["error"]["message"]
    r = _post(pbx, "/emulator/calls", raw=b"[" + b" " * (2 << 20) + b"]")
    assert r.status_code == 413 and "larger than" in r.json()["error"]["message"]
    r = _post(pbx, "/emulator/trunks/10000/online", {"online": False}, auth=False)
    assert r.status_code == 401
    assert "need the emulator's credentials" in r.json()["error"]["message"]
