"""Create 3CX users from a CSV file: one ``CreateUser`` task per row (dynamic task mapping).

The CSV (``users.csv`` next to this file by default; override with the ``csv_path`` param)
has one column per ``Pbx.User`` property: Number, FirstName, LastName, EmailAddress, ...
Empty cells are left out. Rows whose extension number already exists are skipped, so the DAG
can be re-run after a partial failure; each row is its own task, so one bad row does not
stop the others and its error (e.g. an e-mail already in use) shows on that task.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from tcxkit.airflow import ThreeCXHook, ThreeCXOperator

DEFAULT_CSV = str(Path(__file__).with_name("users.csv"))

with DAG(
    dag_id="threecx_bulk_users",
    description="Create 3CX users from a CSV file, one task per row",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"csv_path": Param(DEFAULT_CSV, type="string", description="CSV of users to create")},
    tags=["3cx", "example"],
) as dag:

    @task
    def new_users(csv_path: str) -> list[dict[str, Any]]:
        """Rows of the CSV whose Number is not yet on the PBX, as CreateUser bodies."""
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            rows = [
                {key.strip(): value.strip() for key, value in row.items() if key and value}
                for row in csv.DictReader(handle)
            ]
        client = ThreeCXHook().get_conn()
        existing = {user["Number"] for user in client.paginate("ListUser", select=["Number"])}
        fresh = [row for row in rows if row.get("Number") not in existing]
        print(f"{len(rows)} rows, {len(rows) - len(fresh)} already exist, {len(fresh)} to create")
        return fresh

    ThreeCXOperator.partial(
        task_id="create_user",
        action="CreateUser",
        map_index_template="{{ task.body['Number'] }}",
    ).expand(body=new_users(csv_path="{{ params.csv_path }}"))
