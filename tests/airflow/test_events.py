"""The events face of the provider, without a cluster: the trigger (serialized, resumed
from its cursor after a restart), the deferrable ``ThreeCXEventSensor`` on
``backup.completed`` (``dag.test()`` runs its trigger in line), and the refusals.

The event-driven example DAGs run on the CeleryExecutor deployment
(test_celery_cluster.py: a DAG run per injected missed call)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from events_helpers import missed_call
from tests.emulators import own_config

from tcxkit.emulator import running
from tcxkit.errors import UsageError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "airflow"


@pytest.fixture(scope="module")
def pbx() -> Iterator[Any]:
    """A PBX of this module's own, as the connection ``threecx_events``."""
    with running(own_config(version="20.0.10")) as emu:
        os.environ["AIRFLOW_CONN_THREECX_EVENTS"] = json.dumps(
            {"conn_type": "threecx", "host": emu.url, "login": emu.client_id,
             "password": emu.client_secret, "extra": {"token_store": "none"}}
        )  # fmt: skip
        yield emu
    os.environ.pop("AIRFLOW_CONN_THREECX_EVENTS", None)


def test_the_trigger_serializes_to_plain_data_and_refuses_unknown_types() -> None:
    from tcxkit.airflow.events import ThreeCXEventSensor, ThreeCXEventTrigger

    trigger = ThreeCXEventTrigger(types="call.missed", threecx_conn_id="pbx1", interval=5)
    path, kwargs = trigger.serialize()
    assert path == "tcxkit.airflow.events.ThreeCXEventTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs["types"] == ["call.missed"] and kwargs["consumer"] == "airflow:call.missed"
    assert ThreeCXEventTrigger(**kwargs).serialize() == (path, kwargs)
    with pytest.raises(UsageError, match=r"Unknown event type 'call\.mised'") as info:
        ThreeCXEventTrigger(types=["call.mised"])
    assert "Known types: call.started" in str(info.value.hint)
    with pytest.raises(UsageError, match="Name at least one event type"):
        ThreeCXEventSensor(task_id="t", type=[])
    with pytest.raises(UsageError) as info:  # at DAG parse time, not in the triggerer
        ThreeCXEventSensor(task_id="t", type="call.missed", tz="Mars/Olympus")
    assert info.value.message == "Unknown time zone 'Mars/Olympus' (from tz=)."
    assert info.value.hint == "Give tz= an IANA zone name, e.g. tz='Europe/London'."


async def _collect(trigger: Any, out: asyncio.Queue[Any]) -> None:
    async for event in trigger.run():  # as the triggerer does: take it, ask for the next
        await out.put(event.payload)


async def _baseline(emu: Any, logged: int) -> None:
    """Until the trigger's first call-log query reached the PBX: calls made after it are new."""
    deadline = asyncio.get_running_loop().time() + 20
    while _call_log_queries(emu) <= logged:
        assert asyncio.get_running_loop().time() < deadline, "the trigger never polled"
        await asyncio.sleep(0.05)


def _call_log_queries(emu: Any) -> int:
    return sum(1 for r in emu.requests if "GetCallLogData" in r["path"])


async def _next(out: asyncio.Queue[Any]) -> dict[str, Any]:
    return await asyncio.wait_for(out.get(), timeout=20)


