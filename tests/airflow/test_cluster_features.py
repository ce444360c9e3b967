"""The cluster features without a cluster: pools, the deferrable sensor's trigger, the
Airflow token store when its backend misbehaves, and the refusal of Airflow 2.

The CeleryExecutor deployment (test_celery_cluster.py) proves them together; these pin each
one's contract, error paths included, in seconds.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pendulum
import pytest
from tests.emulators import post_token

from tcxkit.auth import TokenState
from tcxkit.errors import UsageError


def _dag() -> Any:
    from airflow.sdk import DAG

    return DAG("tcxkit_pool_check", schedule=None, start_date=pendulum.datetime(2024, 1, 1))


# -- item 3: a pool per PBX connection ------------------------------------------------------
def test_operators_and_sensors_run_in_their_connections_pool() -> None:
    from tcxkit.airflow import ThreeCXOperator, ThreeCXSensor

    with _dag():
        plain = ThreeCXOperator(task_id="plain", action="ListUser")
        other = ThreeCXOperator(task_id="other", action="ListUser", threecx_conn_id="pbx2")
        chosen = ThreeCXOperator(task_id="chosen", action="ListUser", pool="mine")
        sensor = ThreeCXSensor(task_id="sensor", action="ListUser", threecx_conn_id="pbx2")
        mapped = ThreeCXOperator.partial(
            task_id="mapped", action="GetUser", threecx_conn_id="pbx3"
        ).expand(parameters=[{"Id": 1}])
        mapped_sensor = ThreeCXSensor.partial(
            task_id="mapped_sensor", action="GetUser", threecx_conn_id="pbx4"
        ).expand(parameters=[{"Id": 1}])
    assert plain.pool == "threecx_threecx_default"
    assert other.pool == sensor.pool == "threecx_pbx2"
    assert chosen.pool == "mine"
    assert mapped.pool == "threecx_pbx3"  # what the scheduler reads for a mapped task
    assert mapped_sensor.pool == "threecx_pbx4"


def test_the_default_pool_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from tcxkit.airflow import ThreeCXOperator

    monkeypatch.setenv("AIRFLOW__THREECX__DEFAULT_POOL", "False")
    with _dag():
        task = ThreeCXOperator(task_id="plain", action="ListUser")
    assert task.pool == "default_pool"


def test_pools_command_creates_missing_pools_and_keeps_existing_sizes(
    airflow_db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from airflow.models.pool import Pool

    from tcxkit.airflow.pools import main

    assert main(["pbx_a", "pbx_b", "--slots", "3"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "threecx_pbx_a: created with 3 slots",
        "threecx_pbx_b: created with 3 slots",
    ]
    assert main(["pbx_a", "--slots", "9"]) == 0
    assert capsys.readouterr().out.splitlines() == ["threecx_pbx_a: exists"]
    assert Pool.get_pool("threecx_pbx_a").slots == 3
    with pytest.raises(SystemExit):
        main(["pbx_c", "--slots", "0"])
    assert "--slots must be at least 1" in capsys.readouterr().err


# -- item 4: deferrable waits ---------------------------------------------------------------
def test_a_deferrable_sensor_refuses_a_callable_condition() -> None:
    from tcxkit.airflow import ThreeCXSensor

    with pytest.raises(UsageError) as err:
        ThreeCXSensor(task_id="wait", action="ListUser", condition=bool, deferrable=True)
    assert str(err.value).startswith(
        "wait: a deferrable sensor needs a condition spec, not a callable"
    )


def test_a_deferrable_sensor_hands_its_wait_to_a_serializable_trigger() -> None:
    from airflow.sdk.exceptions import TaskDeferred

    from tcxkit.airflow import ThreeCXSensor
    from tcxkit.airflow.triggers import ThreeCXTrigger

    spec = {"path": "value", "op": "nonempty"}
    sensor = ThreeCXSensor(
        task_id="wait", action="ListUser", condition=spec, top=1, deferrable=True, timeout=60
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context={})
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout.total_seconds() == 60
    classpath, kwargs = deferred.value.trigger.serialize()
    assert classpath == "tcxkit.airflow.triggers.ThreeCXTrigger"
    assert kwargs["call_kwargs"] == {"top": 1} and kwargs["condition"] == spec
    assert ThreeCXTrigger(**kwargs).serialize() == (classpath, kwargs)


async def _first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event.payload
    return None


@pytest.fixture
def memory_store(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Airflow Variables as a dict (no task context in these tests)."""
    from airflow.sdk import Variable

    values: dict[str, str] = {}
    monkeypatch.setattr(Variable, "get", lambda key, default=None: values.get(key, default))
    monkeypatch.setattr(
        Variable, "set", lambda key, value, description=None: values.__setitem__(key, value)
    )
    return values


