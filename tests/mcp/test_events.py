"""``recent_events`` over the events core (issue #23), against an emulated PBX of this
module's own where calls are missed and trunks drop through the emulator's control
endpoints: in-process through the toolbox, and once through ``3cx mcp`` over stdio."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit import Client
from tcxkit.emulator import running
from tcxkit.mcp.audit import AuditLog, Where
from tcxkit.mcp.events import EventFeed
from tcxkit.mcp.policy import Policy
from tcxkit.mcp.service import Toolbox, ToolFailure
from tests.emulators import own_config

from .conftest import client_env, stdio_session


@pytest.fixture(scope="module")
def pbx() -> Iterator[Any]:
    # A PBX in India (+05:30 all year): event times carry its offset, not UTC's.
    with running(own_config(client_id="mcp-events", options={"time_zone": "Asia/Kolkata"})) as emu:
        yield emu


def _control(emu: Any, path: str, body: dict[str, Any]) -> Any:
    with httpx.Client(base_url=emu.url, auth=emu.control_auth, timeout=10) as http:
        answer = http.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def missed_call(emu: Any, caller: str) -> int:
    started = _control(emu, "/emulator/calls", {"from": caller, "to": "800"})
    return int(_control(emu, f"/emulator/calls/{started['Id']}/end", {"answered": False})["CallId"])


@pytest.fixture
def feed(pbx: Any, tmp_path: Path) -> Iterator[EventFeed]:
    with Client(pbx.url, pbx.client_id, pbx.client_secret, token_cache=False) as client:
        audit = AuditLog(tmp_path / "audit.jsonl", Where(pbx.url, None, "test"))
        yield EventFeed(Toolbox(client, Policy(), audit, 64 * 1024))


def test_missed_calls_since_the_last_look_arrive_once_with_their_fields(
    pbx: Any, feed: EventFeed
) -> None:
    first = json.loads(feed.recent(["call.missed"], "10m"))
    before = {e["id"] for e in first["events"]}
    assert first["pbx"] == feed.pbx == pbx.url.split("://")[1]
    calls = [missed_call(pbx, "+441134960381"), missed_call(pbx, "+441134960382")]
    answer = json.loads(feed.recent(["call.missed"], "10m"))
    new = [e for e in answer["events"] if e["id"] not in before]
    assert [e["data"]["call_id"] for e in new] == calls
    assert [e["data"]["from"]["number"] for e in new] == ["+441134960381", "+441134960382"]
    assert {e["type"] for e in new} == {"call.missed"} and {e["pbx"] for e in new} == {feed.pbx}
    assert all(set(e) == {"id", "type", "time", "pbx", "data"} for e in new)
    assert all(e["time"].endswith("+05:30") for e in new), [e["time"] for e in new]
    again = json.loads(feed.recent("call.missed", "10m"))  # asked again: the same ids, once
    assert [e["id"] for e in again["events"]] == [e["id"] for e in answer["events"]]
    assert again["watching_since"] == first["watching_since"]
    one = json.loads(feed.recent(["call.missed"], "10m", limit=1))
    assert one["events"] == answer["events"][-1:] and one["more"].startswith(
        f"{answer['count'] - 1} older events left out"
    )


def test_a_trunk_going_down_is_seen_from_the_first_look_on(pbx: Any, feed: EventFeed) -> None:
    assert json.loads(feed.recent(["trunk.down", "trunk.up"]))["events"] == []  # baseline
    _control(pbx, "/emulator/trunks/10000/online", {"online": False})
    try:
        (down,) = json.loads(feed.recent(["trunk.down"], pbx=feed.pbx))["events"]
    finally:
        _control(pbx, "/emulator/trunks/10000/online", {"online": True})
    assert down["type"] == "trunk.down" and down["data"]["number"] == "10000"
    (up,) = json.loads(feed.recent(["trunk.up"]))["events"]
    assert up["data"]["number"] == "10000"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"types": ["call.mised"]}, "Unknown event type 'call.mised'. Did you mean call.missed"),
        ({"since": "yesterday"}, "since 'yesterday' is neither a duration nor a time; give e.g."),
        ({"since": "99999999999d"}, "since '99999999999d' is neither a duration nor a time"),
        ({"pbx": "other.example.com"}, "it has no PBX 'other.example.com'. Leave pbx out"),
    ],
)
def test_refusals_say_what_to_send(feed: EventFeed, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolFailure, match=message.replace(".", r"\.").replace("(", r"\(")):
        feed.recent(**args)


def test_the_tool_through_the_mcp_server(pbx: Any, tmp_path: Path) -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        async with stdio_session(client_env(pbx, tmp_path)) as s:
            tools = {t.name: t for t in (await s.client.list_tools()).tools}
            assert tools["recent_events"].annotations.read_only_hint is True
            await s.ok("recent_events", type="call.missed", since="5m")
            call = missed_call(pbx, "+441134960390")
            answer = await s.ok("recent_events", type=["call.missed"], since="5m")
            error, text = await s.call("recent_events", type="nope")
            return call, answer, (error, text)

    call, answer, (error, text) = asyncio.run(scenario())
    assert answer["events"][-1]["data"]["call_id"] == call
    assert error and "Unknown event type 'nope'" in text and "Known types: call.started" in text


def _trunk_reads(emu: Any) -> int:
    return sum(1 for r in emu.requests if r["path"].startswith("/xapi/v1/Trunks"))


def test_the_servers_policy_applies_to_the_feeds_queries(pbx: Any, tmp_path: Path) -> None:
    before = _trunk_reads(pbx)
    with Client(pbx.url, pbx.client_id, pbx.client_secret, token_cache=False) as client:
        audit = AuditLog(tmp_path / "audit.jsonl", Where(pbx.url, None, "test"))
        denied = EventFeed(Toolbox(client, Policy(deny=frozenset({"ListTrunk"})), audit, 65536))
        with pytest.raises(ToolFailure, match=r"^ListTrunk is denied on this server \(--deny\)"):
            denied.recent("trunk.down")
        assert json.loads(denied.recent("call.missed"))["pbx"] == denied.pbx  # others still run
    assert _trunk_reads(pbx) == before  # refused before it was sent


def _event(n: int, time: str) -> Any:
    from tcxkit.events import Event

    return Event(f"evt_{n:032x}", "system.alert", time, "p", {"log_id": n})


def test_the_feed_forgets_events_past_its_age_and_count(
    feed: EventFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's store is bounded: older than LOOKBACK or beyond MAX_KEPT is dropped."""
    from datetime import UTC, datetime, timedelta

    import tcxkit.mcp.events as events

    monkeypatch.setattr(events, "MAX_KEPT", 3)
    monkeypatch.setattr(feed, "_poll", lambda types: None)  # only what is committed here
    now = datetime.now(UTC)
    old = (now - events.LOOKBACK - timedelta(minutes=1)).isoformat()
    fresh = [_event(n, (now - timedelta(minutes=10 - n)).isoformat()) for n in range(1, 6)]
    feed.store.commit(feed.pbx, "test", {}, [_event(0, old), *fresh])
    answer = json.loads(feed.recent("system.alert", "1d"))
    kept = [e for _, e in feed.store.pending("mcp", feed.pbx, 100)]
    assert [e.data["log_id"] for e in kept] == [3, 4, 5]  # the newest three; 0: a day old
    assert [e["data"]["log_id"] for e in answer["events"]] == [3, 4, 5]