def test_a_restarted_watching_trigger_resumes_after_the_last_batch(
    pbx: Any, tmp_path: Path
) -> None:
    from tcxkit.airflow.events import ThreeCXEventTrigger

    kwargs = {"types": ["call.missed"], "threecx_conn_id": "threecx_events",
              "cursor": str(tmp_path / "cursor.sqlite"), "interval": 0.2}  # fmt: skip

    async def scenario() -> tuple[list[dict[str, Any]], list[int]]:
        out: asyncio.Queue[Any] = asyncio.Queue()
        first = asyncio.create_task(_collect(ThreeCXEventTrigger(**kwargs), out))
        await _baseline(pbx, _call_log_queries(pbx))  # no `after`: the first poll is "now"
        # Two calls before the trigger polls again (the loop is ours until we await):
        # one poll finds both, one trigger event carries both -- one asset event, one run.
        calls = [missed_call(pbx, "+441134960371"), missed_call(pbx, "+441134960372")]
        payloads = [await _next(out)]
        first.cancel()  # the triggerer stops (a restart, a redeploy)
        await asyncio.gather(first, return_exceptions=True)
        calls.append(missed_call(pbx, "+441134960373"))
        again = asyncio.create_task(_collect(ThreeCXEventTrigger(**kwargs), out))
        payloads.append(await _next(out))
        again.cancel()
        await asyncio.gather(again, return_exceptions=True)
        assert out.empty()
        return payloads, calls

    payloads, calls = asyncio.run(scenario())
    assert [p["status"] for p in payloads] == ["events", "events"]
    assert [len(p["events"]) for p in payloads] == [2, 1]  # nothing repeated after the restart
    events = [e for p in payloads for e in p["events"]]
    assert [e["data"]["call_id"] for e in events] == calls
    assert [e["data"]["from"]["number"] for e in events] == [
        "+441134960371", "+441134960372", "+441134960373"]  # fmt: skip
    assert {e["type"] for e in events} == {"call.missed"} and len({e["id"] for e in events}) == 3
    assert {e["pbx"] for e in events} == {"threecx_events"}


def test_a_connection_with_no_api_key_fails_the_sensor_and_the_watch(monkeypatch: Any) -> None:
    from tcxkit.airflow.events import ThreeCXEventTrigger
    from tcxkit.errors import ConfigurationError

    monkeypatch.setenv("AIRFLOW_CONN_THREECX_NOKEY", json.dumps(
        {"conn_type": "threecx", "host": "https://pbx.example.com", "login": "x"}))  # fmt: skip
    message = (
        "Connection 'threecx_nokey' has no API key.\nSet the password field to the API key "
        "shown when the 3CX API client was created."
    )

    async def first(once: bool) -> dict[str, Any]:
        trigger = ThreeCXEventTrigger(
            types="trunk.down", threecx_conn_id="threecx_nokey", once=once
        )
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("no event")

    payload = asyncio.run(first(once=True))  # the sensor fails its task with the message
    assert payload == {"status": "error", "message": message, "permanent": True}
    with pytest.raises(ConfigurationError) as info:  # a watch: no asset event, the trigger fails
        asyncio.run(first(once=False))
    assert str(info.value) == message


def test_an_after_that_is_no_time_fails_the_sensor_with_the_fix() -> None:
    from tcxkit.airflow.events import ThreeCXEventTrigger

    async def first() -> dict[str, Any]:
        trigger = ThreeCXEventTrigger(types="backup.completed", once=True, after="yesterday")
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("no event")

    payload = asyncio.run(first())
    assert payload == {"status": "error", "message": "after='yesterday' is not an ISO time.\n"
                       "Give e.g. after='2026-03-10T09:00:00Z' (templated: "
                       "'{{ data_interval_start }}').", "permanent": True}  # fmt: skip


def test_the_sensor_completes_on_backup_completed(
    airflow_db: None, emulator: Any, load_dag: Any
) -> None:
    dag = load_dag(EXAMPLES / "threecx_events_backup_sensor.py", "threecx_backup_event")
    dag_run = dag.test()
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert str(dag_run.state) == "success", states
    event = dag_run.get_task_instance("backup_done").xcom_pull(task_ids="backup_done")
    assert event["type"] == "backup.completed" and event["pbx"] == "threecx_default"
    assert event["data"]["file_name"].startswith("airflow-event-") and event["data"]["size"] > 0
    report = dag_run.get_task_instance("report").xcom_pull(task_ids="report")
    assert report == f"{event['data']['file_name']}: {event['data']['size']} bytes"


