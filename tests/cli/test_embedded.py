"""The embedded default: no settings -> a background emulator, reused, then stopped."""

from __future__ import annotations

import json
import os
import select
import signal
from pathlib import Path

from .conftest import BIN, Runner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_embedded_default_starts_reuses_and_stops(
    subprocess_bare: Runner, dirs: dict[str, Path]
) -> None:
    """Through real processes: the emulator must outlive the `3cx` that started it."""
    bare = subprocess_bare
    state_file = dirs["data"] / "emulator.json"
    try:
        # Not on PATH (a venv not activated, as after README command 1): the notes name
        # the command as it was run, so it works as printed.
        elsewhere = os.pathsep.join(
            d for d in os.environ.get("PATH", "").split(os.pathsep) if Path(d) != BIN.parent
        )
        r = bare("users", "list-user", "--select", "Number", env={"PATH": elsewhere})
        assert r.code == 0, r.err
        assert {"Number": "100"} in r.json()  # demo data on first start
        assert "using the built-in emulator at http://127.0.0.1:" in r.err
        assert f"`{BIN} login`" in r.err and "TCX_URL" in r.err
        assert (
            "It keeps running in the background and stops after 15 min without requests; "
            f"`{BIN} emulator stop` stops it now." in r.err
        )
        assert r.err.count("built-in emulator") == 1
        state = json.loads(state_file.read_text())
        assert oct(state_file.stat().st_mode & 0o777) == "0o600"
        assert Path(state["db"]).parent == dirs["data"]
        assert _alive(state["pid"])

        r = bare("users", "create-user", "--body", '{"Number": "160", "FirstName": "Kept"}')
        assert r.code == 0, r.err
        on_path = {"PATH": f"{BIN.parent}{os.pathsep}{elsewhere}"}  # `3cx` alone works
        r = bare(
            "users", "list-user", "--filter", "Number eq '160'", "--select", "FirstName",
            env=on_path,
        )  # fmt: skip
        assert r.json() == [{"FirstName": "Kept"}]
        assert json.loads(state_file.read_text())["pid"] == state["pid"]  # reused

        assert r.err == (
            f"3cx: using the built-in emulator at {state['url']} (no PBX configured; stops "
            "after 15 min without requests; `3cx emulator stop` stops it).\n"
        )

        r = bare("emulator", "status")
        assert r.out.startswith("running: " + state["url"])
        assert "stops after 15 min without requests" in r.out
        r = bare("doctor")
        assert f"emulator    built-in, running: {state['url']} (pid {state['pid']}" in r.out
    finally:
        r = bare("emulator", "stop")
    assert r.code == 0
    assert f"stopped the background emulator (pid {state['pid']}" in r.err
    assert not _alive(state["pid"])
    assert not state_file.exists()
    r = bare("emulator", "stop")
    assert r.code == 0 and "no background emulator is running" in r.err


def _wait_exit(pid: int, timeout: float) -> bool:
    """Block until ``pid`` (not our child) exits, without polling: a pidfd turns readable."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def test_embedded_emulator_stops_when_idle(subprocess_bare: Runner, dirs: dict[str, Path]) -> None:
    bare = subprocess_bare
    env = {"TCX_EMULATOR_IDLE_TIMEOUT": "1"}
    r = bare("users", "list-user", "--top", "1", "--select", "Number", env=env)
    assert r.code == 0, r.err
    assert "stops after 1 s without requests" in r.err
    pid = json.loads((dirs["data"] / "emulator.json").read_text())["pid"]
    try:
        assert _wait_exit(pid, 60), "the idle emulator did not stop"
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    assert "stopped after 1 s without a request" in (dirs["data"] / "emulator.log").read_text()
    r = bare("emulator", "status")
    assert (r.code, r.out) == (0, "not running\n")


def test_idle_timeout_setting_is_checked(bare: Runner, dirs: dict[str, Path]) -> None:
    (dirs["config"] / "config.toml").write_text('[emulator]\nidle_timeout = "soon"\n')
    r = bare("users", "list-user")
    assert r.code == 2
    assert "[emulator] idle_timeout: 'soon' is not a number of seconds >= 0." in r.err
