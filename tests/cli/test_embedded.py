"""The embedded default: no settings -> a background emulator, reused, then stopped."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .conftest import Runner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_embedded_default_starts_reuses_and_stops(bare: Runner, dirs: dict[str, Path]) -> None:
    state_file = dirs["data"] / "emulator.json"
    try:
        r = bare("users", "list-user", "--select", "Number")
        assert r.code == 0, r.err
        assert {"Number": "100"} in r.json()  # demo data on first start
        assert "using the built-in emulator at http://127.0.0.1:" in r.err
        assert "3cx login" in r.err and "TCX_URL" in r.err
        assert r.err.count("built-in emulator") == 1
        state = json.loads(state_file.read_text())
        assert oct(state_file.stat().st_mode & 0o777) == "0o600"
        assert Path(state["db"]).parent == dirs["data"]
        assert _alive(state["pid"])

        r = bare("users", "create-user", "--body", '{"Number": "160", "FirstName": "Kept"}')
        assert r.code == 0, r.err
        r = bare("users", "list-user", "--filter", "Number eq '160'", "--select", "FirstName")
        assert r.json() == [{"FirstName": "Kept"}]
        assert json.loads(state_file.read_text())["pid"] == state["pid"]  # reused

        r = bare("emulator", "status")
        assert r.out.startswith("running: " + state["url"])
    finally:
        r = bare("emulator", "stop")
    assert r.code == 0
    assert f"stopped the background emulator (pid {state['pid']}" in r.err
    assert not _alive(state["pid"])
    assert not state_file.exists()
    r = bare("emulator", "stop")
    assert r.code == 0 and "no background emulator is running" in r.err
