"""A write that may have been applied fails the task for good: Airflow must not re-send it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.proxy import Rule, breaking_proxy

from tcxkit import Client
from tcxkit.airflow.errors import ThreeCXPermanentError
from tcxkit.airflow.hooks import clear_client_cache
from tcxkit.airflow.operators import ThreeCXOperator
from tcxkit.errors import UncertainWriteError


def test_dropped_create_fails_without_retry_and_is_applied_once(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_client_cache()
    with breaking_proxy(emulator.url, Rule("POST", "/xapi/v1/Users", times=5)) as (url, proxy):
        conn = {"conn_type": "threecx", "host": url, "login": emulator.client_id}
        conn |= {"password": emulator.client_secret, "extra": {"token_cache": False}}
        monkeypatch.setenv("AIRFLOW_CONN_THREECX_FLAKY", json.dumps(conn))
        task = ThreeCXOperator(
            task_id="create_once",
            action="CreateUser",
            body={"Number": "4711", "FirstName": "Once", "LastName": "Only"},
            threecx_conn_id="threecx_flaky",
            retries=3,
        )
        with pytest.raises(ThreeCXPermanentError) as err:
            task.execute({})
    clear_client_cache()
    assert isinstance(err.value.error, UncertainWriteError)
    assert err.value.exit_code == 11
    assert "may have been applied by the PBX" in str(err.value)
    assert proxy.count("POST", "/xapi/v1/Users") == 1
    with Client(emulator.url, emulator.client_id, emulator.client_secret, token_cache=False) as c:
        users = c.call("ListUser", filter="Number eq '4711'")["value"]
    assert len(users) == 1


def test_server_errors_retry_reads_but_not_writes() -> None:
    from tcxkit.airflow.errors import ThreeCXError, to_airflow_error
    from tcxkit.errors import ServerError

    read = ServerError("boom", status=504, method="GET", url="http://pbx/xapi/v1/Users")
    write = ServerError("boom", status=504, method="POST", url="http://pbx/xapi/v1/Users")
    assert type(to_airflow_error(read)) is ThreeCXError
    assert type(to_airflow_error(write)) is ThreeCXPermanentError
