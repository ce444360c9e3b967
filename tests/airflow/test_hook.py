"""ThreeCXHook: connection parsing, test_connection, client sharing, download links."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tcxkit.airflow.hooks import ThreeCXHook, clear_client_cache
from tcxkit.errors import ConfigurationError, NotFoundError, UsageError


@pytest.fixture(autouse=True)
def _fresh_clients() -> Any:
    clear_client_cache()
    yield
    clear_client_cache()


def define(monkeypatch: pytest.MonkeyPatch, conn_id: str, value: dict[str, Any] | str) -> None:
    text = value if isinstance(value, str) else json.dumps({"conn_type": "threecx", **value})
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", text)


def test_uri_form_connection_authenticates(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    hostport = emulator.url.split("://")[1]
    uri = (
        f"threecx://{quote(emulator.client_id)}:{quote(emulator.client_secret)}@{hostport}"
        "?scheme=http&release=20.0.10&timeout=5"
    )
    define(monkeypatch, "threecx_uri", uri)
    hook = ThreeCXHook(threecx_conn_id="threecx_uri")
    settings = hook.settings()
    assert settings["base_url"] == emulator.url
    assert settings["release"] == "20.0.10"
    assert settings["timeout"] == 5.0
    ok, message = hook.test_connection()
    assert ok, message
    # The PBX version shows when this process has talked to the PBX already.
    assert message in (
        f"Authenticated to {emulator.url}.",
        f"Authenticated to {emulator.url} (3CX 20.0.10.1621).",
    )


def test_host_with_api_root_and_port_field(monkeypatch: pytest.MonkeyPatch) -> None:
    define(
        monkeypatch,
        "threecx_port",
        {"host": "https://pbx.example.com/xapi/v1/", "port": 5001, "login": "c", "password": "k"},
    )
    settings = ThreeCXHook(threecx_conn_id="threecx_port").settings()
    assert settings["base_url"] == "https://pbx.example.com:5001"
    assert settings["verify"] is True
    assert settings["release"] == "auto"


def test_extras_from_the_ui_form(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    define(
        monkeypatch,
        "threecx_extras",
        {
            "host": "pbx.example.com",
            "login": "c",
            "password": "k",
            "extra": {"extra__threecx__ca_bundle": str(ca), "verify_tls": "true"},
        },
    )
    settings = ThreeCXHook(threecx_conn_id="threecx_extras").settings()
    assert settings["base_url"] == "https://pbx.example.com"
    assert settings["verify"] == str(ca)


def test_verify_tls_off(monkeypatch: pytest.MonkeyPatch) -> None:
    define(
        monkeypatch,
        "threecx_lab",
        {"host": "pbx.lab", "login": "c", "password": "k", "extra": {"verify_tls": False}},
    )
    assert ThreeCXHook(threecx_conn_id="threecx_lab").settings()["verify"] is False


def test_plain_http_off_the_worker_needs_the_allow_http_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refused when the client is made, before any connection (a documentation address)."""
    conn = {"host": "http://198.51.100.7:5000", "login": "c", "password": "k"}
    define(monkeypatch, "threecx_far", conn)
    with pytest.raises(ConfigurationError) as info:
        ThreeCXHook(threecx_conn_id="threecx_far").get_conn()
    assert info.value.message == (
        "Plain http:// to 198.51.100.7 would send the API key unencrypted; nothing was sent."
    )
    define(monkeypatch, "threecx_far_ok", {**conn, "extra": {"allow_http": "true"}})
    assert ThreeCXHook(threecx_conn_id="threecx_far_ok").settings()["allow_http"] is True


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "AirflowTokenStore()"),  # the default: one token for the deployment
        ({"token_store": "airflow"}, "AirflowTokenStore()"),
        ({"token_store": "file"}, "True"),  # the per-host cache in the default directory
        ({"token_store": "file", "token_cache": "/srv/tokens"}, "'/srv/tokens'"),
        ({"token_store": "none"}, "False"),
        ({"token_cache": "/srv/tokens"}, "'/srv/tokens'"),  # earlier releases' meaning kept
        ({"token_cache": False}, "False"),
        ({"token_store": "airflow", "token_cache": False}, "AirflowTokenStore()"),
    ],
)
def test_token_store_extra(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], expected: str
) -> None:
    define(
        monkeypatch,
        "threecx_store",
        {"host": "pbx", "login": "c", "password": "k", "extra": extra},
    )
    assert repr(ThreeCXHook(threecx_conn_id="threecx_store").settings()["token_cache"]) == expected


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        (
            {"login": "c", "password": "k"},
            "Connection 'threecx_bad' has no Base URL.\n"
            "Set the host field to the PBX address, e.g. https://pbx.example.com:5001.",
        ),
        ({"host": "pbx", "password": "k"}, "Connection 'threecx_bad' has no Client ID."),
        ({"host": "pbx", "login": "c"}, "Connection 'threecx_bad' has no API key."),
        (
            {"host": "ftp://pbx", "login": "c", "password": "k"},
            "Connection 'threecx_bad': Base URL 'ftp://pbx' is not an http(s) address.",
        ),
        (
            {"host": "pbx", "login": "c", "password": "k", "extra": {"verify_tls": "maybe"}},
            "Connection 'threecx_bad': extra 'verify_tls' must be true or false, got 'maybe'.",
        ),
        (
            {"host": "pbx", "login": "c", "password": "k", "extra": {"ca_bundle": "/no/ca.pem"}},
            "Connection 'threecx_bad': CA bundle '/no/ca.pem' does not exist.",
        ),
        (
            {"host": "pbx", "login": "c", "password": "k", "extra": {"timeout": "soon"}},
            "Connection 'threecx_bad': extra 'timeout' must be a number of seconds, got 'soon'.",
        ),
        (
            {"host": "pbx", "login": "c", "password": "k", "extra": {"token_store": "redis"}},
            "Connection 'threecx_bad': extra 'token_store' must be one of airflow, file, none, "
            "got 'redis'.\n'airflow' shares one token across all workers (the default).",
        ),
    ],
)
def test_bad_connections_are_explained(
    monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any], message: str
) -> None:
    define(monkeypatch, "threecx_bad", conn)
    hook = ThreeCXHook(threecx_conn_id="threecx_bad")
    with pytest.raises(ConfigurationError) as info:
        hook.get_conn()
    assert str(info.value).startswith(message)
    assert info.value.exit_code == 2
    ok, text = hook.test_connection()
    assert (ok, text) == (False, str(info.value))


