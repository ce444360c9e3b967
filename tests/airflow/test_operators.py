"""ThreeCXOperator and ThreeCXSensor run by Airflow (``dag.test()``) against the emulator."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest

DAG_FILE = Path(__file__).resolve().parent / "dags" / "tcxkit_test_dags.py"
OUT = Path(os.environ.get("TCXKIT_EXPORT_DIR", "/nonexistent"))


def xcom(dag_run: Any, task_id: str) -> Any:
    """The return value a task pushed, read back from the metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(
            run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id, key="return_value"
        )
        row = session.scalars(query).first()
        return None if row is None else XComModel.deserialize_value(row)


def states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


@pytest.fixture(scope="module")
def operator_run(airflow_db: None, emulator: Any, load_dag: Any) -> Any:
    dag = load_dag(DAG_FILE, "tcxkit_test_operator")
    return dag.test()


@pytest.fixture(scope="module")
def failure_run(airflow_db: None, emulator: Any, load_dag: Any) -> tuple[Any, dict[str, Any]]:
    dag = load_dag(DAG_FILE, "tcxkit_test_failures")
    dag_run = dag.test()
    failures = json.loads((OUT / "failures.json").read_text())
    return dag_run, failures


def test_every_operator_task_succeeds(operator_run: Any) -> None:
    assert str(operator_run.state) == "success", states(operator_run)
    assert set(states(operator_run).values()) == {"success"}


def test_small_result_goes_to_xcom_with_templated_action_and_filter(operator_run: Any) -> None:
    result = xcom(operator_run, "list_users")
    assert result["value"] == [{"Number": "100", "FirstName": "Alice"}]


def test_parameters_are_templated_from_upstream_xcom(operator_run: Any) -> None:
    found = xcom(operator_run, "find_id")["value"][0]
    user = xcom(operator_run, "get_user")
    assert user["Id"] == found["Id"]
    assert user["Number"] == "100"


def test_operator_accepts_the_inner_body_of_a_one_argument_action(operator_run: Any) -> None:
    peers = xcom(operator_run, "peers_inner_body")["value"]
    assert [p["Number"] for p in peers] == ["100"]


def test_paginated_export_to_csv(operator_run: Any, emulator: Any) -> None:
    summary = xcom(operator_run, "export_csv")
    path = Path(summary["path"])
    assert summary["format"] == "csv"
    assert path.parent == OUT.resolve() and path.name.startswith("users-")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert summary["count"] == len(rows) >= 3  # several pages of 2
    numbers = [row["Number"] for row in rows]
    assert numbers == sorted(numbers)
    assert "@odata.etag" not in rows[0]
    json.loads(rows[0]["Groups"])  # nested values are kept as JSON
    # the requests really were paged by 2
    tops = [r for r in emulator.requests if "%24top=2" in str(r) or "$top=2" in str(r)]
    assert tops


def test_paginated_export_to_json_array(operator_run: Any) -> None:
    summary = xcom(operator_run, "export_json")
    assert summary["format"] == "json"
    data = json.loads(Path(summary["path"]).read_text())
    assert isinstance(data, list) and len(data) == summary["count"]
    assert all(set(item) <= {"Number", "@odata.etag"} for item in data)


def test_single_page_written_as_jsonl(operator_run: Any) -> None:
    summary = xcom(operator_run, "export_page")
    assert summary["format"] == "jsonl" and summary["count"] == 2
    lines = Path(summary["path"]).read_text().splitlines()
    assert [json.loads(line)["Number"] for line in lines] == ["100", "101"]


def test_file_result_is_written_and_summarised(operator_run: Any) -> None:
    summary = xcom(operator_run, "export_file")
    path = Path(summary["path"])
    assert summary["format"] == "file"
    assert summary["bytes"] == path.stat().st_size > 0
    assert summary["content_type"].startswith("text/csv")
    header = path.read_text().splitlines()[0].split(",")
    assert "Number" in header
    assert not list(path.parent.glob(".*.part"))


def test_sensor_condition_spec_returns_matched_value(operator_run: Any) -> None:
    assert xcom(operator_run, "wait_user") == [{"Number": "100"}]


def test_sensor_reschedules_until_condition_holds(operator_run: Any) -> None:
    from airflow.models.taskreschedule import TaskReschedule
    from airflow.utils.session import create_session

    ti = operator_run.get_task_instance("wait_twice")
    with create_session() as session:
        reschedules = session.query(TaskReschedule).filter(TaskReschedule.ti_id == ti.id).count()
    assert str(ti.state) == "success"
    assert reschedules == 1


def test_wrong_secret_fails_with_the_authentication_message(failure_run: Any) -> None:
    dag_run, failures = failure_run
    assert str(dag_run.state) == "failed"
    failure = failures["wrong_secret"]
    assert failure["type"] == "ThreeCXPermanentError"
    assert failure["exit_code"] == 5
    assert failure["message"].startswith("The PBX refused the API credentials (401)")
    assert "Check the client id" in failure["message"]
    assert "not-the-secret" not in json.dumps(failures)


def test_unknown_action_suggests_the_right_one(failure_run: Any) -> None:
    failure = failure_run[1]["unknown_action"]
    assert failure["exit_code"] == 2
    assert "No action named 'ListUsers'" in failure["message"]
    assert "ListUser" in failure["message"].split("Did you mean:")[1]


def test_bad_parameter_is_refused_before_sending(failure_run: Any) -> None:
    failure = failure_run[1]["bad_parameter"]
    assert failure["exit_code"] == 3
    assert failure["message"].startswith("GetUser: 1 problem in the request, nothing was sent")
    assert "Id" in failure["message"]


def test_not_found_is_a_permanent_failure(failure_run: Any) -> None:
    failure = failure_run[1]["not_found"]
    assert failure["type"] == "ThreeCXPermanentError"
    assert failure["exit_code"] == 7


def test_file_action_needs_an_output_path(failure_run: Any) -> None:
    failure = failure_run[1]["file_without_path"]
    assert failure["message"] == (
        "ExportExtensions returns a file, which does not belong in XCom.\n"
        "Set output_path on task 'file_without_path' to where the file should go."
    )


def test_sensor_times_out(failure_run: Any) -> None:
    failure = failure_run[1]["sensor_times_out"]
    assert failure["type"] == "AirflowSensorTimeout"
