"""Start a backup and wait, in the triggerer, for the PBX's ``backup.completed`` event.

``ThreeCXEventSensor`` defers at once: the wait holds no worker slot.  It completes on
the first backup that completes after the DAG run started, and its XCom is the event
(``data.file_name``, ``data.size``), which the last task reports.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, task

from tcxkit.airflow import ThreeCXOperator
from tcxkit.airflow.events import ThreeCXEventSensor

with DAG(
    dag_id="threecx_backup_event",
    description="Back up the PBX and wait for its backup.completed event",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["3cx", "example", "events"],
) as dag:
    start_backup = ThreeCXOperator(
        task_id="start_backup",
        action="Backup",
        # run_after: every run has one (a manual run of an unscheduled DAG has no ds)
        body={
            "description": {
                "Name": "airflow-event-{{ dag_run.run_after.strftime('%Y%m%d%H%M%S') }}",
                "Contents": {},
            }
        },
    )
    backup_done = ThreeCXEventSensor(
        task_id="backup_done", type="backup.completed", interval=1, timeout=30 * 60
    )

    @task
    def report(event: dict[str, Any]) -> str:
        return f"{event['data']['file_name']}: {event['data']['size']} bytes"

    start_backup >> backup_done
    report(backup_done.output)
