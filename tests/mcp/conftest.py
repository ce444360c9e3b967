"""Fixtures: ``3cx mcp`` driven by the MCP SDK's own client, over stdio and streamable HTTP.

One emulator for this directory (demo data plus 2 000 extra call-log rows, so the
call log holds 5 000); each server is the installed ``3cx mcp`` in a subprocess with
isolated config, data and cache directories, connected through ``TCX_*`` variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.emulator.domain.storyline import STORY_SEGMENTS

BIN = Path(sys.executable).with_name("3cx")
SECRET = "mcp-test-secret-7Qx2"
#: 3 000 random demo segments, the demo's scripted calls and the 2 000 of scale=2000.
CALL_LOG_ROWS = 5000 + STORY_SEGMENTS


@pytest.fixture(scope="session")
def mcp_emulator() -> Iterator[Any]:
    config = EmulatorConfig(client_id="mcp-tests", client_secret=SECRET, data="demo", scale=2000)
    with running(config) as emu:
        yield emu


def client_env(emu: Any, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``3cx`` process connected to ``emu``, with isolated directories."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
    for name in ("config", "data", "cache"):
        (tmp_path / name).mkdir()
        env[f"TCX_{name.upper()}_DIR"] = str(tmp_path / name)
    env.update(
        TCX_URL=emu.url,
        TCX_CLIENT_ID=emu.client_id,
        TCX_CLIENT_SECRET=emu.client_secret,
        TCX_NO_KEYRING="1",
    )
    return env


@pytest.fixture
def mcp_env(mcp_emulator: Any, tmp_path: Path) -> dict[str, str]:
    return client_env(mcp_emulator, tmp_path)


@dataclass
class Session:
    """An MCP client session plus every tool answer it saw (for the secrets scan)."""

    client: Client
    seen: list[str] = field(default_factory=list)

    async def call(self, tool: str, **args: Any) -> tuple[bool, str]:
        """``(is_error, text)`` of one tool call."""
        result = await self.client.call_tool(tool, args)
        text = "".join(getattr(c, "text", "") for c in result.content)
        self.seen.append(text)
        return bool(result.is_error), text

    async def ok(self, tool: str, **args: Any) -> Any:
        """The JSON answer of a tool call that must succeed."""
        error, text = await self.call(tool, **args)
        assert not error, text
        return json.loads(text)


@asynccontextmanager
async def stdio_session(env: dict[str, str], *args: str) -> AsyncIterator[Session]:
    params = StdioServerParameters(command=str(BIN), args=["mcp", *args], env=env)
    async with Client(params) as client:
        yield Session(client)


@dataclass
class HttpServer:
    """A running ``3cx mcp --http``: its URL, the bearer token it printed, its stderr so far."""

    url: str
    token: str
    proc: subprocess.Popen[str]
    notes: list[str]


@contextmanager
def http_server(env: dict[str, str], *args: str, bind: str = "127.0.0.1:0") -> Iterator[HttpServer]:
    """``3cx mcp --http BIND``: the server says on stderr which port it chose, and the token."""
    proc = subprocess.Popen(
        [str(BIN), "mcp", "--http", bind, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)  # a server that never announces must not hang
    watchdog.start()
    try:
        assert proc.stderr is not None
        url, token, notes = "", "", []
        for line in proc.stderr:
            notes.append(line)
            if "new bearer token" in line:
                token = line.rsplit(": ", 1)[1].strip()
            if "streamable HTTP at " in line:
                url = line.split("streamable HTTP at ", 1)[1].strip()
                break
        assert url.startswith("http://"), f"server did not start (exit {proc.poll()}): {notes}"
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
        yield HttpServer(url, token, proc, notes)
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.wait(timeout=30)


@asynccontextmanager
async def http_session(env: dict[str, str], *args: str) -> AsyncIterator[Session]:
    """An MCP session over streamable HTTP, with the server's bearer token."""
    with http_server(env, *args) as server:
        async with connect_http(server.url, server.token) as session:
            yield session


@asynccontextmanager
async def connect_http(url: str, token: str, **client: Any) -> AsyncIterator[Session]:
    """An MCP session with the bearer token (``client``: more arguments of the SDK's Client)."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(30, read=300)
    )
    async with http, Client(streamable_http_client(url, http_client=http), **client) as session:
        yield Session(session)


def demo_secrets(emu: Any) -> set[str]:
    """The demo users' passwords, read with the library (which does not mask), and the API key.

    4-digit PINs are left out: they occur by chance in timestamps and numbers (the
    tests check that PIN fields come back masked instead).
    """
    from tcxkit import Client as TcxClient

    fields = ["AccessPassword", "AuthPassword", "VMPIN", "DeskphonePassword"]
    with TcxClient(emu.url, emu.client_id, SECRET, token_cache=False) as c:
        users = c.call("ListUser", select=fields, top=100)["value"]
    found = {u[f] for u in users for f in fields if isinstance(u.get(f), str) and len(u[f]) >= 8}
    assert found, "the demo PBX should hold some secrets to look for"
    return found | {SECRET}
