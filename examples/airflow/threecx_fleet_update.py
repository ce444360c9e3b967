"""The weekend update roll-out: a canary first, then the fleet in batches, stopping at a failure.

The fleet is fixed when the DAG is parsed -- a DAG's shape cannot change per run -- from
``TCXKIT_UPDATE_FLEET`` (comma-separated ``threecx`` connection ids, in roll-out order),
cut into waves by the core's rule (:func:`tcxkit.updates.waves`: the first
``TCXKIT_UPDATE_CANARY`` PBXs, then batches of ``TCXKIT_UPDATE_BATCH``). Each wave is a task
group with one mapped ``ThreeCXUpdateOperator`` task per PBX, and each wave runs only when
every task of the wave before it succeeded: a failed PBX lets its own wave finish (an
update under way is never abandoned) and leaves every later wave *upstream failed* --
not attempted. Skipped PBXs (current, outside the window, another version) succeed.

Every PBX is backed up, verified, into ``target`` before anything is installed; nothing is
rolled back by itself (the failed task's log names the backup to restore from).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Param, TaskGroup

from tcxkit.airflow import ThreeCXUpdateOperator
from tcxkit.updates import waves

FLEET = [c.strip() for c in os.environ.get("TCXKIT_UPDATE_FLEET", "threecx_default").split(",")]
CANARY = int(os.environ.get("TCXKIT_UPDATE_CANARY", "1"))
BATCH = int(os.environ.get("TCXKIT_UPDATE_BATCH", "5"))
TARGET = os.environ.get("TCXKIT_EXPORT_DIR", "/tmp/tcxkit-exports") + "/update-backups"

with DAG(
    dag_id="threecx_fleet_update",
    description="Weekend PBX updates: canary first, then batches, each after a verified backup",
    schedule="0 1 * * 6",  # Saturday 01:00 UTC; each PBX's own window decides within it
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "target": Param(TARGET, type="string", description="backups: folder, sftp://, s3://"),
        "window": Param("Sat 01:00-06:00", type="string", description="'' for any time"),
        "version": Param("", type="string", description="only this version ('' for any)"),
    },
    tags=["3cx", "example", "fleet", "updates"],
) as dag:
    previous = None
    for number, wave in enumerate(waves([c for c in FLEET if c], CANARY, BATCH), 1):
        name = "canary" if number == 1 and CANARY else f"batch_{number - (1 if CANARY else 0)}"
        with TaskGroup(name) as group:
            ThreeCXUpdateOperator.partial(
                task_id="update",
                target="{{ params.target }}",
                window="{{ params.window }}",
                version="{{ params.version }}",
                pool="default_pool",
                map_index_template="{{ task.threecx_conn_id }}",
            ).expand(threecx_conn_id=wave)
        if previous is not None:
            previous >> group
        previous = group
