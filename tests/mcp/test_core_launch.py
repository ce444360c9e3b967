"""The MCP server needs no CLI: built and served from Python, it connects through
``tcxkit.config`` and loads no ``tcxkit.cli`` module (checked in a fresh process);
an inventory PBX is a target for it like a profile."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tcxkit.config.inventory import PbxTarget, SecretRef, dump_inventory

from .conftest import Session, stdio_session

#: A server started the library way; on the way out it lists the CLI modules it loaded.
SERVER = """
import json, sys
from tcxkit.config.options import Options
from tcxkit.mcp.launch import McpOptions, run

try:
    run(Options(profile=sys.argv[2] if len(sys.argv) > 2 else None), McpOptions())
finally:
    cli = sorted(m for m in sys.modules if m == "tcxkit.cli" or m.startswith("tcxkit.cli."))
    if "keyring" in sys.modules:  # optional and lazy: only a keyring-stored key loads it
        cli.append("keyring")
    with open(sys.argv[1], "w") as fh:
        json.dump(cli, fh)
"""


async def _serve_from_python(env: dict[str, str], tmp_path: Path, *args: str) -> Any:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    report = tmp_path / "cli-modules.json"
    params = StdioServerParameters(
        command=sys.executable, args=[str(script), str(report), *args], env=env
    )
    async with Client(params) as client:
        s = Session(client)
        users = await s.ok("call_action", action="ListUser", top=2)
    return users, json.loads(report.read_text())


async def test_served_from_python_it_loads_no_cli_module(
    mcp_emulator: Any, mcp_env: dict[str, str], tmp_path: Path
) -> None:
    users, cli_modules = await _serve_from_python(mcp_env, tmp_path)
    assert len(users["items"]) == 2
    assert cli_modules == []
    assert [e["path"] for e in mcp_emulator.requests][-1] == "/xapi/v1/Users"


def _inventory(emu: Any, tmp_path: Path) -> Path:
    """An inventory of one PBX, ``pbx07`` (``emu``), its key in a 0600 file."""
    key = tmp_path / "pbx07.key"
    key.write_text(emu.client_secret)
    key.chmod(0o600)
    target = PbxTarget("pbx07", emu.url, emu.client_id, SecretRef("file", str(key)))
    inventory = tmp_path / "fleet.toml"
    inventory.write_text(dump_inventory([target]))
    return inventory


def _without_tcx_url(env: dict[str, str]) -> dict[str, str]:
    drop = ("TCX_URL", "TCX_CLIENT_ID", "TCX_CLIENT_SECRET")
    return {k: v for k, v in env.items() if k not in drop}


async def test_3cx_mcp_serves_an_inventory_pbx(
    mcp_emulator: Any, mcp_env: dict[str, str], tmp_path: Path
) -> None:
    inventory = _inventory(mcp_emulator, tmp_path)
    env = _without_tcx_url(mcp_env)
    mcp_emulator.clear_requests()
    async with stdio_session(env, "--inventory", str(inventory), "--pbx", "pbx07") as s:
        users = await s.ok("call_action", action="ListUser", top=2)
    assert len(users["items"]) == 2
    # pbx07 answered, not the built-in emulator `3cx mcp` falls back to
    assert "/xapi/v1/Users" in {e["path"] for e in mcp_emulator.requests}


async def test_an_inventory_pbx_is_its_target(
    mcp_emulator: Any, mcp_env: dict[str, str], tmp_path: Path
) -> None:
    env = _without_tcx_url(mcp_env)
    env["TCX_INVENTORY"] = str(_inventory(mcp_emulator, tmp_path))
    users, cli_modules = await _serve_from_python(env, tmp_path, "pbx07")
    assert len(users["items"]) == 2
    assert cli_modules == []  # no TCX_URL: the inventory entry alone named the PBX
