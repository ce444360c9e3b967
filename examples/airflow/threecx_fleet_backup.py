"""Every night, back up every PBX of the fleet into one store: one task per PBX.

The fleet is a list of ``threecx`` connection ids (the ``connections`` param); each gets a
mapped ``ThreeCXBackupOperator`` task, which takes the PBX's backup, waits for it, streams
it, **verifies** it and stores it with its manifest entry under ``<connection id>/`` of the
``target`` (a folder, ``sftp://...`` or ``s3://...``; credentials from the worker's
environment or the connection named by the ``storage_conn_id`` param, never the target). A PBX whose backup fails or does not
verify fails its own task, stores nothing, and never stops the others; each task's XCom
value is its manifest entry. ``3cx backup verify|list|prune TARGET`` work on the same store.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Param, task

from tcxkit.airflow import ThreeCXBackupOperator

TARGET = os.environ.get("TCXKIT_EXPORT_DIR", "/tmp/tcxkit-exports") + "/fleet-backups"

with DAG(
    dag_id="threecx_fleet_backup",
    description="Nightly verified backups of every PBX, with a manifest",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "connections": Param(["threecx_default"], type="array", description="PBX connections"),
        "target": Param(TARGET, type="string", description="folder, sftp://... or s3://..."),
        # A connection whose extra holds the store's credentials (TCX_SFTP_*, AWS_*,
        # TCX_S3_ENDPOINT); empty: the worker's environment.
        "storage_conn_id": Param("", type="string", description="store credentials connection"),
    },
    tags=["3cx", "example", "fleet", "backup"],
) as dag:

    @task
    def fleet(**context: object) -> list[str]:
        """The connection ids of the ``connections`` param, one mapped task each."""
        return list(context["params"]["connections"])  # type: ignore[index]

    ThreeCXBackupOperator.partial(
        task_id="backup",
        target="{{ params.target }}",
        storage_conn_id="{{ params.storage_conn_id }}",
        pool="default_pool",
        map_index_template="{{ task.threecx_conn_id }}",
        max_active_tis_per_dag=4,  # PBXs backing up at once (each streams its archive)
        wait=1800,
    ).expand(threecx_conn_id=fleet())
