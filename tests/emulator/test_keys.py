"""Keys the way a PBX makes them, and service principals as DNs, over real HTTP.

The server assigns every integer key from a sequence that never goes back: an ``Id`` in
a create body is ignored, Ids stay inside ``Edm.Int32`` and a deleted entity's Id is
never handed out again (not even the highest one, not even after a restart).  Service
principals share the DN number and Id space, keep their Number, and the emulator's own
API client is one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.errors import ConfigurationError

from .conftest import Connect

INT32_MAX = 2**31 - 1
CLIENT_ID = "tcxkit-emulator"


@pytest.fixture(scope="module")
def api(connect: Connect) -> Iterator[httpx.Client]:
    """One demo PBX for the module: every test creates its own rows and reads their Ids."""
    with running(EmulatorConfig(data="demo")) as emu, connect(emu) as client:
        yield client


def _created(r: httpx.Response) -> dict:
    assert r.status_code == 201, r.text
    return r.json()


def _error(r: httpx.Response) -> tuple[int, str, str]:
    detail = r.json()["error"]["details"][0]
    return r.status_code, detail["target"], detail["message"]


# -- Ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/Contacts", {"FirstName": "Key", "LastName": "Test", "PhoneNumber": "+1555"}),
        ("/Holidays", {"Name": "Key day", "Day": 1, "Month": 1, "Year": 2031}),
        ("/Users", {"FirstName": "Key", "LastName": "User"}),
    ],
)
def test_body_id_is_ignored_and_ids_stay_int32(api: httpx.Client, path: str, body: dict) -> None:
    """``Id: -2147483648`` (or any Id) in the body is not taken, nor moves the sequence."""
    first = _created(api.post(path, json={**body, "Id": -(2**31)}))
    assert first["Id"] > 0
    second = _created(api.post(path, json={**body, "Id": INT32_MAX}))
    assert second["Id"] == first["Id"] + 1  # the sequence did not jump to the body's Id
    assert api.get(f"{path}({INT32_MAX})").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/Contacts", {"FirstName": "Gone", "LastName": "Soon"}),
        ("/Users", {"FirstName": "Gone", "LastName": "Soon"}),
    ],
)
def test_id_never_reused_after_delete(api: httpx.Client, path: str, body: dict) -> None:
    """Create, delete the newest, create again: a new Id, not the deleted one."""
    gone = _created(api.post(path, json=body))
    assert api.delete(f"{path}({gone['Id']})").status_code == 204
    again = _created(api.post(path, json=body))
    assert again["Id"] > gone["Id"]
    assert api.get(f"{path}({gone['Id']})").status_code == 404


def test_key_outside_int32_is_not_found(api: httpx.Client) -> None:
    r = api.get(f"/Contacts({INT32_MAX + 1})")
    assert r.status_code in (400, 404), r.text
    assert "error" in r.json()


def test_ids_survive_restart_without_reuse(tmp_path: Path, connect: Connect) -> None:
    """The sequence lives in the database file: after a restart the deleted Id stays gone."""
    config = EmulatorConfig(data="empty", db=tmp_path / "pbx.db")
    with running(config) as emu, connect(emu) as client:
        made = _created(client.post("/Contacts", json={"FirstName": "Last"}))
        assert client.delete(f"/Contacts({made['Id']})").status_code == 204
    with running(config) as emu, connect(emu) as client:
        again = _created(client.post("/Contacts", json={"FirstName": "Next"}))
    assert again["Id"] == made["Id"] + 1


# -- service principals ------------------------------------------------------------------


def test_api_client_is_a_service_principal(api: httpx.Client) -> None:
    r = api.get("/ServicePrincipals", params={"$filter": f"Number eq '{CLIENT_ID}'"})
    assert r.status_code == 200, r.text
    [principal] = r.json()["value"]
    assert principal["XAPIEnabled"] is True
    peers = api.get("/Peers", params={"$filter": f"Id eq {principal['Id']}"}).json()["value"]
    assert peers == []  # a DN, but no phone-system peer (Pbx.PeerType has no such member)


def test_service_principal_number_shared_with_dns(api: httpx.Client) -> None:
    assert _error(api.post("/ServicePrincipals", json={"Number": "100"})) == (
        400,
        "Number",
        "WARNINGS.XAPI.ALREADY_IN_USE",
    )
    principal = _created(api.post("/ServicePrincipals", json={"Number": "777", "Id": 5}))
    user = _created(api.post("/Users", json={"FirstName": "After", "LastName": "Principal"}))
    assert user["Id"] == principal["Id"] + 1  # one Id sequence for every DN
    assert _error(api.post("/Users", json={"Number": "777", "FirstName": "Clash"})) == (
        400,
        "Number",
        "WARNINGS.XAPI.ALREADY_IN_USE",
    )
    assert _error(api.post("/ServicePrincipals", json={"Number": CLIENT_ID})) == (
        400,
        "Number",
        "WARNINGS.XAPI.ALREADY_IN_USE",
    )


def test_service_principal_number_is_immutable(api: httpx.Client) -> None:
    principal = _created(api.post("/ServicePrincipals", json={"Number": "crm-sync"}))
    url = f"/ServicePrincipals({principal['Id']})"
    same = api.patch(url, json={"Number": "crm-sync", "XAPIEnabled": True})
    assert same.status_code == 204, same.text
    assert _error(api.patch(url, json={"Number": "crm-other"})) == (
        400,
        "Number",
        "WARNINGS.XAPI.FORBIDDEN_CHANGE",
    )
    assert api.get(url).json()["XAPIEnabled"] is True


def test_service_principal_needs_a_number(api: httpx.Client) -> None:
    assert _error(api.post("/ServicePrincipals", json={"XAPIEnabled": True})) == (
        400,
        "Number",
        "WARNINGS.XAPI.REQUIRED",
    )


def test_client_id_that_is_a_dn_number_refuses_to_start() -> None:
    config = EmulatorConfig(data="demo", client_id="100")
    with (
        pytest.raises(ConfigurationError, match="'100' is the number of another DN"),
        running(config),
    ):
        pass  # pragma: no cover - must not start
