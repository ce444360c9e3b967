"""``3cx --fleet SELECTOR events watch|relay``: one watcher per PBX in one process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig
from tcxkit.emulator.fleet import running_fleet

from .conftest import Cli
from .receiver import SECRET, Receiver


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    path = tmp_path_factory.mktemp("events-fleet") / "fleet.toml"
    with running_fleet(2, path, EmulatorConfig(data="demo")) as fleet:
        yield fleet


def _call(instance: Any, caller: str) -> int:
    with httpx.Client(base_url=instance.url, auth=instance.control_auth) as http:
        started = http.post("/emulator/calls", json={"from": caller, "to": "800"}).json()["Id"]
        ended = http.post(f"/emulator/calls/{started}/end", json={"answered": False})
        return int(ended.json()["CallId"])


def test_watch_a_fleet(tcx: Cli, lab: Any, tmp_path: Path) -> None:
    base = ("--inventory", str(lab.inventory), "--fleet", "all", "events", "watch", "--once",
            "--cursor", str(tmp_path / "c.sqlite"), "--type", "call.missed")  # fmt: skip
    code, out, err = tcx(*base)
    assert (code, out) == (0, ""), err
    made = {
        "pbx01": _call(lab.instances[0], "+441134960001"),
        "pbx02": _call(lab.instances[1], "+441134960002"),
    }
    code, out, err = tcx(*base)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert sorted((e["pbx"], e["data"]["call_id"]) for e in events) == sorted(made.items())
    code, out, _ = tcx(*base)
    assert (code, out) == (0, "")


def test_relay_a_fleet_and_a_pbx_that_is_down(
    tcx: Cli, lab: Any, receiver: Receiver, tmp_path: Path
) -> None:
    args = ("--inventory", str(lab.inventory), "--fleet", "all", "events", "relay", "--once",
            "--to", receiver.url, "--secret-env", "HOOK_SECRET", "--cursor",
            str(tmp_path / "c.sqlite"), "--dead-letter", str(tmp_path / "d.jsonl"),
            "--type", "call.missed")  # fmt: skip
    env = {"HOOK_SECRET": SECRET}
    assert tcx(*args, env=env)[0] == 0
    first = _call(lab.instances[0], "+441134960111")
    second = _call(lab.instances[1], "+441134960222")
    code, _, err = tcx(*args, env=env)
    assert code == 0, err
    got = sorted((e["pbx"], e["data"]["call_id"]) for e in receiver.accepted())
    assert got == [("pbx01", first), ("pbx02", second)]
    assert all(r["verified"] for r in receiver.requests)

    # pbx02 unreachable: pbx01's events still go; the run says which PBX failed (exit 10).
    third = _call(lab.instances[0], "+441134960333")
    with httpx.Client(base_url=lab.instances[1].url, auth=lab.instances[1].control_auth) as h:
        h.post("/emulator/faults", json={"path": "/xapi/v1/*", "status": 503})
        try:
            code, _, err = tcx(*args, env=env)
        finally:
            h.delete("/emulator/faults")
    assert code == 10
    assert "1 of 2 PBXs failed (pbx02: server error)" in err
    assert receiver.accepted()[-1]["data"]["call_id"] == third


def test_replay_a_fleet_reads_the_fleet_relays_dead_letters(
    tcx: Cli, lab: Any, receiver: Receiver, tmp_path: Path
) -> None:
    fleet = ("--inventory", str(lab.inventory), "--fleet", "all", "events")
    args = (*fleet, "relay", "--once", "--to", receiver.url, "--cursor",
            str(tmp_path / "c.sqlite"), "--type", "call.missed", "--park-after", "0")  # fmt: skip
    assert tcx(*args)[0] == 0
    call = _call(lab.instances[0], "+441134960444")
    receiver.down = True
    code, _, err = tcx(*args)
    assert code == 0 and "parked in" in err, err
    dead = err.split("parked in ", 1)[1].split(" after ", 1)[0]
    receiver.down = False
    code, _, err = tcx(*fleet, "replay", "--to", receiver.url)
    assert code == 0 and f"1 parked event(s) delivered, 0 still failing ({dead})" in err, err
    assert receiver.accepted()[-1]["data"]["call_id"] == call
