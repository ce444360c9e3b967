"""Every night, check the health of every PBX of the fleet: one task per PBX.

The fleet is a list of ``threecx`` connection ids (the ``connections`` param). Each PBX
gets a mapped ``ThreeCXHealthCheckOperator`` task (the checks of ``3cx health``,
docs/health.md): a healthy PBX succeeds, a PBX whose checks only warn succeeds with the
warnings in its log, a PBX with a failing check **fails, with the evidence and the fix in
its log**, and one PBX failing never stops the others. Each task's report (status, counts,
every check) is its XCom value.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, task

from tcxkit.airflow import ThreeCXHealthCheckOperator

with DAG(
    dag_id="threecx_fleet_health",
    description="Nightly health checks of every PBX (licence, backups, trunks, security...)",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "connections": Param(["threecx_default"], type="array", description="PBX connections"),
    },
    tags=["3cx", "example", "fleet", "health"],
) as dag:

    @task
    def fleet(**context: object) -> list[str]:
        """The connection ids of the ``connections`` param, one mapped task each."""
        return list(context["params"]["connections"])  # type: ignore[index]

    ThreeCXHealthCheckOperator.partial(
        task_id="health",
        pool="default_pool",
        map_index_template="{{ task.threecx_conn_id }}",
    ).expand(threecx_conn_id=fleet())
