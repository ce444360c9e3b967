"""Each night, the day's call records of every PBX into PostgreSQL, one interval per run.

``ThreeCXCallsExportOperator`` exports the calls that began in the run's data interval
(here a UTC day, from a ``CronDataIntervalTimetable``) with ``3cx calls export``'s engine:
each window proven whole against the PBX's count, late legs followed. Rows are upserted
into the tables ``calls`` and ``call_legs`` of the Airflow Postgres connection
``cdr_warehouse`` (key: ``pbx`` -- the connection id -- and the call or leg id), so:

* consecutive runs together hold every call of their days exactly once;
* re-running a day (clear the task, or a backfill) changes no row unless the PBX's data
  changed -- the task's XCom value says how many rows it changed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, task

from tcxkit.airflow import ThreeCXCallsExportOperator

with DAG(
    dag_id="threecx_cdr_export",
    description="Incremental daily CDR export into PostgreSQL",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # one day after the other per PBX token
    params={
        "connections": Param(["threecx_default"], type="array", description="PBX connections"),
    },
    tags=["3cx", "example", "fleet", "cdr"],
) as dag:

    @task
    def fleet(**context: object) -> list[str]:
        """The connection ids of the ``connections`` param, one mapped task each."""
        return list(context["params"]["connections"])  # type: ignore[index]

    ThreeCXCallsExportOperator.partial(
        task_id="export_calls",
        postgres_conn_id="cdr_warehouse",
        pool="default_pool",
        map_index_template="{{ task.threecx_conn_id }}",
    ).expand(threecx_conn_id=fleet())
