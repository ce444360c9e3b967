"""DAGs of the CeleryExecutor deployment (tests/airflow/airflow_cluster.py).

``tcxkit_cluster_users`` maps one ``GetUser`` call per task over the PBX's users, many times
over: a burst of short tasks on two worker "hosts", each task its own process with its own
token look-up -- what makes per-host token caches revoke each other's tokens.
``tcxkit_cluster_users_per_host`` is the same DAG on a connection with ``token_store=file``
(the per-host cache of earlier releases), for the baseline of docs/benchmarks.md.
``tcxkit_cluster_backup`` starts a backup and waits for it with a deferrable sensor.
"""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.sdk import DAG, task

from tcxkit.airflow import ThreeCXOperator, ThreeCXSensor

TASKS = int(os.environ.get("TCXKIT_CLUSTER_TASKS", "200"))
START = pendulum.datetime(2024, 1, 1, tz="UTC")


def users_dag(dag_id: str, conn_id: str) -> DAG:
    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=START,
        catchup=False,
        max_active_tasks=32,
        is_paused_upon_creation=False,
    ) as dag:
        listing = ThreeCXOperator(
            task_id="list_users", action="ListUser", select=["Id"], threecx_conn_id=conn_id
        )

        @task
        def spread(result: dict[str, Any]) -> list[dict[str, Any]]:
            ids = [row["Id"] for row in result["value"]]
            return [{"Id": ids[i % len(ids)]} for i in range(TASKS)]

        ThreeCXOperator.partial(
            task_id="get_user", action="GetUser", select=["Id", "Number"], threecx_conn_id=conn_id
        ).expand(parameters=spread(listing.output))
    return dag


users = users_dag("tcxkit_cluster_users", "threecx_cluster")
users_per_host = users_dag("tcxkit_cluster_users_per_host", "threecx_cluster_per_host")


def backup_dag() -> DAG:
    with DAG(
        dag_id="tcxkit_cluster_backup",
        schedule=None,
        start_date=START,
        catchup=False,
        is_paused_upon_creation=False,
    ) as dag:
        start = ThreeCXOperator(
            task_id="start_backup",
            action="Backup",
            body={
                "description": {"Name": "cluster-{{ run_id }}", "Contents": {"CallHistory": True}}
            },
            threecx_conn_id="threecx_cluster",
        )
        wait = ThreeCXSensor(
            task_id="wait_for_backup",
            action="ListBackups",
            condition={
                "op": "any",
                "where": {"path": "FileName", "op": "startswith", "value": "cluster-"},
            },
            poke_interval=1,
            timeout=300,
            deferrable=True,
            threecx_conn_id="threecx_cluster",
        )
        start >> wait
    return dag


# bench/bench_airflow_cluster.py --legacy measures a tcxkit that had no deferrable sensor.
if not os.environ.get("TCXKIT_CLUSTER_LEGACY"):
    backup = backup_dag()
