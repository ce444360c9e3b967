"""Nightly call-log export: yesterday's calls from 3CX to JSONL and CSV files.

Each run exports its own data interval (one day) through the report function
``GetCallLogData``, paging through all rows and streaming them to disk, so the XCom values stay
small summaries (``{"path", "count", "format"}``) however many calls the day had.
Files land under ``$TCXKIT_EXPORT_DIR`` (default /tmp/tcxkit-exports)/call-log/.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from tcxkit.airflow import ThreeCXOperator

EXPORT_DIR = os.environ.get("TCXKIT_EXPORT_DIR", "/tmp/tcxkit-exports")

# Every GetCallLogData parameter is required by XAPI; these values mean "all calls".
CALL_LOG_PARAMETERS = {
    "periodFrom": "{{ data_interval_start.isoformat() }}",
    "periodTo": "{{ data_interval_end.isoformat() }}",
    "sourceType": 0,
    "sourceFilter": "",
    "destinationType": 0,
    "destinationFilter": "",
    "callsType": 0,
    "callTimeFilterType": 0,
    "callTimeFilterFrom": "0:00:0",
    "callTimeFilterTo": "0:00:0",
    "hidePcalls": True,
}

with DAG(
    dag_id="threecx_call_log_export",
    description="Export each day's 3CX call log to JSONL and CSV",
    # Runs at midnight for the day that just ended (Airflow 3's "@daily" has no interval).
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # 3CX allows one token per API client: keep runs sequential
    tags=["3cx", "example"],
) as dag:
    export_jsonl = ThreeCXOperator(
        task_id="export_jsonl",
        action="GetCallLogData",
        parameters=CALL_LOG_PARAMETERS,
        orderby="SegmentId",
        paginate=True,
        output_path=EXPORT_DIR + "/call-log/{{ data_interval_start | ds }}.jsonl",
    )
    export_csv = ThreeCXOperator(
        task_id="export_csv",
        action="GetCallLogData",
        parameters=CALL_LOG_PARAMETERS,
        orderby="SegmentId",
        paginate=True,
        output_path=EXPORT_DIR + "/call-log/{{ data_interval_start | ds }}.csv",
        output_format="csv",
    )
    export_jsonl >> export_csv