def test_the_trigger_polls_with_the_async_client_until_the_condition_holds(
    emulator: Any, memory_store: dict[str, str]
) -> None:
    from tcxkit.airflow.triggers import ThreeCXTrigger

    trigger = ThreeCXTrigger(
        threecx_conn_id="threecx_default",
        action="ListUser",
        call_kwargs={"filter": "Number eq '100'", "select": ["Number"]},
        condition={"op": "any", "where": {"path": "Number", "op": "eq", "value": "100"}},
        poke_interval=0.01,
    )
    event = asyncio.run(_first_event(trigger))
    assert event == {"status": "done", "value": {"Number": "100"}, "pokes": 1}
    assert any(name.startswith("tcxkit_token_") for name in memory_store)  # shared the token


def test_a_failing_call_ends_the_trigger_with_the_librarys_message(
    emulator: Any, memory_store: dict[str, str]
) -> None:
    from tcxkit.airflow.triggers import ThreeCXTrigger

    trigger = ThreeCXTrigger(
        threecx_conn_id="threecx_default",
        action="GetUser",
        call_kwargs={"Id": 987654},
        condition=None,
        poke_interval=0.01,
    )
    event = asyncio.run(_first_event(trigger))
    assert event["status"] == "error" and event["permanent"] is True
    assert "404" in event["message"]


def test_the_sensor_turns_trigger_events_into_results_and_failures() -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from tcxkit.airflow import ThreeCXSensor

    sensor = ThreeCXSensor(task_id="wait", action="ListUser", deferrable=True)
    assert sensor.execute_complete({}, {"status": "done", "value": {"Id": 1}, "pokes": 2}) == {
        "Id": 1
    }
    with pytest.raises(AirflowFailException, match=r"^The PBX refused"):
        sensor.execute_complete(
            {}, {"status": "error", "message": "The PBX refused", "permanent": True}
        )
    with pytest.raises(AirflowException, match=r"^Timed out") as err:
        sensor.execute_complete({}, {"status": "error", "message": "Timed out", "permanent": False})
    assert not isinstance(err.value, AirflowFailException)  # Airflow's retries apply


# -- the Airflow token store when its backend is unreachable ----------------------------------
def test_an_unreachable_store_falls_back_to_fetching_and_says_so_without_the_token(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow.sdk import Variable

    from tcxkit import Client
    from tcxkit.airflow.token_store import AirflowTokenStore

    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise ConnectionError("API server http://airflow-api:8080/execution/ is unreachable")

    monkeypatch.setattr(Variable, "get", down)
    monkeypatch.setattr(Variable, "set", down)
    TokenState._memory.clear()
    emulator.clear_requests()
    store = AirflowTokenStore(settle=0.0)
    caplog.set_level(logging.DEBUG, logger="tcxkit")
    with Client(emulator.url, emulator.client_id, emulator.client_secret, token_cache=store) as c:
        assert c.call("ListUser", top=1)["value"]
        token = c._core.tokens.token().access_token
    assert sum(1 for r in emulator.requests if r["path"] == "/connect/token") == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings[0] == (
        "tcxkit: the Airflow token store could not be read (ConnectionError: API server "
        "http://airflow-api:8080/execution/ is unreachable); going on without it (a token is "
        "fetched from the PBX if needed, which may replace other workers' token)"
    )
    assert "tcxkit: no cluster-wide token lock to be had; fetching without it" in warnings
    assert len([w for w in warnings if "could not" in w]) == 1  # said once, not per call
    assert all(token not in r.getMessage() for r in caplog.records)


def test_workers_of_one_store_share_a_token_and_adopt_a_newer_one(
    emulator: Any, memory_store: dict[str, str]
) -> None:
    from tcxkit import Client
    from tcxkit.airflow.token_store import AirflowTokenStore

    def worker() -> Client:
        TokenState._memory.clear()  # a new task process: only the store remembers
        return Client(
            emulator.url,
            emulator.client_id,
            emulator.client_secret,
            token_cache=AirflowTokenStore(settle=0.0),
        )

    emulator.clear_requests()
    with worker() as first:
        first.call("ListUser", top=1)
    with worker() as second:
        second.call("ListUser", top=1)
        # Another host fetches a token (revoking second's) and stores it ...
        key = second._core.tokens.key
        answer = post_token(emulator.url, emulator.client_id, emulator.client_secret).json()
        store = AirflowTokenStore()
        store.save(key, {**(store.load(key) or {}), "access_token": answer["access_token"]})
        second.call("ListUser", top=1)  # ... second's 401 re-reads and adopts it: no fetch
    paths = [r["path"] for r in emulator.requests]
    assert paths.count("/connect/token") == 2, paths  # first's, and the other host's
    assert sum(1 for r in emulator.requests if r["status"] == 401) == 1


# -- item 5: Airflow 3 only -----------------------------------------------------------------
def test_airflow_2_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    fake = tmp_path / "airflow"
    fake.mkdir()
    (fake / "__init__.py").write_text('__version__ = "2.11.0"\n')
    done = subprocess.run(
        [sys.executable, "-c", "import tcxkit.airflow.hooks"],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ImportError: tcxkit's Airflow provider needs Apache Airflow 3.0 or newer; this is "
        "Airflow 2.11.0. Airflow 2 reached its end of life on 2026-04-22: upgrade to Airflow 3 "
        "(docs/airflow.md, 'Airflow versions')."
    )
