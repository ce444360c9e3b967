"""``3cx mcp`` end to end: the SDK's client over stdio and streamable HTTP, against the emulator."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from tcxkit.mcp.tasks import call_log_period
from tcxkit.redaction import MASK

from .conftest import BIN, CALL_LOG_ROWS, Session, demo_secrets, http_session, stdio_session

#: Every call of the demo's log (the function parameters as JSON, as a model sends them).
PERIOD = {
    k: v.isoformat() if isinstance(v, datetime) else v
    for k, v in call_log_period(
        datetime(2020, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)
    ).items()
}


def _writes(emu: Any) -> list[dict[str, Any]]:
    return [r for r in emu.requests if r["method"] != "GET" and r["path"].startswith("/xapi")]


async def test_stdio_read_only(mcp_emulator: Any, mcp_env: dict[str, str]) -> None:
    async with stdio_session(mcp_env) as s:
        tools = {t.name: t for t in (await s.client.list_tools()).tools}
        assert set(tools) == {
            "search_actions",
            "describe_action",
            "call_action",
            "find_dn",
            "call_history",
            "missed_calls",
            "active_calls",
            "system_status",
            "queue_members",  # change_queue_agents: listed only where writes run
            "user_forwarding",
            "ring_groups",
            "trunk_status",
            "last_backup",
            "recent_events",
        }
        schema = tools["call_action"].input_schema
        assert schema["required"] == ["action"]
        assert {"params", "body", "select", "filter", "orderby", "top", "skip"} <= set(
            schema["properties"]
        )
        assert "READ-ONLY server" in (tools["call_action"].description or "")
        assert tools["search_actions"].annotations.read_only_hint is True
        # answers are JSON text once, not twice (no structured {"result": text} copy)
        assert all(t.output_schema is None for t in tools.values())

        hits = await s.ok("search_actions", query="peers by numbers")
        assert hits["items"][0]["action"] == "RetreivePeersByNumbers"

        peers = await s.ok(
            "call_action", action="RetreivePeersByNumbers", body={"DnNumbers": [100, 101]}
        )
        as_text = await s.ok(  # a client that sends the object as a JSON string
            "call_action", action="RetreivePeersByNumbers", body='{"DnNumbers": ["100"]}'
        )
        assert as_text["items"][0]["Number"] == "100"
        assert [(p["Number"], p["Name"]) for p in peers["items"]] == [
            ("100", "Alice Archer"),
            ("101", "Bob Baker"),
        ]

        error, text = await s.call("search_actions", query="xyzzy frobnicate")
        assert error
        assert "No action matches 'xyzzy frobnicate'." in text

        await _describe(s)
        await _refused_write(s, mcp_emulator)
        await _validation_error(s)
        await _long_list(s)
        await _task_tools(s)

        users = await s.ok("call_action", action="ListUser", top=5)
        assert users["items"][0]["AuthPassword"] == users["items"][0]["VMPIN"] == MASK
        secrets = demo_secrets(mcp_emulator)
        leaked = {x for x in secrets for text in s.seen if x in text}
        assert not leaked


async def _describe(s: Session) -> None:
    peers = await s.ok("describe_action", action="RetreivePeersByNumbers")
    assert (peers["effect"], peers["allowed_here"]) == ("read", "yes")
    assert peers["body"]["arguments"] == {
        "peersRequest": {"DnNumbers": "[string]", "IsReportPeers": "boolean"}
    }
    assert peers["example"] == {
        "body": {"peersRequest": {"DnNumbers": ["100", "101"], "IsReportPeers": False}}
    }
    assert set(peers["returns"]["fields"]) >= {"Id", "Number", "Name", "Type"}
    update = await s.ok("describe_action", action="UpdateUser")
    assert update["allowed_here"].startswith("no: UpdateUser is a write (PATCH)")
    assert update["params"] == [
        {
            "name": "Id",
            "type": "Edm.Int32",
            "required": True,
            "description": "The unique identifier of User",
        }
    ]
    assert update["body"]["fields"]["TranscriptionMode"].endswith(
        "one of Nothing, Voicemail, Recordings, Both, Inherit"
    )
    log = await s.ok("describe_action", action="GetCallLogData")
    calls_type = next(p for p in log["params"] if p["name"] == "callsType")
    assert calls_type["description"] == "0 all calls, 1 answered only, 2 unanswered only"
    page = await s.client.read_resource("tcx://actions/GetCallLogData")
    assert page.contents[0].text.startswith("# GetCallLogData")


async def _refused_write(s: Session, emu: Any) -> None:
    emu.clear_requests()
    error, text = await s.call(
        "call_action",
        action="CreateUser",
        body={"Number": "190", "FirstName": "Nora", "LastName": "Read"},
    )
    assert error
    assert "CreateUser is a write (POST) and this server is read-only; it was not sent." in text
    assert "--allow-writes" in text
    assert _writes(emu) == []  # nothing reached the PBX
    error, text = await s.call("call_action", action="DeleteUser", params={"Id": 6})
    assert error
    assert "DeleteUser is a delete (DELETE)" in text
    assert "--allow-writes --allow-deletes" in text
    assert _writes(emu) == []


async def _validation_error(s: Session) -> None:
    error, text = await s.call(
        "call_action", action="GetCallLogData", params={**PERIOD, "periodFrom": "last tuesday"}
    )
    assert error
    assert "GetCallLogData: the request does not fit the action; nothing was sent." in text
    assert "- periodFrom: 'last tuesday' is not a valid date-time" in text
    assert "describe_action('GetCallLogData')" in text
    error, text = await s.call(
        "call_action", action="ListUser", params={"headers": {"Authorization": "x"}}
    )
    assert error
    assert "params cannot set HTTP headers." in text
    error, text = await s.call("call_action", action="RetreivePeersByNumbers", body="{oops")
    assert error
    assert "body is not valid JSON: " in text
    error, text = await s.call("call_action", action="ListUsers")
    assert error
    assert "No action 'ListUsers'" in text
    assert "ListUser" in text


async def _long_list(s: Session) -> None:
    """5 000 call-log rows asked for at once come back as a page within 32 KB."""
    error, text = await s.call("call_action", action="GetCallLogData", params=PERIOD, top=5000)
    assert not error, text
    assert len(text.encode()) <= 32 * 1024
    page = json.loads(text)
    assert page["total"] == CALL_LOG_ROWS
    assert page["truncated"] is True
    n = page["returned"]
    assert 0 < n == len(page["items"]) < CALL_LOG_ROWS
    assert page["next"] == {"action": "GetCallLogData", "skip": n, "top": n}
    assert "next" in page["note"]
    # the hint works: the next page starts where this one ended
    nxt = await s.ok(
        "call_action",
        action="GetCallLogData",
        params=PERIOD,
        skip=page["next"]["skip"],
        top=page["next"]["top"],
        select=["SegmentId", "StartTime"],
    )
    assert nxt["items"][0]["SegmentId"] != page["items"][-1]["SegmentId"]
    assert set(nxt["items"][0]) == {"SegmentId", "StartTime"}
    assert nxt["skip"] == n
    assert nxt["next"]["skip"] == 2 * n


async def _task_tools(s: Session) -> None:
    found = await s.ok("find_dn", query="104")
    assert found["matches"] == [
        {"Id": 10, "Number": "104", "Name": "Emma Evans", "Type": "Extension"}
    ]
    assert found["user"]["EmailAddress"] == "emma.evans@acme.example"
    history = await s.ok(
        "call_history", number="104", period_from="2020-01-01", period_to="2040-01-01"
    )
    assert history["total"] > 0
    for call in history["calls"]:  # 104 is a party of the call or of one of its legs
        parties = [call["from"], call["to"], *(leg["to"] for leg in call.get("legs", []))]
        vias = [leg.get("via") for leg in call.get("legs", [])]
        assert any(p.startswith("104 ") for p in parties) or "104" in vias, call
    missed = await s.ok("missed_calls", number="+44 113 496 0371", period_from="yesterday")
    assert [(c["to"], c["status"]) for c in missed["calls"]] == [("800 Sales Queue", "missed")]
    assert missed["searched"]["only"] == "missed calls (no leg answered)"
    error, text = await s.call("call_history", number="104", period_from="someday")
    assert error
    assert "period_from: 'someday' is not a date" in text
    status = await s.ok("system_status")
    assert status["LicenseKey"] == MASK
    members = await s.ok("queue_members", queue="800")
    assert members["queue"]["Name"] == "Sales Queue"
    assert any(a["Number"] == "104" for a in members["agents"])
    assert (await s.ok("active_calls"))["items"]


async def test_http_writes_audited(
    mcp_emulator: Any, mcp_env: dict[str, str], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    async with http_session(mcp_env, "--allow-writes", "--audit-log", str(audit)) as s:
        tools = {t.name: t for t in (await s.client.list_tools()).tools}
        assert "deletes and destructive actions are refused" in (
            tools["call_action"].description or ""
        )

        created = await s.ok(
            "call_action",
            action="CreateUser",
            body={
                "Number": "191",
                "FirstName": "Wendy",
                "LastName": "Write",
                "AuthPassword": "Wendy-pw-55731",
            },
        )
        assert created["Number"] == "191"
        assert created["AuthPassword"] == MASK

        error, text = await s.call(
            "call_action", action="CreateUser", body={"Number": "192", "Enabled": "maybe"}
        )
        assert error
        assert "- body.Enabled:" in text

        error, text = await s.call("call_action", action="DeleteUser", params={"Id": created["Id"]})
        assert error
        assert "does not allow deletes" in text

        page = await s.client.read_resource("tcx://actions/CreateUser")
        assert page.contents[0].text.startswith("# CreateUser")
        with pytest.raises(MCPError, match=r"No action 'NoSuchAction' in XAPI 20\.0\.10\."):
            await s.client.read_resource("tcx://actions/NoSuchAction")
        prompts = {p.name for p in (await s.client.list_prompts()).prompts}
        assert prompts == {"who_is", "add_to_queue"}
        secrets = demo_secrets(mcp_emulator) | {"Wendy-pw-55731"}
        assert not {x for x in secrets for text in s.seen if x in text}

    from tcxkit import Client

    with Client(
        mcp_emulator.url, mcp_emulator.client_id, mcp_env["TCX_CLIENT_SECRET"], token_cache=False
    ) as c:
        assert c.call("GetUserByNumber", number="191")["LastName"] == "Write"

    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    assert [(x["action"], x["outcome"]) for x in lines] == [
        ("CreateUser", "ok"),
        ("DeleteUser", "refused"),
    ]
    assert lines[0]["args"]["body"]["AuthPassword"] == MASK
    assert "Wendy-pw-55731" not in audit.read_text()
    assert '"Number":"191"' in lines[0]["result"].replace(" ", "")


async def test_stdio_embedded_emulator_by_default(mcp_env: dict[str, str]) -> None:
    """Nothing configured: like every `3cx` command, the server uses the built-in emulator."""
    env = {
        k: v
        for k, v in mcp_env.items()
        if k not in ("TCX_URL", "TCX_CLIENT_ID", "TCX_CLIENT_SECRET")
    }
    state = Path(env["TCX_DATA_DIR"]) / "emulator.json"
    try:
        async with stdio_session(env) as s:  # its note goes to stderr, never into the protocol
            found = await s.ok("find_dn", query="100")
            assert found["user"]["FirstName"] == "Alice"
        assert state.exists()
    finally:
        if state.exists():
            stop = subprocess.run(
                [str(BIN), "emulator", "stop"], env=env, capture_output=True, text=True, timeout=60
            )
            assert stop.returncode == 0, stop.stderr


async def test_an_uncertain_write_is_advised_in_mcp_terms(
    mcp_emulator: Any, mcp_env: dict[str, str]
) -> None:
    """A create whose connection broke after sending: the model is told to read back
    before calling again, not the library's Python advice (``retry_writes=True``)."""
    from tests.proxy import Rule, breaking_proxy

    with breaking_proxy(mcp_emulator.url, Rule("POST", "/xapi/v1/Users")) as (url, proxy):
        async with stdio_session({**mcp_env, "TCX_URL": url}, "--allow-writes") as s:
            error, text = await s.call(
                "call_action",
                action="CreateUser",
                body={"Number": "193", "FirstName": "Una", "LastName": "Certain"},
            )
        assert proxy.count("POST", "/xapi/v1/Users") == 1
    assert error
    assert text.startswith("Error executing tool call_action: UncertainWriteError: POST ")
    assert text.endswith(
        "It was sent once and not re-sent, so that it cannot take effect twice.\n"
        "Do not call this action again yet: read the object back first (the list or get "
        "action of the same resource) and call it again only if the change is missing."
    )
    assert "retry_writes" not in text
