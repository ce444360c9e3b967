"""The fleet examples end to end: nightly drift check and roll-out over three emulated PBXs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_examples import task_states

from conftest import EXAMPLES, fleet_connections

CONNS = ["threecx_pbx01", "threecx_pbx02", "threecx_pbx03"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Three demo PBXs on one emulator server, one Airflow connection each."""
    with fleet_connections(CONNS, tmp_path_factory.mktemp("fleet")) as emulated:
        yield emulated


def _conf(state_file: Path | str, conns: list[str] = CONNS) -> dict[str, Any]:
    return {"connections": conns, "state_file": str(state_file)}


def test_drift_fails_the_drifted_pbxs_with_the_plan_in_the_log(
    airflow_db: None, fleet: Any, load_dag: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    rollout = load_dag(EXAMPLES / "threecx_fleet_rollout.py", "threecx_fleet_rollout")
    drift = load_dag(EXAMPLES / "threecx_fleet_drift.py", "threecx_fleet_drift")
    standard = EXAMPLES / "standard.yaml"

    first = rollout.test(run_conf=_conf(standard, CONNS[:1]))  # pbx01 follows the standard
    assert str(first.state) == "success", task_states(first)

    capfd.readouterr()
    run = drift.test(run_conf=_conf(standard))  # dag.test() prints the task logs
    states = task_states(run)
    assert str(run.state) == "failed"
    assert {k: v for k, v in states.items() if k.startswith("drift")} == {
        "drift[0]": "success",
        "drift[1]": "failed",
        "drift[2]": "failed",
    }
    log = "".join(capfd.readouterr())
    assert "Plan for connection threecx_pbx02 against" in log
    assert "  + MSP_SUPPORT_LINE (create)" in log
    assert "Plan: 2 to create, 0 to update, 0 to delete." in log
    assert "The PBX of connection 'threecx_pbx03' has drifted from its state file" in log


def test_rollout_makes_every_pbx_match_and_is_idempotent(
    airflow_db: None, fleet: Any, load_dag: Any, tmp_path: Path
) -> None:
    customer = tmp_path / "threecx_pbx02.yaml"
    customer.write_text(f"extends: {EXAMPLES / 'standard.yaml'}\ngroups:\n  Night desk: {{}}\n")
    for conn in CONNS:
        if conn != "threecx_pbx02":
            (tmp_path / f"{conn}.yaml").write_text(f"extends: {EXAMPLES / 'standard.yaml'}\n")
    rollout = load_dag(EXAMPLES / "threecx_fleet_rollout.py", "threecx_fleet_rollout")
    drift = load_dag(EXAMPLES / "threecx_fleet_drift.py", "threecx_fleet_drift")
    per_pbx = tmp_path / "{pbx}.yaml"

    run = rollout.test(run_conf=_conf(per_pbx))
    assert str(run.state) == "success", task_states(run)
    for emu in fleet.instances:
        emu.clear_requests()
    again = rollout.test(run_conf=_conf(per_pbx))  # nothing left to change
    assert str(again.state) == "success", task_states(again)
    writes = [
        (emu.url, r["method"], r["path"])
        for emu in fleet.instances
        for r in emu.requests
        if r["method"] in ("POST", "PATCH", "DELETE") and r["path"] != "/connect/token"
    ]
    assert writes == []

    checked = drift.test(run_conf=_conf(per_pbx))
    assert str(checked.state) == "success", task_states(checked)
    from tcxkit import Client

    pbx02 = fleet.instances[1]
    with Client(pbx02.url, pbx02.client_id, pbx02.client_secret, token_cache=False) as c:
        names = {g["Name"] for g in c.call("ListGroup", select=["Name"])["value"]}
    assert {"Out of hours", "Night desk"} <= names
