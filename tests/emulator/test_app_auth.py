"""Token endpoint and bearer checks of the emulator, over real HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running

from .conftest import fetch_token

UNAUTHORIZED = {
    "error": "unauthorized",
    "error_description": "The request requires valid user authentication.",
}


def _form(emu: Any, **overrides: str) -> dict[str, str]:
    data = {
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "grant_type": "client_credentials",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_urlencodedfetch_token(fresh_emulator: Any) -> None:
    r = httpx.post(f"{fresh_emulator.url}/connect/token", data=_form(fresh_emulator))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] is None
    header_b64, _, signature = body["access_token"].split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    assert header["alg"] == "ES256" and signature
    claims = _claims(body["access_token"])
    assert claims["sub"] == fresh_emulator.client_id
    assert claims["scope"] == "xapi"
    assert claims["role"] == ["system_owner"]
    assert claims["exp"] - claims["iat"] == 3600


def test_multipartfetch_token(fresh_emulator: Any) -> None:
    files = {k: (None, v) for k, v in _form(fresh_emulator).items()}
    r = httpx.post(f"{fresh_emulator.url}/connect/token", files=files)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    token = r.json()["access_token"]
    api = httpx.get(
        f"{fresh_emulator.url}/xapi/v1/Users", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200


def test_wrong_secret(fresh_emulator: Any) -> None:
    r = httpx.post(
        f"{fresh_emulator.url}/connect/token", data=_form(fresh_emulator, client_secret="nope")
    )
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED


def test_wrong_client_id(fresh_emulator: Any) -> None:
    r = httpx.post(
        f"{fresh_emulator.url}/connect/token", data=_form(fresh_emulator, client_id="999")
    )
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED


def test_missing_and_unsupported_grant_type(fresh_emulator: Any) -> None:
    form = _form(fresh_emulator)
    del form["grant_type"]
    r = httpx.post(f"{fresh_emulator.url}/connect/token", data=form)
    assert r.status_code == 400
    assert r.json() == {
        "error": "unsupported_grant_type",
        "error_description": "The mandatory 'grant_type' parameter is missing: "
        "use grant_type=client_credentials.",
    }
    r = httpx.post(
        f"{fresh_emulator.url}/connect/token", data=_form(fresh_emulator, grant_type="password")
    )
    assert r.status_code == 400
    assert r.json() == {
        "error": "unsupported_grant_type",
        "error_description": "The specified 'grant_type' is not supported: "
        "use grant_type=client_credentials.",
    }


def test_token_request_that_is_no_form(fresh_emulator: Any) -> None:
    r = httpx.post(f"{fresh_emulator.url}/connect/token", json=_form(fresh_emulator))
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert "application/x-www-form-urlencoded" in r.json()["error_description"]


@pytest.mark.parametrize(("release", "expires_in"), [("20.0.8", 60), ("20.0.9", 3600)])
def test_expires_in_unit_by_release(release: str, expires_in: int) -> None:
    with running(EmulatorConfig(version=release, data="empty")) as emu:
        r = httpx.post(f"{emu.url}/connect/token", data=_form(emu))
        assert r.status_code == 200
        assert r.json()["expires_in"] == expires_in
        claims = _claims(r.json()["access_token"])
        assert claims["exp"] - claims["iat"] == 3600


def test_new_token_revokes_the_previous_one(fresh_emulator: Any) -> None:
    first = fetch_token(fresh_emulator)
    second = fetch_token(fresh_emulator)
    url = f"{fresh_emulator.url}/xapi/v1/Users"
    old = httpx.get(url, headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
    assert old.content == b""
    assert "revoked" in old.headers["www-authenticate"]
    assert httpx.get(url, headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_several_tokens_when_single_token_is_off() -> None:
    with running(EmulatorConfig(data="empty", single_token=False)) as emu:
        first, second = fetch_token(emu), fetch_token(emu)
        for token in (first, second):
            r = httpx.get(f"{emu.url}/xapi/v1/Users", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200


def test_expired_token_via_admin_endpoint(fresh_emulator: Any) -> None:
    token = fetch_token(fresh_emulator)
    url = f"{fresh_emulator.url}/xapi/v1/Users"
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(url, headers=headers).status_code == 200
    r = httpx.post(f"{fresh_emulator.url}/emulator/tokens/expire", auth=fresh_emulator.control_auth)
    assert r.status_code == 200 and r.json() == {"expired": 1}
    denied = httpx.get(url, headers=headers)
    assert denied.status_code == 401
    assert denied.content == b""
    assert 'error="invalid_token"' in denied.headers["www-authenticate"]
    assert "expired" in denied.headers["www-authenticate"]
    assert denied.headers["x-3cx-version"] == "20.0.10.1621"


def test_expired_token_via_running_helper(fresh_emulator: Any) -> None:
    token = fetch_token(fresh_emulator)
    assert fresh_emulator.expire_tokens() == 1
    r = httpx.get(
        f"{fresh_emulator.url}/xapi/v1/Users", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer x.y.z"},
    ],
)
def test_401_without_a_valid_bearer(fresh_emulator: Any, headers: dict[str, str]) -> None:
    r = httpx.get(f"{fresh_emulator.url}/xapi/v1/Users", headers=headers)
    assert r.status_code == 401
    assert r.content == b""
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_bad_token_lifetime_is_refused() -> None:
    from tcxkit.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as err:
        EmulatorConfig(token_lifetime=0)
    assert err.value.message == "token_lifetime must be positive seconds, got 0."


def test_unknown_release_is_refused() -> None:
    from tcxkit.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as err:
        EmulatorConfig(version="19.0.0")
    assert err.value.message == "The emulator cannot play 3CX release '19.0.0'."
    assert "20.0.10" in (err.value.hint or "")


def test_token_url_with_a_trailing_slash_is_answered_without_a_redirect(
    fresh_emulator: Any,
) -> None:
    # A redirect would take its Location from the Host header, and a 307 re-sends the
    # secret there; the PBX's routing (ASP.NET Core) takes the trailing slash as it is.
    r = httpx.post(
        f"{fresh_emulator.url}/connect/token/",
        data=_form(fresh_emulator),
        headers={"Host": "attacker.example"},
    )
    assert r.status_code == 200, r.text
    assert "location" not in r.headers
    assert r.json()["token_type"] == "Bearer"
    wrong = httpx.post(
        f"{fresh_emulator.url}/connect/token/",
        data=_form(fresh_emulator, client_secret="nope"),
        headers={"Host": "attacker.example"},
    )
    assert wrong.status_code == 401 and "location" not in wrong.headers
    # No slash redirect anywhere else either.
    other = httpx.get(
        f"{fresh_emulator.url}/emulator/health/", headers={"Host": "attacker.example"}
    )
    assert other.status_code == 404 and "location" not in other.headers


def test_unauthenticated_token_requests_leave_no_body_in_the_log(fresh_emulator: Any) -> None:
    url = fresh_emulator.url
    httpx.post(f"{url}/connect/token", data=_form(fresh_emulator, client_secret="guess-1"))
    httpx.post(f"{url}/connect/token", data=_form(fresh_emulator, grant_type="password"))
    httpx.post(f"{url}/connect/token", data=_form(fresh_emulator))
    guess, grant, issued = fresh_emulator.requests[-3:]
    assert (guess["status"], guess["body"]) == (401, None)
    assert (grant["status"], grant["body"]) == (400, None)
    assert issued["status"] == 200
    assert issued["body"]["client_secret"] == "********"
    assert "guess-1" not in str(fresh_emulator.requests)
