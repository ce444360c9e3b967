"""The client over real HTTP against the emulator: tokens, errors, retries, paging, files."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tcxkit
from tcxkit import (
    ApiError,
    AuthenticationError,
    ConnectError,
    FileResult,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeout,
    ServerError,
    TLSError,
    UnsupportedActionError,
)

from ..emulators import post_token
from .conftest import PBX


def _new_user(c: tcxkit.Client, number: str, **extra) -> dict:
    return c.call(
        "CreateUser",
        body={"Number": number, "FirstName": "Test", "LastName": number, **extra},
    )


# -- tokens ---------------------------------------------------------------------


def test_one_token_is_reused_across_calls_and_clients(pbx: PBX) -> None:
    with pbx.client() as a, pbx.client() as b:
        a.call("ListUser", top=1)
        a.call("ListUser", top=1)
        b.call("ListUser", top=1)
    assert pbx.token_requests() == 1


def test_token_is_shared_across_processes_through_the_cache(pbx: PBX) -> None:
    with pbx.client() as c:
        c.call("ListUser", top=1)
    script = textwrap.dedent(
        f"""
        import tcxkit
        c = tcxkit.Client({pbx.url!r}, {pbx.client_id!r}, {pbx.client_secret!r},
                          token_cache={str(pbx.cache)!r})
        print(c.call("ListUser", top=1)["value"])
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert pbx.token_requests() == 1
    files = list(pbx.cache.glob("*.json"))
    assert len(files) == 1
    assert (files[0].stat().st_mode & 0o777) == 0o600


def test_a_revoked_token_is_replaced_once_and_the_call_retried(pbx: PBX) -> None:
    with pbx.client() as c:
        c.call("ListUser", top=1)
        pbx.new_token_elsewhere()  # the PBX keeps one token per client: ours is now revoked
        pbx.clear_requests()
        assert c.call("ListUser", top=1)["value"] == []
    log = [(r["method"], r["path"], r["status"]) for r in pbx.requests()]
    assert log == [
        ("GET", "/xapi/v1/Users", 401),
        ("POST", "/connect/token", 200),
        ("GET", "/xapi/v1/Users", 200),
    ]


def test_wrong_secret_is_an_authentication_error_with_the_pbx_reason(pbx: PBX) -> None:
    with pbx.client(secret="wrong") as c, pytest.raises(AuthenticationError) as err:
        c.call("ListUser")
    e = err.value
    assert e.status == 401 and e.exit_code == 5
    assert e.message == (
        "The PBX refused the API credentials (401): The request requires valid user authentication."
    )
    assert "Integrations > API" in e.hint
    assert "wrong" not in str(e)


@pytest.mark.parametrize(("release", "unit"), [("20.0.8", 60), ("20.0.9", 1)])
def test_expires_in_unit_per_release(pbx_factory, release: str, unit: int) -> None:
    p = pbx_factory(version=release, data="empty")
    body = post_token(p.url, p.client_id, p.client_secret).json()
    # A token lives an hour: 60 (minutes) up to 20.0.8, 3600 (seconds) from 20.0.9.
    assert body["expires_in"] * unit == 3600
    with p.client() as c:
        assert c.release == release
        c.call("GetDefs", select=["Id"])


def test_expires_in_fallback_when_the_token_is_not_a_readable_jwt() -> None:
    from tcxkit.auth import parse_token_response

    minutes = parse_token_response(
        200, b'{"access_token":"opaque","expires_in":60}', url="u", release="20.0.8", now=0
    )
    seconds = parse_token_response(
        200, b'{"access_token":"opaque","expires_in":3600}', url="u", release="20.0.9", now=0
    )
    unknown = parse_token_response(
        200, b'{"access_token":"opaque","expires_in":60}', url="u", release=None, now=0
    )
    assert minutes.expires_at == seconds.expires_at == unknown.expires_at == 3600


