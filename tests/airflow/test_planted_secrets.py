"""Planted secrets never reach Airflow: XCom, exports, sensor values, task logs, errors.

The PBX of tests/planted.py holds a distinct planted value in every Concealed* field and
secret-returning action; ``dags/tcxkit_planted_secrets.py`` reads each of them with
``ThreeCXOperator``, exports the trunks, waits on a settings object with ``ThreeCXSensor``
and makes a write whose error echoes a secret.  Airflow has no way out: none of the
planted values may appear in XCom, the export, the task logs or the failure message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_operators import OUT, states, xcom
from tests.planted import Planted, echoing_error, planted_emulator

DAG_FILE = Path(__file__).resolve().parent / "dags" / "tcxkit_planted_secrets.py"
ERROR_SECRET = "PLANTED-airflow-sent-5b8e02"
CERT_SECRET = "PLANTED-airflow-cert-71c3aa"


@pytest.fixture(scope="module")
def planted() -> Iterator[Planted]:
    with planted_emulator() as found:
        yield found


def _run(planted: Planted, load_dag: Any) -> Any:
    emu = planted.emulator
    conn = {
        "conn_type": "threecx",
        "host": emu.url,
        "login": emu.client_id,
        "password": emu.client_secret,
    }
    os.environ["AIRFLOW_CONN_THREECX_PLANTED"] = json.dumps(conn)
    os.environ["PLANTED_READS"] = json.dumps(planted.reads)
    os.environ["PLANTED_ERROR_SECRET"] = ERROR_SECRET
    os.environ["PLANTED_CERT_SECRET"] = CERT_SECRET
    try:
        with (
            echoing_error(emu, "UpdateMailSettings", ERROR_SECRET),
            echoing_error(emu, "UpdateSecureSipSettings", CERT_SECRET),
        ):
            return load_dag(DAG_FILE, "tcxkit_planted_secrets").test()
    finally:
        for name in (
            "AIRFLOW_CONN_THREECX_PLANTED",
            "PLANTED_READS",
            "PLANTED_ERROR_SECRET",
            "PLANTED_CERT_SECRET",
        ):
            os.environ.pop(name, None)


def _rendered_fields(run: Any) -> str:
    """The templated fields Airflow stored for the UI (``body`` of the echoing write)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(RenderedTaskInstanceFields).filter_by(run_id=run.run_id).all()
        stored = {row.task_id: row.rendered_fields for row in rows}
    assert "echoing_error" in stored and "unknown_to_airflow" in stored
    return json.dumps(stored, default=str)


def test_xcom_export_sensor_logs_and_errors_hold_no_planted_secret(
    airflow_db: None, planted: Planted, load_dag: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    run = _run(planted, load_dag)
    out, err = capfd.readouterr()
    logs = out + err  # dag.test() runs every task here: their logs are this output
    assert "Wrote 2 records to " in logs and "UpdateMailSettings: the PBX refused" in logs
    got = states(run)
    reads = [f"read_{a}" for a in planted.reads]
    assert {t: got[t] for t in reads} == dict.fromkeys(reads, "success")
    assert got["export_trunks"] == got["wait_mail_settings"] == "success"
    assert got["echoing_error"] == got["unknown_to_airflow"] == "failed"
    values = {t: xcom(run, t) for t in [*reads, "wait_mail_settings"]}
    assert values["read_APIToken"] == {"value": "********"}
    assert values["wait_mail_settings"]["MailPassword"]["Value"] == "********"
    export = (OUT / "planted-trunks.csv").read_text(encoding="utf-8")
    assert "********" in export
    failure = json.loads((OUT / "failures.json").read_text())["echoing_error"]
    assert "is not accepted by the mail server" in failure["message"]
    texts = [json.dumps(values), export, failure["message"], logs, _rendered_fields(run)]
    assert not planted.leaks(*texts)
    assert ERROR_SECRET not in "".join(texts) and CERT_SECRET not in "".join(texts)
