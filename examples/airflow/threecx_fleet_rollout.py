"""Roll a state file out to every PBX of the fleet: one apply task per PBX.

Each mapped ``ThreeCXStateApplyOperator`` plans its PBX against the file, logs the plan
and applies it (creates and updates; deletes only with ``prune``). A PBX that already
matches changes nothing; a PBX whose apply fails stops at that change, its log says what
was and was not applied, and the other PBXs carry on. Trigger it by hand (or after a
reviewed change to the file is merged); ``threecx_fleet_drift`` checks the result nightly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from tcxkit.airflow import ThreeCXStateApplyOperator
from tcxkit.airflow.state import per_pbx

STANDARD = str(Path(__file__).with_name("standard.yaml"))

with DAG(
    dag_id="threecx_fleet_rollout",
    description="Make every PBX of the fleet match its state file",
    schedule=None,
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

    ThreeCXStateApplyOperator.partial(
        task_id="apply",
        pool="default_pool",
        map_index_template="{{ task.threecx_conn_id }}",
        max_active_tis_per_dag=8,  # PBXs changed at once
    ).expand_kwargs(fleet())
