"""The example DAGs of examples/airflow, run end to end with ``dag.test()`` on the emulator."""

from __future__ import annotations

import csv
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pendulum
import pytest

from tcxkit import Client

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "airflow"
OUT = Path(os.environ.get("TCXKIT_EXPORT_DIR", "/nonexistent"))


def task_states(dag_run: Any) -> dict[str, str]:
    return {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in dag_run.get_task_instances()}


@pytest.fixture
def client(emulator: Any) -> Client:
    return Client(emulator.url, emulator.client_id, emulator.client_secret)


def test_call_log_export_writes_the_days_calls(
    airflow_db: None, emulator: Any, load_dag: Any
) -> None:
    dag = load_dag(EXAMPLES / "threecx_call_log_export.py", "threecx_call_log_export")
    emulator.clear_requests()
    today = pendulum.today("UTC")  # the demo PBX has calls on each of the last 28 days
    day = today.subtract(days=1)
    dag_run = dag.test(logical_date=today)
    assert str(dag_run.state) == "success", task_states(dag_run)

    period = f"periodFrom={day.isoformat()},periodTo={today.isoformat()}"
    calls = [r["path"] for r in emulator.requests if "GetCallLogData" in r["path"]]
    assert calls and all(period in p for p in calls), (period, calls)
    jsonl = OUT / "call-log" / f"{day:%Y-%m-%d}.jsonl"
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    with (OUT / "call-log" / f"{day:%Y-%m-%d}.csv").open(newline="", encoding="utf-8") as hdl:
        csv_rows = list(csv.DictReader(hdl))
    assert rows and len(csv_rows) == len(rows)
    assert all(r["StartTime"].startswith(f"{day:%Y-%m-%d}") for r in rows)
    assert [r["SegmentId"] for r in rows] == [int(r["SegmentId"]) for r in csv_rows]


def test_bulk_users_creates_each_row_once(
    airflow_db: None, emulator: Any, load_dag: Any, client: Client
) -> None:
    dag = load_dag(EXAMPLES / "threecx_bulk_users.py", "threecx_bulk_users")
    dag_run = dag.test()
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert sum(k.startswith("create_user[") for k in states) == 3

    with (EXAMPLES / "users.csv").open(newline="") as handle:
        wanted = {row["Number"]: row for row in csv.DictReader(handle)}
    users = client.call("ListUser", filter="Number ge '310' and Number le '312'")["value"]
    assert {u["Number"]: (u["FirstName"], u["EmailAddress"]) for u in users} == {
        n: (row["FirstName"], row["EmailAddress"]) for n, row in wanted.items()
    }

    again = dag.test()  # every row exists now: nothing to create, still a success
    assert str(again.state) == "success", task_states(again)
    assert len(client.call("ListUser", filter="Number ge '310' and Number le '312'")["value"]) == 3


def test_backup_then_download(
    airflow_db: None, emulator: Any, load_dag: Any, client: Client
) -> None:
    dag = load_dag(EXAMPLES / "threecx_backup.py", "threecx_backup")
    # The emulator lists a backup 2 s after it was started (config option backup_delay), so
    # the deferred sensor's trigger really polls; every second instead of the example's minute.
    dag.task_dict["wait_for_backup"].poke_interval = 1
    emulator.clear_requests()
    dag_run = dag.test(logical_date=pendulum.datetime(2024, 3, 3, 3, tz="UTC"))
    assert str(dag_run.state) == "success", task_states(dag_run)

    listed = {b["FileName"]: b for b in client.call("ListBackups")["value"]}
    backup = next(b for name, b in listed.items() if name.startswith("airflow-20240303"))
    path = OUT / "backups" / backup["FileName"]
    assert path.stat().st_size == backup["Size"] > 0
    assert zipfile.is_zipfile(path)

    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session

    # The wait happened in the trigger (dag.test() runs it in line): several polls of
    # ListBackups, and not one reschedule of the task.
    polls = [r for r in emulator.requests if r["path"].startswith("/xapi/v1/Backups")]
    assert len(polls) >= 2, polls
    ti = dag_run.get_task_instance("wait_for_backup")
    with create_session() as session:
        assert session.query(TaskReschedule).filter(TaskReschedule.ti_id == ti.id).count() == 0
