"""The provider on a real distributed executor: CeleryExecutor, two worker "hosts".

One deployment (tests/airflow/airflow_cluster.py: Redis, PostgreSQL, scheduler, API server, DAG
processor, triggerer and two Celery workers whose HOME and token cache directories differ)
serves the whole module; it takes 1 to 2 minutes to start. The emulator keeps one active
token per API client, as a PBX does, so workers that fought over the token would show 401s
and failed tasks here. The per-host-cache baseline (token_store=file) is not re-run here:
its failures depend on timing; bench/bench_airflow_cluster.py measures it and
docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_cluster import POOL_SLOTS, WORKERS, Cluster, wait_for
from events_helpers import EVENT_EXAMPLES, Inbox, event_bundle, missed_call, trunk_online

TASKS = int(os.environ.get("TCXKIT_CLUSTER_TASKS", "200"))  # fewer only while developing


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    """Where the event-driven example DAGs post tickets and notifications."""
    box = Inbox()
    yield box
    box.close()


@pytest.fixture(scope="module")
def cluster(emulator: Any, inbox: Inbox, tmp_path_factory: Any) -> Iterator[Cluster]:
    conn = {
        "conn_type": "threecx",
        "host": emulator.url,
        "login": emulator.client_id,
        "password": emulator.client_secret,
    }
    env = {
        "TCXKIT_CLUSTER_TASKS": str(TASKS),
        "TICKETS_URL": f"{inbox.url}/tickets",
        "NOTIFY_URL": f"{inbox.url}/notify",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # the event DAGs watch at once
        # the cluster's own DAGs plus the event-driven examples (examples/airflow)
        **event_bundle(tmp_path_factory.mktemp("event-dags"), EVENT_EXAMPLES),
    }
    deployment = Cluster({"threecx_cluster": conn, "threecx_default": conn}, env=env)
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def token_requests(emulator: Any) -> int:
    return sum(1 for r in emulator.requests if r["path"] == "/connect/token")


def most_at_once(intervals: list[tuple[Any, Any]]) -> int:
    """The largest number of tasks running at the same moment (from their start/end dates)."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


@pytest.fixture(scope="module")
def users_run(cluster: Cluster, emulator: Any) -> dict[str, Any]:
    """One run of the 200-task DAG, with the emulator's request log of that run."""
    emulator.clear_requests()
    run = cluster.run_dag("tcxkit_cluster_users")
    return {**run, "requests": list(emulator.requests)}


def test_two_worker_hosts_share_one_token_through_the_airflow_store(
    cluster: Cluster, users_run: dict[str, Any]
) -> None:
    run = users_run
    states = Counter(state for _task, _idx, state, *_ in run["tis"])
    assert run["state"] == "success", (states, cluster.logs())
    assert states == {"success": TASKS + 2}  # list_users, spread, 200 x get_user

    requests = run["requests"]
    gets = [r for r in requests if r["path"].startswith("/xapi/v1/Users(")]
    assert len(gets) == TASKS and all(r["status"] == 200 for r in gets)
    assert sum(1 for r in requests if r["path"] == "/connect/token") <= 3
    assert not [r for r in requests if r["status"] == 401]

    # Both worker hosts ran tasks of this run (each line is one task handed to a worker).
    for n in range(1, WORKERS + 1):
        log = (cluster.root / f"worker{n}.log").read_text(errors="replace")
        assert log.count(run["run_id"]) > 0, f"worker{n} ran nothing"

    # Item 3: every call ran in the connection's pool, which bounded the burst (the two
    # workers have 10 slots between them; the pool has 8).
    mapped = [ti for ti in run["tis"] if ti[0] == "get_user"]
    assert {ti[3] for ti in mapped} == {"threecx_threecx_cluster"}
    assert 2 <= most_at_once([(ti[4], ti[5]) for ti in mapped]) <= POOL_SLOTS


def test_the_shared_token_is_encrypted_at_rest_and_masked_in_task_logs(
    cluster: Cluster, users_run: dict[str, Any]
) -> None:
    from cryptography.fernet import Fernet

    rows = cluster.query(
        "select key, val, is_encrypted from variable where key like %s", "tcxkit_token_%"
    )
    entries = {key: (val, encrypted) for key, val, encrypted in rows}
    (key,) = [k for k in entries if not k.endswith("_lock")]
    raw, encrypted = entries[key]
    assert encrypted
    fernet = Fernet(cluster.env["AIRFLOW__CORE__FERNET_KEY"].encode())
    entry = json.loads(fernet.decrypt(raw.encode()))
    token = entry["access_token"]
    assert token not in raw and entry["fetched_at"] <= entry["expires_at"]
    for path in (cluster.root / "airflow" / "logs").rglob("*.log*"):
        assert token not in path.read_text(errors="replace"), path
    for path in cluster.root.glob("*.log"):
        assert token not in path.read_text(errors="replace"), path


def test_the_metadata_database_refuses_a_wrong_password_and_no_log_shows_the_right_one(
    cluster: Cluster, users_run: dict[str, Any]
) -> None:
    import psycopg2

    # The scheduler, workers and API server got in with the generated password (the run
    # above succeeded); the server refuses any other, as a deployed one does.
    refusals = {
        "not-the-password": 'FATAL:  password authentication failed for user "airflow"',
        "": "fe_sendauth: no password supplied",
    }
    for wrong, message in refusals.items():
        with pytest.raises(psycopg2.OperationalError, match=message):
            psycopg2.connect(cluster.pg.url, password=wrong, connect_timeout=10).close()
    rules = cluster.query("select auth_method from pg_hba_file_rules")
    assert rules and set(rules) == {("scram-sha-256",)}  # no line trusts anyone

    secret = cluster.pg_password
    assert secret in cluster.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]  # configured...
    assert secret not in repr(cluster) and secret not in repr(cluster.pg)  # ...never shown
    for path in [*cluster.root.glob("*.log"), *(cluster.root / "airflow" / "logs").rglob("*")]:
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path


