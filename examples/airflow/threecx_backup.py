"""Back up the PBX, wait for the backup file to be listed, then download it.

``Backup`` only starts a backup (3CX writes it asynchronously); the sensor waits in the
triggerer (``deferrable=True``: no worker slot held while the PBX writes), polling
``ListBackups`` until a file with this run's name shows up, and hands that listing entry
downstream. XAPI has no operation for backup files: each listed backup carries a
``DownloadLink`` relative to the PBX, fetched with the same token by
``ThreeCXHook.download_link``. The file lands under ``$TCXKIT_EXPORT_DIR``/backups/.
"""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from tcxkit.airflow import ThreeCXHook, ThreeCXOperator, ThreeCXSensor

EXPORT_DIR = os.environ.get("TCXKIT_EXPORT_DIR", "/tmp/tcxkit-exports")
BACKUP_NAME = "airflow-{{ ds_nodash }}"

with DAG(
    dag_id="threecx_backup",
    description="Back up the 3CX PBX and download the backup file",
    schedule="0 3 * * 0",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["3cx", "example"],
) as dag:
    start_backup = ThreeCXOperator(
        task_id="start_backup",
        action="Backup",
        body={
            "description": {
                "Name": BACKUP_NAME,
                "Contents": {"CallHistory": True, "Recordings": False, "VoiceMails": True},
            }
        },
    )

    wait_for_backup = ThreeCXSensor(
        task_id="wait_for_backup",
        action="ListBackups",
        condition={
            "op": "any",
            "where": {"path": "FileName", "op": "startswith", "value": BACKUP_NAME},
        },
        poke_interval=60,
        timeout=2 * 60 * 60,
        deferrable=True,
    )

    @task
    def download(backup: dict[str, Any], ds_nodash: str | None = None) -> dict[str, Any]:
        """Fetch the listed backup; returns {"path", "bytes", ...} for downstream tasks."""
        path = f"{EXPORT_DIR}/backups/{backup['FileName']}"
        return ThreeCXHook().download_link(backup["DownloadLink"], path)

    start_backup >> wait_for_backup
    download(wait_for_backup.output)