def test_the_sensor_looks_back_to_its_runs_start_in_whole_seconds() -> None:
    """The PBX stamps a backup 12:00:07 that completed at 12:00:07.9: a run started at
    12:00:07.2 must still see it (and a PBX clock a little behind Airflow's)."""
    from types import SimpleNamespace

    from tcxkit.airflow.events import ThreeCXEventSensor

    sensor = ThreeCXEventSensor(task_id="wait", type="backup.completed")
    run = SimpleNamespace(start_date=datetime(2026, 3, 10, 12, 0, 7, 200_000, tzinfo=UTC))
    assert sensor._after({"dag_run": run}) == "2026-03-10T12:00:02+00:00"
    chosen = ThreeCXEventSensor(task_id="w2", type="backup.completed", after="2026-03-10T11:00Z")
    assert chosen._after({"dag_run": run}) == "2026-03-10T11:00Z"


def test_the_trigger_keeps_sqlite_off_the_triggerers_event_loop(
    pbx: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """Every store call -- open, load, commit, read, ack, close -- runs in a worker thread:
    the triggerer's loop (shared by every trigger) never waits on a SQLite write."""
    import threading

    import tcxkit.events
    from tcxkit.airflow.events import ThreeCXEventTrigger
    from tcxkit.events import SqliteCursorStore

    threads: list[tuple[str, int]] = []

    class Recording(SqliteCursorStore):
        def __getattribute__(self, name: str) -> Any:
            found = super().__getattribute__(name)
            if name not in ("load", "commit", "pending", "ack", "close"):
                return found

            def called(*args: Any, **kwargs: Any) -> Any:  # where it runs, not who fetched it
                threads.append((name, threading.get_ident()))
                return found(*args, **kwargs)

            return called

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            threads.append(("open", threading.get_ident()))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tcxkit.events, "SqliteCursorStore", Recording)
    kwargs = {"types": ["call.missed"], "threecx_conn_id": "threecx_events",
              "cursor": str(tmp_path / "cursor.sqlite"), "interval": 0.2}  # fmt: skip

    async def scenario() -> int:
        out: asyncio.Queue[Any] = asyncio.Queue()
        task = asyncio.create_task(_collect(ThreeCXEventTrigger(**kwargs), out))
        await _baseline(pbx, _call_log_queries(pbx))
        missed_call(pbx, "+441134960374")
        assert (await _next(out))["status"] == "events"
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return threading.get_ident()

    loop_thread = asyncio.run(scenario())
    used = {name for name, _ in threads}
    assert used >= {"open", "load", "commit", "pending", "ack", "close"}, used
    assert [name for name, ident in threads if ident == loop_thread] == []


def test_a_named_zone_is_used_and_an_unknown_one_fails_the_sensor_with_the_fix(
    pbx: Any, tmp_path: Path
) -> None:
    from tcxkit.airflow.events import AFTER_MARGIN, ThreeCXEventTrigger

    async def first(**kwargs: Any) -> dict[str, Any]:
        trigger = ThreeCXEventTrigger(types="call.missed", threecx_conn_id="threecx_events",
                                      once=True, interval=0.2, **kwargs)  # fmt: skip
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("no event")

    payload = asyncio.run(first(tz="Mars/Olympus"))
    assert payload == {"status": "error", "permanent": True, "message": "Unknown time zone "
                       "'Mars/Olympus' (from tz=).\nGive tz= an IANA zone name, e.g. "
                       "tz='Europe/London'."}  # fmt: skip
    after = (datetime.now(UTC) - AFTER_MARGIN).replace(microsecond=0).isoformat()  # as the sensor
    call = missed_call(pbx, "+441134960375")
    payload = asyncio.run(first(tz="Asia/Kolkata", after=after))
    assert payload["event"]["data"]["call_id"] <= call  # the first missed since `after`
    assert payload["event"]["type"] == "call.missed"
    assert payload["event"]["time"].endswith("+05:30")
