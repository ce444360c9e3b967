"""Each night, the day's call recordings of the PBX into an archive, verified.

``ThreeCXRecordingsArchiveOperator`` archives the recordings that started in the run's data
interval (a UTC day) with ``3cx recording archive``'s engine: each recording downloaded,
checked as a WAV, stored, read back and hashed, then given its manifest entry, under
``<connection id>/<day>/`` of the target. A re-run fetches only what is missing. Set
``delete_after_verify=True`` to free the PBX's disk once its copies are verified (each
delete batch is sent at most once).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, Param

from tcxkit.airflow import ThreeCXRecordingsArchiveOperator

TARGET = os.environ.get("TCXKIT_EXPORT_DIR", "/tmp/tcxkit-exports") + "/recordings"

with DAG(
    dag_id="threecx_recordings_archive",
    description="Archive each day's call recordings, verified, with a manifest",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "target": Param(TARGET, type="string", description="folder, sftp://... or s3://..."),
        # A connection whose extra holds the store's credentials (TCX_SFTP_*, AWS_*,
        # TCX_S3_ENDPOINT); empty: the worker's environment.
        "storage_conn_id": Param("", type="string", description="store credentials connection"),
    },
    tags=["3cx", "example", "recordings"],
) as dag:
    ThreeCXRecordingsArchiveOperator(
        task_id="archive_recordings",
        target="{{ params.target }}",
        storage_conn_id="{{ params.storage_conn_id }}",
        downloads=4,
    )
