"""The operations DAGs end to end (#25, #26): fleet backups, the daily CDR export into
PostgreSQL, the recordings archive -- each run with ``dag.test()`` against the emulator."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pendulum
import pytest
from test_examples import task_states
from test_operators import xcom
from tests.calltruth import truth

from conftest import EXAMPLES, fleet_connections
from tcxkit import Client
from tcxkit.airflow.errors import ThreeCXPermanentError

CONNS = ["threecx_pbx01", "threecx_pbx02", "threecx_pbx03"]


def mapped_xcom(dag_run: Any, task_id: str, map_index: int) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(
            run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids=task_id,
            map_indexes=map_index, key="return_value",
        )  # fmt: skip
        row = session.scalars(query).first()
        return None if row is None else XComModel.deserialize_value(row)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Three demo PBXs whose backups are listed 0.2 s after they start, offered the next
    build (an install takes them away for 0.2 s)."""
    from tcxkit.emulator import EmulatorConfig

    options = {"backup_delay": 0.2, "offer_update": "next", "update_downtime": 0.2}
    config = EmulatorConfig(data="demo", options=options)
    with fleet_connections(CONNS, tmp_path_factory.mktemp("ops"), config) as emulated:
        yield emulated


@contextmanager
def storage_connection(conn_id: str, extra: dict[str, str]) -> Iterator[None]:
    """The Airflow connection a user would configure for a store: its credentials (the
    store's variables, tcxkit.storage.VARIABLES) in the extra, none in the target."""
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(
        {"conn_type": "generic", "extra": extra}
    )
    try:
        yield
    finally:
        os.environ.pop(f"AIRFLOW_CONN_{conn_id.upper()}", None)


