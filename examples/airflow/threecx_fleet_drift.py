"""Every night, check every PBX of the fleet against its state file: one task per PBX.

The fleet is a list of ``threecx`` connection ids (the ``connections`` param; set its
default from your inventory, or pass it when triggering). Each PBX gets a mapped
``ThreeCXStatePlanOperator`` task: a PBX that matches the file succeeds, a PBX that
drifted **fails, with the plan in its log** (what to create, update, delete, each field
old -> new), and one PBX failing never stops the others. The run's grid is the drift
report; ``threecx_fleet_rollout`` makes the drifted ones match.

The file may differ per PBX: ``{pbx}`` in ``state_file`` is replaced by each task's
connection id (``customers/{pbx}.yaml``, each one ``extends: standard.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from tcxkit.airflow import ThreeCXStatePlanOperator
from tcxkit.airflow.state import per_pbx

STANDARD = str(Path(__file__).with_name("standard.yaml"))

with DAG(
    dag_id="threecx_fleet_drift",
    description="Nightly drift check of every PBX against its state file",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "connections": Param(["threecx_default"], type="array", description="PBX connections"),
        "state_file": Param(
            STANDARD, type="string", description="{pbx} (the connection id) allowed"
        ),
    },
    tags=["3cx", "example", "fleet"],
) as dag:

    @task
    def fleet(**context: Any) -> list[dict[str, str]]:
        """One task's arguments per PBX of the ``connections`` param."""
        return per_pbx(context["params"]["connections"], context["params"]["state_file"])

    ThreeCXStatePlanOperator.partial(
        task_id="drift",
        # One task per PBX already: Airflow's default pool is enough here.
        pool="default_pool",
        map_index_template="{{ task.threecx_conn_id }}",
    ).expand_kwargs(fleet())