def test_wrong_secret_fails_test_connection_without_echoing_it(emulator: Any) -> None:
    ok, message = ThreeCXHook(threecx_conn_id="threecx_wrong").test_connection()
    assert not ok
    assert message.startswith("The PBX refused the API credentials (401)")
    assert "not-the-secret" not in message


def test_hooks_share_one_client_per_pbx_and_client_id(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ThreeCXHook().get_conn()
    assert ThreeCXHook().get_conn() is first
    first.authenticate()
    token_requests = sum(r["path"] == "/connect/token" for r in emulator.requests)
    assert token_requests >= 1
    ThreeCXHook().get_conn().call("ListUser", top=1)
    assert sum(r["path"] == "/connect/token" for r in emulator.requests) == token_requests

    # A rotated key (same PBX and client id) replaces the cached client.
    conn = json.loads(os.environ["AIRFLOW_CONN_THREECX_DEFAULT"])
    define(monkeypatch, "threecx_default", {**conn, "password": "rotated"})
    assert ThreeCXHook().get_conn() is not first


def test_download_link_fetches_a_backup(emulator: Any, tmp_path: Path) -> None:
    hook = ThreeCXHook()
    backup = hook.get_conn().call("ListBackups")["value"][0]  # one of the demo backups
    summary = hook.download_link(backup["DownloadLink"], str(tmp_path / "b" / "x.zip"))
    assert summary["bytes"] == backup["Size"] == (tmp_path / "b" / "x.zip").stat().st_size
    assert summary["format"] == "file"
    assert summary["filename"] == backup["FileName"]


def test_download_link_missing_file_is_not_found(emulator: Any, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as info:
        ThreeCXHook().download_link("/backups/none.zip", str(tmp_path / "x.zip"))
    assert info.value.exit_code == 7
    assert not list(tmp_path.iterdir())


def test_download_link_never_sends_the_token_elsewhere(emulator: Any, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        ThreeCXHook().download_link("https://evil.example.com/b.zip", str(tmp_path / "x.zip"))
    assert str(info.value) == (
        f"Download link 'https://evil.example.com/b.zip' points to another host than "
        f"{emulator.url}.\nOnly links on the PBX itself are fetched, so the API token stays there."
    )


@pytest.mark.parametrize(
    ("conn_id", "code", "expected"),
    [
        ("threecx_default", 0, "Connection success!"),
        ("threecx_wrong", 1, "Connection failed!\nThe PBX refused the API credentials (401)"),
    ],
)
def test_airflow_connections_test_cli(
    emulator: Any, airflow_db: None, conn_id: str, code: int, expected: str
) -> None:
    """What a user runs: the provider is found and its test_connection answers the CLI."""
    env = {**os.environ, "AIRFLOW__CORE__TEST_CONNECTION": "Enabled"}
    airflow = Path(sys.executable).with_name("airflow")
    done = subprocess.run(
        [str(airflow), "connections", "test", conn_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == code, done.stderr[-2000:]
    assert expected in done.stdout
    assert "not-the-secret" not in done.stdout + done.stderr
