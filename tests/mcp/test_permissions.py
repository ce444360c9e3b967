"""``3cx mcp`` fails closed: names checked, destructive gated, HTTP authenticated, audit private.

Over real stdio and streamable HTTP against the emulator (issue #18, Deliver 3-5).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import Implementation

from .conftest import BIN, Session, connect_http, http_server

CLIENT = Implementation(name="audit-test-client", version="9.8.7")
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw-http", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _writes(emu: Any) -> list[dict[str, Any]]:
    return [r for r in emu.requests if r["method"] != "GET" and r["path"].startswith("/xapi")]


def _start(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A server that must refuse to start: it exits by itself, before serving."""
    return subprocess.run(
        [str(BIN), "mcp", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _stdio(env: dict[str, str], *args: str) -> Client:
    params = StdioServerParameters(command=str(BIN), args=["mcp", *args], env=env)
    return Client(params, client_info=CLIENT)


async def _call_hints(client: Client) -> tuple[Any, ...]:
    """call_action's (readOnly, destructive, idempotent, openWorld) hints."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    a = tools["call_action"].annotations
    assert a is not None
    return (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ----------------------------------------------------------------------------- names


async def test_deny_update_user_refuses_update_user(
    mcp_emulator: Any, mcp_env: dict[str, str], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    args = ("--allow-writes", "--deny", "delete-user, users update-user", "--audit-log", str(audit))
    async with _stdio(mcp_env, *args) as client:
        s = Session(client)
        mcp_emulator.clear_requests()
        error, text = await s.call(
            "call_action", action="UpdateUser", params={"Id": 6}, body={"LastName": "Denied"}
        )
        assert error
        assert "UpdateUser is denied on this server (--deny); it was not sent." in text
        error, text = await s.call("call_action", action="DeleteUser", params={"Id": 6})
        assert error
        assert "DeleteUser is denied on this server (--deny)" in text
        assert _writes(mcp_emulator) == []
        described = await s.ok("describe_action", action="update_user")
        assert described["allowed_here"].startswith("no: UpdateUser is denied")
    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    assert [(x["action"], x["outcome"]) for x in lines] == [
        ("UpdateUser", "refused"),
        ("DeleteUser", "refused"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--allow-writes", "--deny", "delete-user,update-usr"),
            "3cx: usage error: --deny: no action 'update-usr' in any XAPI release; "
            "the server was not started.",
        ),
        (("--allow", "ListUser,users frobnicate"), "--allow: no action 'users frobnicate'"),
        (("--allow-deletes",), "--allow-deletes needs --allow-writes"),
        (("--allow-writes", "--allow-destructive"), "--allow-destructive needs --allow-deletes"),
        (("--allow-writes", "--allow", "Restore"), "Restore (destructive: needs --allow-deletes"),
        (("--rotate-token",), "--rotate-token applies to --http only"),
    ],
)
def test_bad_options_stop_the_server(
    mcp_emulator: Any, mcp_env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    mcp_emulator.clear_requests()
    proc = _start(mcp_env, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert proc.stdout == ""
    assert mcp_emulator.requests == []  # refused before connecting


def test_unknown_name_suggests_the_closest(mcp_env: dict[str, str]) -> None:
    proc = _start(mcp_env, "--allow-writes", "--deny", "UpdateUsr")
    assert proc.returncode == 2
    assert "Hint: Did you mean: " in proc.stderr
    assert "UpdateUser" in proc.stderr.split("Hint: ", 1)[1]


# ----------------------------------------------------------------------------- destructive


async def test_writes_alone_refuse_destructive_actions(
    mcp_emulator: Any, mcp_env: dict[str, str], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    async with _stdio(mcp_env, "--allow-writes", "--audit-log", str(audit)) as client:
        s = Session(client)
        assert (await _call_hints(client)) == (False, False, False, True)
        found = await s.ok("search_actions", query="restore backup", limit=50)
        assert "Restore" not in {h["action"] for h in found["items"]}
        queue = (await s.ok("queue_members", queue="800"))["queue"]
        mcp_emulator.clear_requests()
        before = await s.ok("call_action", action="GetQueue", params={"Id": queue["Id"]})
        for action, params in (
            ("ResetQueueStatistics", {"Id": queue["Id"]}),
            ("Restore", {"FileName": "backup.zip"}),
        ):
            error, text = await s.call("call_action", action=action, params=params)
            assert error
            assert f"{action} is destructive (irreversible or service-affecting) and this " in text
            assert "with --allow-deletes --allow-destructive if they want it." in text
        assert _writes(mcp_emulator) == []  # nothing reached the PBX
        after = await s.ok("call_action", action="GetQueue", params={"Id": queue["Id"]})
        assert after == before
    lines = [json.loads(x) for x in audit.read_text().splitlines()]
    assert [(x["action"], x["effect"], x["outcome"]) for x in lines] == [
        ("ResetQueueStatistics", "destructive", "refused"),
        ("Restore", "destructive", "refused"),
    ]


async def test_all_rungs_open_destructive_and_say_so(mcp_env: dict[str, str]) -> None:
    args = ("--allow-writes", "--allow-deletes", "--allow-destructive")
    async with _stdio(mcp_env, *args) as client:
        s = Session(client)
        assert (await _call_hints(client)) == (False, True, False, True)
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "destructive actions run" in (tools["call_action"].description or "")
        found = await s.ok("search_actions", query="restore backup", limit=50)
        assert "Restore" in {h["action"] for h in found["items"]}


# ----------------------------------------------------------------------------- HTTP


async def test_http_needs_the_token_and_a_known_host(
    mcp_emulator: Any, mcp_env: dict[str, str], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    with http_server(mcp_env, "--allow-writes", "--audit-log", str(audit)) as server:
        assert server.token
        (stored,) = Path(mcp_env["TCX_CONFIG_DIR"], "mcp-tokens").iterdir()
        assert stored.name.startswith("url-127.0.0.1-")  # per profile, or per PBX without one
        assert _mode(stored) == 0o600
        assert stored.read_text().strip() == server.token
        port = server.url.split(":")[2].split("/")[0]
        bearer = {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(timeout=30) as http:
            none = http.post(server.url, json=INIT, headers=MCP_HEADERS)
            assert none.status_code == 401
            assert none.headers["www-authenticate"].startswith("Bearer")
            wrong = {"Authorization": "Bearer " + "x" * len(server.token)}
            assert http.post(server.url, json=INIT, headers=MCP_HEADERS | wrong).status_code == 401
            ok = http.post(server.url, json=INIT, headers=MCP_HEADERS | bearer)
            assert ok.status_code == 200, ok.text
            for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example"):
                foreign = MCP_HEADERS | {"Host": host}
                assert http.post(server.url, json=INIT, headers=foreign | bearer).status_code == 421
                assert http.post(server.url, json=INIT, headers=foreign).status_code == 421
            origin = MCP_HEADERS | bearer | {"Origin": "http://evil.example"}
            assert http.post(server.url, json=INIT, headers=origin).status_code == 403
        async with connect_http(server.url, server.token, client_info=CLIENT) as s:
            created = await s.ok(
                "call_action",
                action="CreateUser",
                body={"Number": "193", "FirstName": "Hugo", "LastName": "Http"},
            )
            assert created["Number"] == "193"
    assert _mode(audit) == 0o600
    (line,) = [json.loads(x) for x in audit.read_text().splitlines()]
    assert line["pbx"] == mcp_emulator.url
    assert line["source"] == "environment"
    assert (line["client"], line["client_version"]) == ("audit-test-client", "9.8.7")
    assert line["session"] is None  # the SDK's client speaks the stateless 2026-07-28 protocol
    assert line["peer"].startswith("127.0.0.1:")
    assert (line["action"], line["effect"], line["outcome"]) == ("CreateUser", "write", "ok")

    # a second start keeps the token and says where it is; --rotate-token replaces it
    with http_server(mcp_env) as again:
        assert again.token == ""
        assert any("HTTP clients need the bearer token stored in" in n for n in again.notes)
    with http_server(mcp_env, "--rotate-token") as rotated:
        assert rotated.token and rotated.token != server.token
        with httpx.Client(timeout=30) as http:
            old = MCP_HEADERS | {"Authorization": f"Bearer {server.token}"}
            assert http.post(rotated.url, json=INIT, headers=old).status_code == 401


def test_http_audit_names_the_session_of_a_handshake_client(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    """A client of the 2025-06-18 protocol gets a session id; the audit line carries it."""
    audit = tmp_path / "audit.jsonl"
    with http_server(mcp_env, "--allow-writes", "--audit-log", str(audit)) as server:
        headers = MCP_HEADERS | {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(timeout=30) as http:
            init = http.post(server.url, json=INIT, headers=headers)
            assert init.status_code == 200, init.text
            session = init.headers["mcp-session-id"]
            headers |= {"mcp-session-id": session, "mcp-protocol-version": "2025-06-18"}
            done = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            assert http.post(server.url, json=done, headers=headers).status_code == 202
            call = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {
                    "name": "call_action",
                    "arguments": {"action": "DeleteUser", "params": {"Id": 6}},
                },
            }
            answer = http.post(server.url, json=call, headers=headers)
            assert answer.status_code == 200
            assert "does not allow deletes" in answer.text
    (line,) = [json.loads(x) for x in audit.read_text().splitlines()]
    assert (line["client"], line["client_version"], line["session"]) == ("raw-http", "1", session)
    assert (line["action"], line["outcome"]) == ("DeleteUser", "refused")


def test_http_host_guard_on_another_loopback_address(mcp_env: dict[str, str]) -> None:
    """127.0.0.2 is loopback (no --allow-remote needed); its own name and the allowed ones
    pass the guard, anything else gets 421 with or without the token."""
    with http_server(mcp_env, "--allowed-hosts", "mcp.example.test", bind="127.0.0.2:0") as server:
        assert server.url.startswith("http://127.0.0.2:")
        bearer = {"Authorization": f"Bearer {server.token}"}
        port = server.url.split(":")[2].split("/")[0]
        with httpx.Client(timeout=30) as http:
            for host, status in (
                (f"127.0.0.2:{port}", 200),
                (f"mcp.example.test:{port}", 200),
                ("mcp.example.test", 200),
                ("evil.example", 421),
                (f"mcp.example.test.evil.example:{port}", 421),
            ):
                headers = MCP_HEADERS | bearer | {"Host": host}
                got = http.post(server.url, json=INIT, headers=headers)
                assert got.status_code == status, (host, got.text)
            assert http.post(server.url, json=INIT, headers=MCP_HEADERS).status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--http", "0.0.0.0:0"),
            "3cx: usage error: --http 0.0.0.0:0 would accept connections from other machines; "
            "the server was not started.",
        ),
        (
            ("--http", "0.0.0.0:0", "--allow-remote"),
            "--http 0.0.0.0:0 listens on every address, so no Host name is implied",
        ),
        (("--http", "[::]:0", "--allow-remote"), "--http [::]:0 listens on every address"),
        (("--http", "10.0.0.1:0"), "--http 10.0.0.1:0 would accept connections"),
    ],
)
def test_http_remote_bindings_are_refused(
    mcp_env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    proc = _start(mcp_env, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Hint: " in proc.stderr


# ----------------------------------------------------------------------------- audit file


def test_an_audit_file_others_can_read_stops_the_server(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    audit.write_text("")
    os.chmod(audit, 0o644)
    proc = _start(mcp_env, "--allow-writes", "--audit-log", str(audit))
    assert proc.returncode == 2
    assert (
        f"The audit log {audit} is readable or writable by other users (mode -rw-r--r--); "
        "it records what models did, so it was not used." in proc.stderr
    )
    assert f"Hint: Run: chmod 600 {audit}" in proc.stderr


async def test_default_audit_file_is_per_profile_and_private(
    mcp_emulator: Any, mcp_env: dict[str, str]
) -> None:
    async with _stdio(mcp_env, "--allow-writes") as client:
        s = Session(client)
        error, _ = await s.call("call_action", action="DeleteUser", params={"Id": 6})
        assert error
    folder = Path(mcp_env["TCX_DATA_DIR"]) / "mcp-audit"
    (audit,) = folder.iterdir()
    host = mcp_emulator.url.split("//", 1)[1]
    assert audit.name == f"url-{host.replace(':', '-')}.jsonl"
    assert _mode(audit) == 0o600
    assert _mode(folder) == 0o700
    (line,) = [json.loads(x) for x in audit.read_text().splitlines()]
    assert line["pbx"] == mcp_emulator.url
    assert (line["client"], line["client_version"]) == ("audit-test-client", "9.8.7")
    assert line["session"].startswith("stdio-")
    assert (line["action"], line["effect"], line["outcome"]) == ("DeleteUser", "delete", "refused")


def test_a_token_file_others_can_read_stops_the_http_server(
    mcp_emulator: Any, mcp_env: dict[str, str]
) -> None:
    host, port = mcp_emulator.url.split("//", 1)[1].split(":")
    folder = Path(mcp_env["TCX_CONFIG_DIR"]) / "mcp-tokens"
    folder.mkdir(mode=0o700)
    token = folder / f"url-{host}-{port}.token"
    token.write_text("leaked-token\n")
    os.chmod(token, 0o644)
    proc = _start(mcp_env, "--http", "127.0.0.1:0")
    assert proc.returncode == 2, proc.stderr
    assert (
        f"The MCP token file {token} is readable or writable by other users (mode -rw-r--r--); "
        "it lets a client in, so it was not used." in proc.stderr
    )
    assert f"Hint: Run: chmod 600 {token}" in proc.stderr
    assert "streamable HTTP at" not in proc.stderr
