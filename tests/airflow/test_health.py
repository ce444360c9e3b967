"""The nightly fleet health example end to end over three emulated PBXs: a healthy one
succeeds, one that only warns succeeds, one with a failing check fails with the evidence
and fix in its log; each report is an XCom value."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from test_examples import task_states
from test_fleet_dags import CONNS, fleet  # noqa: F401  (the three PBXs and connections)

from conftest import EXAMPLES


def test_the_fleet_health_dag(
    airflow_db: None,
    fleet: Any,  # noqa: F811  (the fixture imported above)
    load_dag: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    warn, fail = fleet.instances[1], fleet.instances[2]
    url = "/emulator/pbx-health"
    httpx.patch(warn.url + url, json={"disk": {"used_percent": 85}}, auth=warn.control_auth)
    httpx.patch(fail.url + url, json={"services": {"3CXCallFlow01": "Stopped"}},
                auth=fail.control_auth)  # fmt: skip
    try:
        dag = load_dag(EXAMPLES / "threecx_fleet_health.py", "threecx_fleet_health")
        capfd.readouterr()
        run = dag.test(run_conf={"connections": CONNS})
    finally:
        httpx.patch(warn.url + url, json={"disk": {"used_percent": 23}}, auth=warn.control_auth)
        httpx.patch(fail.url + url, json={"services": {"3CXCallFlow01": "Running"}},
                    auth=fail.control_auth)  # fmt: skip
    states = {k: v for k, v in task_states(run).items() if k.startswith("health")}
    assert states == {"health[0]": "success", "health[1]": "success", "health[2]": "failed"}
    assert str(run.state) == "failed"
    log = "".join(capfd.readouterr())
    assert "WARN disk_space (critical): The disk is 85% full." in log
    assert "FAIL services (critical): Not running: 3CXCallFlow01." in log
    assert "1 health check(s) fail on connection 'threecx_pbx03': services" in log