def test_secrets_stay_out_of_reprs(pbx: PBX) -> None:
    with pbx.client() as c:
        c.call("ListUser", top=1)
        token = c._core.tokens.token()
        assert pbx.client_secret not in repr(c) and pbx.client_secret not in repr(c._core)
        assert token.access_token not in repr(token)


# -- errors ---------------------------------------------------------------------


def test_not_found(pbx: PBX) -> None:
    with pbx.client() as c, pytest.raises(NotFoundError) as err:
        c.call("GetUser", Id=424242)
    assert err.value.exit_code == 7 and err.value.status == 404
    assert err.value.message.startswith("GetUser: not found (404) at GET ")
    assert "every parameter is required" in err.value.hint


def test_pbx_refusal_carries_the_odata_envelope(pbx: PBX) -> None:
    with pbx.client() as c:
        user = _new_user(c, "300")
        with pytest.raises(ApiError) as err:
            c.call("UpdateUser", Id=user["Id"], body={"Number": "301"})
    e = err.value
    assert type(e) is ApiError and e.status == 400 and e.exit_code == 8
    assert e.details and e.details[0]["target"] == "Number"
    assert e.message.startswith(
        "UpdateUser: the PBX refused the request (400).\n  - Number: WARNINGS.XAPI."
    )


def test_permission_denied(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/CallHistoryView", status=403, times=1)
    with pbx.client() as c, pytest.raises(PermissionDeniedError) as err:
        c.call("ListCallHistoryView", top=1)
    assert err.value.exit_code == 6
    assert "System Owner" in err.value.hint and "allow-list" in err.value.hint


def test_server_error_after_retries(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/Users", status=503, times=10)
    with pbx.client(retries=2) as c, pytest.raises(ServerError) as err:
        c.call("ListUser", top=1)
    assert err.value.exit_code == 9 and err.value.status == 503
    attempts = [r for r in pbx.requests() if r["path"] == "/xapi/v1/Users"]
    assert len(attempts) == 3


def test_retry_recovers_from_transient_gateway_errors(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/Users", status=502, times=2)
    with pbx.client() as c:
        assert c.call("ListUser", top=1)["value"] == []
    statuses = [r["status"] for r in pbx.requests() if r["path"] == "/xapi/v1/Users"]
    assert statuses == [502, 502, 200]


def test_post_is_not_resent(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/Users", method="POST", status=503, times=1)
    with pbx.client() as c, pytest.raises(ServerError):
        _new_user(c, "310")
    posts = [r for r in pbx.requests() if r["path"] == "/xapi/v1/Users" and r["method"] == "POST"]
    assert len(posts) == 1


def test_post_is_resent_when_asked(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/Users", method="POST", status=503, times=1)
    with pbx.client(retry_writes=True) as c:
        assert _new_user(c, "311")["Number"] == "311"


def test_timeout(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/Users", delay=2.0, times=5)
    with pbx.client(timeout=0.2, retries=0) as c, pytest.raises(RequestTimeout) as err:
        c.call("ListUser", top=1)
    assert err.value.exit_code == 4
    assert err.value.message.startswith("No answer from ")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cannot_connect(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    client = tcxkit.Client(url, "id", "secret", token_cache=tmp_path, retries=1, backoff=0.001)
    with client as c, pytest.raises(ConnectError) as err:
        c.call("ListUser")
    assert err.value.exit_code == 4
    assert err.value.message.startswith(f"Cannot connect to {url}/connect/token")
    assert "5001" in err.value.hint


def test_https_to_a_plain_http_port_is_told_apart(pbx: PBX) -> None:
    """A handshake answered in plain HTTP: no CA can help, http:// can (issue #22)."""
    https_url = pbx.url.replace("http://", "https://")
    client = tcxkit.Client(https_url, "id", "s", token_cache=False, retries=0)
    with client as c, pytest.raises(TLSError) as err:
        c.call("ListUser")
    assert err.value.exit_code == 4
    assert err.value.plain_http is True
    assert err.value.message.endswith("; the port answers in plain HTTP, not TLS.")
    assert err.value.hint.startswith("Use an http:// URL for this port (allow_http=True")
    assert "--ca-bundle" not in err.value.hint


# -- releases -------------------------------------------------------------------


def test_auto_version_picks_the_pbx_release_and_its_paths(pbx_factory) -> None:
    p = pbx_factory(version="20.0.7", data="empty")
    with p.client() as c:
        c.call("CreateUser", body={"Number": "120", "FirstName": "A", "LastName": "B"})
        assert c.release == "20.0.7"
        assert c.pbx_version.startswith("20.0.7.")
        p.clear_requests()
        c.call("GetUserByNumber", number="120")
    assert [r["path"] for r in p.requests()] == ["/xapi/v1/Users/Pbx.GetByNumber(number='120')"]


def test_action_missing_from_the_release_fails_before_sending(pbx_factory) -> None:
    p = pbx_factory(version="20.0.4", data="empty")
    newest_only = next(
        a.id for a in tcxkit.catalog("20.0.10") if tcxkit.catalog("20.0.4").get(a.id) is None
    )
    with p.client() as c:
        c.call("ListUser", top=1)
        p.clear_requests()
        with pytest.raises(UnsupportedActionError) as err:
            c.call(newest_only)
    assert err.value.exit_code == 2
    assert f"{newest_only} is not available in XAPI 20.0.4" in err.value.message
    assert p.requests() == []


# -- paging and files -------------------------------------------------------------


def test_paginate_crosses_the_100_item_cap(pbx: PBX) -> None:
    with pbx.client() as c:
        for n in range(1000, 1250):
            _new_user(c, str(n))
        pbx.clear_requests()
        numbers = [u["Number"] for u in c.paginate("ListUser", select=["Number"], orderby="Number")]
        assert numbers == [str(n) for n in range(1000, 1250)]
        tops = [r["query"] for r in pbx.requests() if r["path"] == "/xapi/v1/Users"]
        assert len(tops) == 3
        assert len(list(c.paginate("ListUser", top=120, page_size=50))) == 120
        counted = list(c.paginate("ListUser", count=True, filter="Number ge '1200'"))
        assert len(counted) == 50


def test_download_recording_as_file(demo_pbx: PBX, tmp_path: Path) -> None:
    with demo_pbx.client() as c:
        rec = c.call("ListRecording", top=1)["value"][0]
        result = c.call("DownloadRecording", recId=rec["Id"])
        assert isinstance(result, FileResult)
        assert result.content_type == "audio/x-wav"
        assert result.content[:4] == b"RIFF" and result.content[8:12] == b"WAVE"
        assert result.filename and result.filename.endswith(".wav")
        saved = c.download("DownloadRecording", tmp_path, recId=rec["Id"])
    assert saved.path == str(tmp_path / result.filename)
    assert Path(saved.path).read_bytes() == result.content
    assert saved.size == len(result.content)


# -- the example that must always work ----------------------------------------------


def test_numbers_as_ints_find_peers(demo_pbx: PBX) -> None:
    with demo_pbx.client() as c:
        numbers = [p["Number"] for p in c.call("ListPeer", top=2, orderby="Number")["value"]]
        found = c.peers.retreive_peers_by_numbers(
            peers_request={"DnNumbers": [int(n) for n in numbers] + [987654]}
        )
    assert sorted(p["Number"] for p in found["value"]) == sorted(numbers)


# -- async ------------------------------------------------------------------------


async def test_async_client_shares_the_flow(pbx: PBX) -> None:
    async with pbx.aclient() as c:
        created = await c.call(
            "CreateUser", body={"Number": "500", "FirstName": "A", "LastName": "B"}
        )
        assert created["Number"] == "500"
        assert await c.release() == "20.0.10"
        got = await c.users.get_user(id=created["Id"])
        assert got["Number"] == "500"
        items = [u async for u in c.paginate("ListUser", select=["Number"])]
        assert items == [{"Number": "500"}]
        pbx.new_token_elsewhere()
        assert (await c.call("GetUser", Id=created["Id"]))["Number"] == "500"
        with pytest.raises(NotFoundError):
            await c.call("GetUser", Id=9999)
    assert pbx.token_requests() == 3  # ours, the other tool's, and our refresh


def test_download_a_backup_by_its_link(pbx_factory, tmp_path: Path) -> None:
    import zipfile

    p = pbx_factory(data="demo", options={"backup_delay": 0})
    with p.client() as c:
        backup = c.call("ListBackups", top=1)["value"][0]
        saved = c.download_url(backup["DownloadLink"], tmp_path)
        assert zipfile.is_zipfile(saved.path)
        assert Path(saved.path).name == backup["FileName"]
        assert not list(tmp_path.glob("*.part"))
        with pytest.raises(tcxkit.UsageError) as err:
            c.download_url("https://elsewhere.example/x.zip", tmp_path / "x.zip")
        with pytest.raises(NotFoundError):
            c.download_url("/backups/none.zip", tmp_path / "none.zip")
    assert str(err.value) == (
        f"Download link 'https://elsewhere.example/x.zip' points to another host than {p.url}.\n"
        "Only links on the PBX itself are fetched, so the API token stays there."
    )
    assert not (tmp_path / "none.zip").exists() and not list(tmp_path.glob(".*.part"))


def test_configuration_errors_say_what_to_do() -> None:
    with pytest.raises(tcxkit.ConfigurationError) as err:
        tcxkit.Client("pbx.example.com", "id", "secret")
    assert str(err.value) == (
        "The PBX URL 'pbx.example.com' is not a URL.\n"
        "Give it as https://pbx.example.com (port 5001 for self-hosted, 443 for hosted)."
    )
    with pytest.raises(tcxkit.ConfigurationError, match="A client id and an API key are needed"):
        tcxkit.Client("https://pbx.example.com", "id", "")
    assert err.value.exit_code == 2


def test_unknown_action_is_refused_before_any_request(pbx: PBX) -> None:
    with pbx.client(release="20.0.10") as c, pytest.raises(tcxkit.UnknownActionError) as err:
        c.call("ListUsers")
    assert "Did you mean: ListUser" in str(err.value)
    assert pbx.requests() == []


def test_attribute_access_lists_what_exists(pbx: PBX) -> None:
    with pbx.client(release="20.0.10") as c:
        assert "peers" in dir(c) and "report_call_log_data" in dir(c)
        assert "retreive_peers_by_numbers" in dir(c.peers)
        with pytest.raises(AttributeError, match="has no resource 'peeers'"):
            _ = c.peeers
        with pytest.raises(AttributeError, match="resource Peers has no action 'retrieve_peers'"):
            _ = c.peers.retrieve_peers
        import inspect

        sig = inspect.signature(c.users.get_user)
        assert list(sig.parameters)[:3] == ["id", "select", "expand"]
        assert "GetUser" in c.users.get_user.__doc__


def test_system_owner_rule_is_one_definition(pbx_factory) -> None:
    """The emulator refuses a System Admin exactly the actions the docs say need an Owner."""
    from tcxkit.catalog.render import expected_errors

    cat = tcxkit.catalog()
    owner_lists = sorted(a.id for a in cat if a.needs_system_owner and a.id.startswith("List"))
    assert {a.resource for a in cat if a.needs_system_owner} == {
        "CallHistoryView", "ChatHistoryView", "ChatMessagesHistoryView", "Recordings"
    }  # fmt: skip
    p = pbx_factory(data="empty", options={"role": "system_admin"})
    with p.client() as c:
        assert c.call("ListUser", top=1)["value"] == []
        for action_id in owner_lists:
            with pytest.raises(PermissionDeniedError) as err:
                c.call(action_id, top=1)
            assert f"{action_id} needs the System Owner role." in err.value.message
            assert (6, "needs the System Owner role") in expected_errors(cat.require(action_id))
    assert (6, "needs the System Owner role") not in expected_errors(cat.require("ListUser"))