@pytest.fixture(scope="module")
def backup_store(s3: Any) -> Iterator[dict[str, Any]]:
    """An S3 bucket on moto's server (tests/stores.py) behind the connection ``backup_store``."""
    from tests.stores import make_bucket

    make_bucket(s3, "tcx-backups")
    # moto takes any key: a generated secret, so the logs can be searched for it
    extra = {**s3.env, "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30)}
    with storage_connection("backup_store", extra):
        yield {"target": "s3://tcx-backups/nightly", "env": extra}


def _bucket(env: dict[str, str]) -> dict[str, bytes]:
    """Every object of the bucket, read straight from the S3 server (not through tcxkit)."""
    import boto3

    s3 = boto3.client(
        "s3", endpoint_url=env["TCX_S3_ENDPOINT"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1",
    )  # fmt: skip
    listed = s3.list_objects_v2(Bucket="tcx-backups").get("Contents", [])
    return {
        o["Key"]: s3.get_object(Bucket="tcx-backups", Key=o["Key"])["Body"].read() for o in listed
    }


def test_fleet_backup_verifies_each_pbx_and_fails_only_the_bad_one(
    airflow_db: None, fleet: Any, load_dag: Any, backup_store: dict[str, Any], capfd: Any
) -> None:
    from tcxkit.backups import read_entries, verify_store
    from tcxkit.storage import open_storage

    bad = fleet.instances[1]  # its next backup is served damaged
    r = httpx.post(
        bad.url + "/emulator/backups", json={"outcome": "corrupt"}, auth=bad.control_auth
    )
    assert r.status_code == 200, r.text
    dag = load_dag(EXAMPLES / "threecx_fleet_backup.py", "threecx_fleet_backup")
    target = backup_store["target"]
    conf = {"connections": CONNS, "target": target, "storage_conn_id": "backup_store"}
    run = dag.test(run_conf=conf)
    states = task_states(run)
    assert {k: v for k, v in states.items() if k.startswith("backup")} == {
        "backup[0]": "success", "backup[1]": "failed", "backup[2]": "success"
    }  # fmt: skip
    assert str(run.state) == "failed"

    # In the bucket: an archive and its manifest entry for each good PBX, nothing else
    # (nothing unverified is stored).
    objects = _bucket(backup_store["env"])
    store = open_storage(target, backup_store["env"])
    entries = sorted(read_entries(store), key=lambda e: e.pbx)
    assert [e.pbx for e in entries] == ["threecx_pbx01", "threecx_pbx03"]
    assert sorted(objects) == sorted(
        f"nightly/{e.key}{suffix}" for e in entries for suffix in ("", ".manifest.json")
    )
    assert [c.error for c in verify_store(store)] == [None, None]
    for index, entry in ((0, entries[0]), (2, entries[1])):
        value = mapped_xcom(run, "backup", index)
        assert value["status"] == "verified" and value["target"] == target
        assert {k: value[k] for k in ("pbx", "key", "size", "sha256")} == {
            "pbx": entry.pbx, "key": entry.key, "size": entry.size, "sha256": entry.sha256
        }  # fmt: skip
        data = objects[f"nightly/{entry.key}"]
        assert hashlib.sha256(data).hexdigest() == entry.sha256 and len(data) == entry.size
        assert json.loads(objects[f"nightly/{entry.key}.manifest.json"])["sha256"] == entry.sha256
        assert entry.release and entry.members > 0
    assert mapped_xcom(run, "backup", 1) is None
    secret = backup_store["env"]["AWS_SECRET_ACCESS_KEY"]
    assert secret not in "".join(capfd.readouterr())
    assert secret not in json.dumps([mapped_xcom(run, "backup", i) for i in (0, 2)])


@pytest.fixture(scope="module")
def warehouse() -> Iterator[Any]:
    """The suite's PostgreSQL server (password authentication), as the Airflow Postgres
    connection ``cdr_warehouse`` holding its generated password."""
    from tests.pgserver import running_postgres

    with running_postgres() as server:
        os.environ["AIRFLOW_CONN_CDR_WAREHOUSE"] = json.dumps(
            {"conn_type": "postgres", "host": "127.0.0.1", "port": server.port,
             "login": server.user, "password": server.password, "schema": server.database}
        )  # fmt: skip
        try:
            yield server
        finally:
            os.environ.pop("AIRFLOW_CONN_CDR_WAREHOUSE", None)


def _tables(server: Any) -> tuple[dict[int, list[int]], list[tuple[Any, ...]]]:
    """The calls (id -> its legs' segment ids) and every row of both tables, as stored."""
    import psycopg

    with psycopg.connect(server.url, password=server.password) as db:
        legs = db.execute(
            "SELECT call_id, segment_id FROM call_legs WHERE pbx = 'threecx_default'"
        ).fetchall()
        calls = db.execute("SELECT call_id FROM calls WHERE pbx = 'threecx_default'").fetchall()
        rows = db.execute(
            "SELECT 'c', row_to_json(c)::text FROM calls c UNION ALL "
            "SELECT 'l', row_to_json(l)::text FROM call_legs l ORDER BY 1, 2"
        ).fetchall()
    by_call: dict[int, list[int]] = {c: [] for (c,) in calls}
    for call, seg in legs:
        by_call.setdefault(call, []).append(seg)
    return {c: sorted(s) for c, s in by_call.items()}, rows


def test_cdr_export_two_days_equal_the_truth_and_a_rerun_changes_nothing(
    airflow_db: None, emulator: Any, warehouse: Any, load_dag: Any
) -> None:
    dag = load_dag(EXAMPLES / "threecx_cdr_export.py", "threecx_cdr_export")
    today = pendulum.today("UTC")  # the demo PBX has calls on each of the last 28 days
    first = dag.test(logical_date=today.subtract(days=1))  # [day before yesterday, yesterday)
    second = dag.test(logical_date=today)  # [yesterday, today)
    for run in (first, second):
        assert str(run.state) == "success", task_states(run)
    one, two = mapped_xcom(first, "export_calls", 0), mapped_xcom(second, "export_calls", 0)
    assert one["to"] == two["from"] == today.subtract(days=1).isoformat()
    assert one["rows"] > 0 and two["rows"] > 0 and one["windows"] >= 1
    assert one["changed"] >= one["rows"]  # every call and leg was new

    stored, rows = _tables(warehouse)
    expected = truth(emulator, today.subtract(days=2), today)
    assert stored == expected  # each call once, with every one of its legs
    assert one["rows"] + two["rows"] == len(expected)

    again = dag.test(logical_date=today)  # the same interval (cleared and re-run)
    assert str(again.state) == "success", task_states(again)
    value = mapped_xcom(again, "export_calls", 0)
    assert value["rows"] == two["rows"] and value["changed"] == 0 and not value["resumed"]
    assert _tables(warehouse)[1] == rows

    from tcxkit.airflow.exports import postgres_target

    # The connection's password goes to the driver only: never in the URL or the XCom value.
    assert postgres_target("cdr_warehouse") == (warehouse.url, warehouse.password)
    assert warehouse.password not in json.dumps([one, two, value])


def test_the_warehouse_refuses_a_wrong_password_and_the_dag_fails_naming_the_fix(
    airflow_db: None, emulator: Any, warehouse: Any, load_dag: Any, capfd: Any
) -> None:
    """The server checks passwords (scram-sha-256), so the export's connection is tested for
    real: a connection holding a wrong password fails its task, and no log shows either."""
    import psycopg

    with pytest.raises(
        psycopg.OperationalError, match='password authentication failed for user "cdr"'
    ):
        psycopg.connect(warehouse.url, password="not-the-password").close()
    good = os.environ["AIRFLOW_CONN_CDR_WAREHOUSE"]
    os.environ["AIRFLOW_CONN_CDR_WAREHOUSE"] = json.dumps(
        {**json.loads(good), "password": "wr0ng-pw"}
    )
    try:
        dag = load_dag(EXAMPLES / "threecx_cdr_export.py", "threecx_cdr_export")
        run = dag.test(logical_date=pendulum.today("UTC"))
    finally:
        os.environ["AIRFLOW_CONN_CDR_WAREHOUSE"] = good
    assert task_states(run) == {"fleet[-1]": "success", "export_calls[0]": "failed"}
    log = "".join(capfd.readouterr())
    assert (
        "ThreeCXPermanentError: Cannot open the PostgreSQL database: connection failed: connection"
        f' to server at "127.0.0.1", port {warehouse.port} failed: FATAL:  password'
        ' authentication failed for user "cdr".\nCheck the URL\'s host, user and database'
    ) in log
    assert "wr0ng-pw" not in log and warehouse.password not in log


@pytest.fixture
def recorded_day(emulator: Any) -> tuple[pendulum.DateTime, int]:
    """The end of a UTC day on which the demo PBX has recordings, and the day's first one."""
    with Client(emulator.url, emulator.client_id, emulator.client_secret, token_cache=False) as c:
        rows = c.paginate("ListRecording", orderby="StartTime", select=["Id", "StartTime"])
        first = next(iter(rows))
    return pendulum.parse(first["StartTime"]).start_of("day").add(days=1), first["Id"]


@pytest.fixture
def recordings_store(sshd: Any, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder of a real OpenSSH server (tests/stores.py), reached over SFTP with the key and
    known hosts of the storage connection ``recordings_store``; the folder is local, so the
    test reads what landed on disk. Yields it and the DAG's run conf."""
    store = tmp_path / "recordings"
    with storage_connection("recordings_store", sshd.env):
        yield store, {"target": sshd.url(store), "storage_conn_id": "recordings_store"}


def test_recordings_archive_stores_the_days_recordings_once(
    airflow_db: None,
    emulator: Any,
    load_dag: Any,
    recorded_day: Any,
    recordings_store: tuple[Path, dict[str, str]],
    capfd: pytest.CaptureFixture[str],
) -> None:
    dag = load_dag(EXAMPLES / "threecx_recordings_archive.py", "threecx_recordings_archive")
    end, broken = recorded_day
    store, conf = recordings_store
    path = f"/xapi/v1/Recordings/Pbx.DownloadRecording(recId={broken})"
    rule = {"path": path, "status": 404, "times": 1}
    assert httpx.post(emulator.url + "/emulator/faults", json=rule, auth=emulator.control_auth)
    failed = dag.test(logical_date=end, run_conf=conf)
    assert task_states(failed) == {"archive_recordings[-1]": "failed"}
    assert not list(store.rglob(f"*_rec{broken}_*"))  # the others are in, this one is not
    held = len(list(store.rglob("*.wav")))
    log = "".join(capfd.readouterr())
    assert f"threecx_default: recording {broken}: " in log
    assert f"1 of {held + 1} recordings of threecx_default were not archived" in log

    run = dag.test(logical_date=end, run_conf=conf)
    assert str(run.state) == "success", task_states(run)
    row = xcom(run, "archive_recordings")
    assert row["status"] == "complete" and (row["archived"], row["present"]) == (1, held)

    day = end.subtract(days=1)
    wavs = sorted(store.rglob("*.wav"))
    assert len(wavs) == row["recordings"] == held + 1
    for wav in wavs:
        assert wav.parent == store / "threecx_default" / f"{day:%Y-%m-%d}"
        entry = json.loads(wav.with_name(wav.name + ".json").read_text())
        data = wav.read_bytes()
        assert data[:4] == b"RIFF" and entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["call"]["StartTime"].startswith(f"{day:%Y-%m-%d}")

    again = dag.test(logical_date=end, run_conf=conf)
    assert str(again.state) == "success", task_states(again)
    row2 = xcom(again, "archive_recordings")
    assert (row2["archived"], row2["present"]) == (0, held + 1)
    assert sorted(store.rglob("*.wav")) == wavs


def _context(start: Any, end: Any) -> dict[str, Any]:
    return {"data_interval_start": start, "data_interval_end": end}


def test_refusals_name_the_fix_and_never_echo_a_secret(
    airflow_db: None, emulator: Any, tmp_path: Path
) -> None:
    from tcxkit.airflow import (
        ThreeCXBackupOperator,
        ThreeCXCallsExportOperator,
        ThreeCXRecordingsArchiveOperator,
    )
    from tcxkit.errors import UsageError

    with pytest.raises(ThreeCXPermanentError) as exc:
        ThreeCXBackupOperator(task_id="b", target="sftp://me:hunter2@host/x").execute({})
    assert "carries a credential" in str(exc.value) and "hunter2" not in str(exc.value)

    os.environ["AIRFLOW_CONN_BAD_STORE"] = json.dumps(
        {"conn_type": "generic", "extra": {"PASSWORD": "hunter2", "TCX_SFTP_PASWORD": "x"}}
    )
    try:
        op = ThreeCXRecordingsArchiveOperator(
            task_id="r", target=str(tmp_path), storage_conn_id="bad_store"
        )
        with pytest.raises(ThreeCXPermanentError) as exc:
            op.execute(_context(pendulum.datetime(2026, 1, 1), pendulum.datetime(2026, 1, 2)))
    finally:
        os.environ.pop("AIRFLOW_CONN_BAD_STORE")
    assert (
        "Connection 'bad_store': extra 'PASSWORD', 'TCX_SFTP_PASWORD' is not a storage variable."
        in str(exc.value)
    )
    assert "TCX_SFTP_PASSWORD, TCX_SFTP_TIMEOUT" in str(exc.value)  # the hint lists them
    assert "hunter2" not in str(exc.value)

    with pytest.raises(UsageError, match="give exactly one of into= and postgres_conn_id="):
        ThreeCXCallsExportOperator(task_id="e")
    export = ThreeCXCallsExportOperator(task_id="e", into=str(tmp_path / "calls.jsonl"))
    day = pendulum.datetime(2026, 1, 1)
    with pytest.raises(ThreeCXPermanentError, match="this run's data interval is empty"):
        export.execute(_context(day, day))
    archive = ThreeCXRecordingsArchiveOperator(task_id="a", target=str(tmp_path / "rec"))
    for context in (_context(day, day), {}):  # the export's one check, with its fix
        with pytest.raises(ThreeCXPermanentError) as exc:
            archive.execute(context)
        assert "a: this run's data interval is empty (" in str(exc.value)
        assert "CronDataIntervalTimetable('0 1 * * *', timezone='UTC')" in str(exc.value)
    assert not (tmp_path / "rec").exists()  # refused before the store was opened
    secret = ThreeCXCallsExportOperator(task_id="e", into="postgresql://cdr:hunter2@db/cdr")
    with pytest.raises(ThreeCXPermanentError) as exc:
        secret.execute(_context(day, day.add(days=1)))
    assert "holds a password" in str(exc.value) and "hunter2" not in str(exc.value)


def _version(emu: Any) -> str:
    with Client(emu.url, emu.client_id, emu.client_secret, token_cache=False) as c:
        return str(c.call("GetSystemStatus")["Version"])


def test_update_rollout_canary_first_then_batches_stopping_at_a_failure(
    airflow_db: None, fleet: Any, load_dag: Any, tmp_path: Path
) -> None:
    from tcxkit.backups import read_entries
    from tcxkit.storage import open_storage

    before = [_version(emu) for emu in fleet.instances]
    bad = fleet.instances[1]  # its install fails: the PBX comes back on the old build
    r = httpx.post(bad.url + "/emulator/updates", json={"outcome": "fail"}, auth=bad.control_auth)
    assert r.status_code == 200, r.text
    os.environ.update(
        TCXKIT_UPDATE_FLEET=",".join(CONNS), TCXKIT_UPDATE_CANARY="1", TCXKIT_UPDATE_BATCH="1"
    )
    try:
        dag = load_dag(EXAMPLES / "threecx_fleet_update.py", "threecx_fleet_update")
        assert list(dag.task_dict) == ["canary.update", "batch_1.update", "batch_2.update"]
        for task in dag.task_dict.values():  # a failed install is found within seconds here
            task.partial_kwargs["wait"] = 5.0
        store = tmp_path / "store"
        run = dag.test(run_conf={"target": str(store), "window": "", "version": ""})
    finally:
        for name in ("TCXKIT_UPDATE_FLEET", "TCXKIT_UPDATE_CANARY", "TCXKIT_UPDATE_BATCH"):
            os.environ.pop(name, None)
    assert task_states(run) == {
        "canary.update[0]": "success",
        "batch_1.update[0]": "failed",
        "batch_2.update[0]": "upstream_failed",  # not attempted
    }
    canary = mapped_xcom(run, "canary.update", 0)
    assert canary["status"] == "updated" and canary["installed"] == before[0]
    after = [_version(emu) for emu in fleet.instances]
    assert after[0] == canary["release"] != before[0]
    assert after[1:] == before[1:]  # the failed PBX came back on its build; pbx03 untouched
    entries = {e.pbx: e for e in read_entries(open_storage(str(store)))}
    assert sorted(entries) == ["threecx_pbx01", "threecx_pbx02"]  # a backup before each install
    assert canary["backup"] == entries["threecx_pbx01"].key
