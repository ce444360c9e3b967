"""DAGs used by tests/airflow (a DAG bundle of the test Airflow home; not examples).

Task failures are recorded by an ``on_failure_callback`` into ``failures.json`` under
``$TCXKIT_EXPORT_DIR``, so tests can assert the exact message a user would see in the log.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG

from tcxkit.airflow import ThreeCXOperator, ThreeCXSensor

OUT = os.environ.get("TCXKIT_EXPORT_DIR", "/tmp/tcxkit-exports")
START = pendulum.datetime(2024, 1, 1, tz="UTC")


def record_failure(context: Any) -> None:
    """Keep each failed task's exception type, message and exit code for the test to read."""
    exc = context.get("exception")
    path = Path(OUT) / "failures.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[context["ti"].task_id] = {
        "type": type(exc).__name__,
        "message": str(exc),
        "exit_code": getattr(exc, "exit_code", None),
    }
    path.write_text(json.dumps(data))


_pokes = itertools.count()


def second_poke(result: Any) -> bool:
    """False on the first poke, true afterwards: exercises a real reschedule round trip."""
    return next(_pokes) >= 1


with DAG(
    dag_id="tcxkit_test_operator",
    schedule=None,
    start_date=START,
    params={"number": "100", "action": "ListUser"},
    render_template_as_native_obj=True,  # the Id pulled from XCom stays an int
    default_args={"on_failure_callback": record_failure},
) as operator_dag:
    list_users = ThreeCXOperator(
        task_id="list_users",
        action="{{ params.action }}",
        select=["Number", "FirstName"],
        filter="Number eq '{{ params.number }}'",
    )
    get_user = ThreeCXOperator(
        task_id="get_user",
        action="GetUser",
        parameters={"Id": "{{ ti.xcom_pull('find_id')['value'][0]['Id'] }}"},
        select=["Id", "Number"],
    )
    find_id = ThreeCXOperator(
        task_id="find_id",
        action="list_user",
        select=["Id"],
        filter="Number eq '{{ params.number }}'",
    )
    export_csv = ThreeCXOperator(
        task_id="export_csv",
        action="ListUser",
        select=["Number", "FirstName", "Groups"],
        expand="Groups",
        orderby="Number",
        paginate=True,
        page_size=2,
        output_path=OUT + "/users-{{ ds }}.csv",
    )
    export_json = ThreeCXOperator(
        task_id="export_json",
        action="ListUser",
        select=["Number"],
        orderby="Number",
        paginate=True,
        output_path=OUT + "/users.data",
        output_format="json",
    )
    export_page = ThreeCXOperator(
        task_id="export_page",
        action="ListUser",
        select=["Number"],
        top=2,
        output_path=OUT + "/page.jsonl",
    )
    export_file = ThreeCXOperator(
        task_id="export_file",
        action="ExportExtensions",
        output_path=OUT + "/extensions.csv",
    )
    ThreeCXOperator(  # the inner object of RetreivePeersByNumbers' one argument, as documented
        task_id="peers_inner_body",
        action="RetreivePeersByNumbers",
        body={"DnNumbers": ["{{ params.number }}"]},
    )
    wait_user = ThreeCXSensor(
        task_id="wait_user",
        action="ListUser",
        select=["Number"],
        filter="Number eq '{{ params.number }}'",
        condition={"path": "value", "op": "nonempty"},
        poke_interval=1,
        timeout=60,
    )
    wait_twice = ThreeCXSensor(
        task_id="wait_twice",
        action="ListUser",
        top=1,
        condition=second_poke,
        poke_interval=1,
        timeout=60,
    )
    find_id >> get_user


with DAG(
    dag_id="tcxkit_test_failures",
    schedule=None,
    start_date=START,
    default_args={"on_failure_callback": record_failure, "retries": 0},
) as failure_dag:
    ThreeCXOperator(task_id="wrong_secret", action="ListUser", threecx_conn_id="threecx_wrong")
    ThreeCXOperator(task_id="unknown_action", action="ListUsers")
    ThreeCXOperator(task_id="bad_parameter", action="GetUser", parameters={"Id": "abc"})
    ThreeCXOperator(task_id="not_found", action="GetUser", parameters={"Id": 999999})
    ThreeCXOperator(task_id="file_without_path", action="ExportExtensions")
    ThreeCXSensor(
        task_id="sensor_times_out",
        action="ListUser",
        filter="Number eq '999'",
        mode="poke",
        poke_interval=0.2,
        timeout=1,
    )