def test_a_deferrable_sensor_waits_in_the_triggerer(
    cluster: Cluster, users_run: dict[str, Any], emulator: Any
) -> None:
    before = token_requests(emulator)
    run = cluster.run_dag("tcxkit_cluster_backup", timeout=300)
    states = {task: state for task, _idx, state, *_ in run["tis"]}
    assert run["state"] == "success", (states, cluster.logs())
    assert states == {"start_backup": "success", "wait_for_backup": "success"}

    logs = cluster.root / "airflow" / "logs" / "dag_id=tcxkit_cluster_backup"
    task_dir = logs / f"run_id={run['run_id']}" / "task_id=wait_for_backup"
    worker_log = (task_dir / "attempt=1.log").read_text()
    assert "handing the wait to the triggerer" in worker_log
    assert "Pausing task as DEFERRED" in worker_log
    assert re.search(r"condition holds after \d+ check\(s\) in the triggerer", worker_log)
    (trigger_log,) = [p for p in task_dir.iterdir() if ".trigger." in p.name]
    assert "condition holds (check" in Path(trigger_log).read_text()
    # The triggerer found the workers' token in the Airflow store: no new token request.
    assert token_requests(emulator) == before


# -- issue #23: event-driven scheduling ------------------------------------------------------
def asset_runs(cluster: Cluster, dag_id: str) -> list[tuple[str, str]]:
    return [
        (run_id, state)
        for run_id, state in cluster.query(
            "select run_id, state from dag_run where dag_id = %s and run_type = %s order by id",
            dag_id,
            "asset_triggered",
        )
    ]


def finished_runs(cluster: Cluster, dag_id: str, count: int) -> list[tuple[str, str]]:
    def done() -> list[tuple[str, str]] | None:
        runs = asset_runs(cluster, dag_id)
        finished = [r for r in runs if r[1] in ("success", "failed")]
        return runs if len(finished) >= count and len(finished) == len(runs) else None

    return wait_for(done, f"{count} finished runs of {dag_id}", 180, cluster.procs)


def watching(cluster: Cluster, types: list[str]) -> None:
    """Until the watcher of ``types`` polled once (its baseline): changes after it are new.

    The event DAGs are active from their first parse (DAGS_ARE_PAUSED_AT_CREATION off),
    so their watchers start with the deployment, while the other tests run."""
    line = f"threecx_default {types}: first poll done"
    log = cluster.root / "triggerer.log"
    wait_for(lambda: line in log.read_text(errors="replace"), line, 180, cluster.procs)


def test_a_dag_runs_per_missed_call_and_each_opens_one_ticket(
    cluster: Cluster, emulator: Any, inbox: Inbox
) -> None:
    dag_id = "threecx_missed_call_ticket"
    watching(cluster, ["call.missed"])
    calls = []
    for n in range(3):  # one at a time: each becomes its own asset event and DAG run
        calls.append(missed_call(emulator, f"+44113496040{n}"))
        runs = finished_runs(cluster, dag_id, n + 1)
    assert [state for _, state in runs] == ["success"] * 3, cluster.logs()
    tickets = inbox.wait(3, "/tickets", 60)
    assert [t[2]["call"]["call_id"] for t in tickets] == calls
    assert [t[2]["subject"] for t in tickets] == [
        f"Missed call from +44113496040{n}" for n in range(3)
    ]
    assert len({t[1]["idempotency-key"] for t in tickets}) == 3


def test_a_trunk_going_down_sends_one_notification(
    cluster: Cluster, emulator: Any, inbox: Inbox
) -> None:
    dag_id = "threecx_trunk_down_notify"
    watching(cluster, ["trunk.down"])
    trunk_online(emulator, "10000", False)
    try:
        (run,) = finished_runs(cluster, dag_id, 1)
        assert run[1] == "success", cluster.logs()
        (note,) = inbox.wait(1, "/notify", 60)
    finally:
        trunk_online(emulator, "10000", True)
    assert (
        note[2]["text"] == f"3CX threecx_default: trunk {note[2]['event']['data']['name']} is down"
    )
    assert note[2]["event"]["type"] == "trunk.down"
    assert note[2]["event"]["data"]["number"] == "10000"


def test_the_event_sensor_completes_on_backup_completed_in_the_triggerer(
    cluster: Cluster, emulator: Any
) -> None:
    run = cluster.run_dag("threecx_backup_event", timeout=300)
    states = {task: state for task, _idx, state, *_ in run["tis"]}
    assert run["state"] == "success", (states, cluster.logs())
    assert states == {"start_backup": "success", "backup_done": "success", "report": "success"}
    task_dir = (
        cluster.root / "airflow" / "logs" / "dag_id=threecx_backup_event"
        / f"run_id={run['run_id']}" / "task_id=backup_done"
    )  # fmt: skip
    worker_log = (task_dir / "attempt=1.log").read_text()
    assert "waiting in the triggerer for ['backup.completed']" in worker_log
    assert re.search(r"backup\.completed evt_[0-9a-f]{32} at ", worker_log)
    (trigger_log,) = [p for p in task_dir.iterdir() if ".trigger." in p.name]
    assert "event backup.completed evt_" in Path(trigger_log).read_text()
