"""The planted-secrets DAG of tests/airflow/test_planted_secrets.py (not an example).

One task per planted read (``$PLANTED_READS``: action -> arguments, set by the test), an
export of the trunks to CSV, a sensor whose XCom is a settings object, and a write whose
error echoes a secret (``$PLANTED_ERROR_SECRET``); all on connection ``threecx_planted``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pendulum
from airflow.sdk import DAG

from tcxkit.airflow import ThreeCXOperator, ThreeCXSensor

sys.path.insert(0, str(Path(__file__).parent))  # the bundle folder: the shared failure hook
from tcxkit_test_dags import OUT, record_failure

sys.path.remove(str(Path(__file__).parent))

READS: dict[str, dict[str, object]] = json.loads(os.environ.get("PLANTED_READS", "{}"))
CONN = "threecx_planted"

with DAG(
    dag_id="tcxkit_planted_secrets",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    default_args={"on_failure_callback": record_failure, "retries": 0},
) as planted_dag:
    for action, args in READS.items():
        ThreeCXOperator(
            task_id=f"read_{action}",
            action=action,
            parameters={k: v for k, v in args.items() if not isinstance(v, dict)},
            body={k: v for k, v in args.items() if isinstance(v, dict)} or None,
            threecx_conn_id=CONN,
        )
    ThreeCXOperator(
        task_id="export_trunks",
        action="ListTrunk",
        paginate=True,
        output_path=f"{OUT}/planted-trunks.csv",
        threecx_conn_id=CONN,
    )
    ThreeCXSensor(
        task_id="wait_mail_settings",
        action="GetMailSettings",
        poke_interval=1,
        timeout=30,
        threecx_conn_id=CONN,
    )
    ThreeCXOperator(  # a field Airflow's masker does not know by name
        task_id="unknown_to_airflow",
        action="UpdateSecureSipSettings",
        body={
            "Certificate": {
                "Concealed": False,
                "Contents": os.environ.get("PLANTED_CERT_SECRET", "unset"),
                "Name": "sip.pem",
            }
        },
        threecx_conn_id=CONN,
    )
    ThreeCXOperator(
        task_id="echoing_error",
        action="UpdateMailSettings",
        body={
            "MailPassword": {
                "Concealed": False,
                "Value": os.environ.get("PLANTED_ERROR_SECRET", "unset"),
            }
        },
        threecx_conn_id=CONN,
    )
