"""The emulator's updates: the offer, InstallUpdates' outage, its faults (#25).

The phases are worked out from the clock when a request comes, so the tests move an
outage along by setting its times (``_jump``) instead of sleeping through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.emulator.updates import entry_guid, next_build

from ..emulators import fetch_token

OLD, NEW = "20.0.10.1621", "20.0.10.1721"


@pytest.fixture
def emu() -> Iterator[Any]:
    config = EmulatorConfig(data="demo", options={"offer_update": "next", "update_downtime": 600})
    with running(config) as server:
        yield server


def _api(emu: Any) -> httpx.Client:
    bearer = {"Authorization": f"Bearer {fetch_token(emu)}"}
    return httpx.Client(base_url=emu.api_url, headers=bearer)


def _install(api: httpx.Client) -> httpx.Response:
    offer = api.get("/GetUpdates()").json()
    body = {"install": {"Entries": [offer["Entries"][0]["Guid"]], "Key": offer["Key"]}}
    return api.post("/InstallUpdates", json=body)


def _jump(emu: Any, phase: str) -> None:
    """Move the outage to ``phase``: ``starting`` (away is over) or ``up`` (all over)."""
    outage = emu.state.extra["update_outage"]
    outage["away_until"] = 0.0
    if phase == "up":
        outage["until"] = 0.0


def _control(emu: Any, method: str = "GET", **kw: Any) -> httpx.Response:
    return httpx.request(method, emu.url + "/emulator/updates", auth=emu.control_auth, **kw)


def test_next_build_is_the_next_release_or_a_later_build() -> None:
    assert next_build("20.0.9.1446") == "20.0.10.1621"
    assert next_build("20.0.10.1621") == "20.0.10.1721"


def test_the_offer_names_an_installable_entry(emu: Any) -> None:
    offer = _api(emu).get("/GetUpdates()").json()
    pbx = offer["Entries"][0]
    assert (pbx["Category"], pbx["LocalVersion"], pbx["ServerVersion"]) == ("3CX", OLD, NEW)
    assert pbx["OutOfDate"] is True and pbx["Guid"] == entry_guid(NEW) and offer["Key"]


def test_install_takes_the_pbx_away_then_503_then_back_on_the_new_build(emu: Any) -> None:
    api = _api(emu)
    assert _install(api).status_code == 204
    with pytest.raises(httpx.TransportError):  # away: a new connection is closed unanswered
        httpx.get(emu.url + "/xapi/v1/Defs?$select=Id", headers=dict(api.headers))
    _jump(emu, "starting")
    r = api.get("/SystemStatus")
    assert r.status_code == 503 and "installing an update" in r.json()["error"]["message"]
    assert r.headers["Retry-After"].isdigit() and r.headers["X-3CX-Version"] == OLD
    assert _control(emu).json() == {"phase": "starting", "build": OLD, "offered": NEW, "next": []}
    _jump(emu, "up")
    r = api.get("/SystemStatus")
    assert r.status_code == 200 and r.json()["Version"] == NEW
    assert r.headers["X-3CX-Version"] == NEW
    offer = api.get("/GetUpdates()").json()["Entries"][0]
    assert offer["OutOfDate"] is False and offer["Guid"] is None
    installs = [e for e in emu.requests if e["path"] == "/xapi/v1/InstallUpdates"]
    assert [e["status"] for e in installs] == [204]


def test_an_install_that_fails_comes_back_on_the_old_build(emu: Any) -> None:
    assert _control(emu, "POST", json={"outcome": "fail"}).json()["next"] == ["fail"]
    api = _api(emu)
    assert _install(api).status_code == 204
    _jump(emu, "up")
    assert api.get("/SystemStatus").json()["Version"] == OLD
    assert api.get("/GetUpdates()").json()["Entries"][0]["ServerVersion"] == NEW


def test_an_install_that_never_comes_back_stays_starting_until_cleared(emu: Any) -> None:
    _control(emu, "POST", json={"outcome": "never"})
    api = _api(emu)
    assert _install(api).status_code == 204
    _jump(emu, "up")  # its time is over, yet it never comes back
    assert api.get("/SystemStatus").status_code == 503
    assert _control(emu, "DELETE").status_code == 204
    assert _control(emu).json()["phase"] == "up"
    assert api.get("/SystemStatus").json()["Version"] == OLD


@pytest.mark.parametrize(
    ("body", "target"),
    [
        (
            {
                "install": {
                    "Entries": [entry_guid(NEW)],
                    "Key": "00000000-0000-0000-0000-000000000000",
                }
            },
            "Key",
        ),
        ({"install": {"Entries": [entry_guid("20.0.10.9999")]}}, "Key"),
    ],
)
def test_install_of_something_not_offered_is_a_400(emu: Any, body: Any, target: str) -> None:
    r = _api(emu).post("/InstallUpdates", json=body)
    assert r.status_code == 400
    assert r.json()["error"]["details"][0]["target"] == target
    assert "update_outage" not in emu.state.extra


def test_a_wrong_entry_is_a_400_and_nothing_happens(emu: Any) -> None:
    api = _api(emu)
    key = api.get("/GetUpdates()").json()["Key"]
    r = api.post("/InstallUpdates", json={"install": {"Entries": [entry_guid("x")], "Key": key}})
    assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "Entries"
    assert api.get("/SystemStatus").json()["Version"] == OLD


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"outcome": "explode"}, "'outcome' must be one of never, fail"),
        ({"outcome": "never", "times": 0}, "'times' must be an integer 1..100"),
        ({"outcome": "never", "extra": 1}, 'send {"outcome": "never"|"fail", "times": N}'),
        ([1, 2], 'send {"outcome": "never"|"fail", "times": N}'),
    ],
)
def test_bad_fault_rules_are_400_with_what_to_send(emu: Any, body: Any, why: str) -> None:
    r = _control(emu, "POST", json=body)
    assert r.status_code == 400 and r.json() == {"error": f"Bad update fault: {why}."}


def test_the_control_endpoint_needs_the_emulator_credentials(emu: Any) -> None:
    r = httpx.post(emu.url + "/emulator/updates", json={"outcome": "never"})
    assert r.status_code == 401
    assert _control(emu).json()["next"] == []


def test_the_command_sets_the_offer_and_the_downtime(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tcxkit.emulator.cli import command

    seen: dict[str, Any] = {}

    def serve(config: EmulatorConfig, **_kw: Any) -> bool:  # instead of serving for ever
        seen.update(config.options)
        return False

    monkeypatch.setattr("tcxkit.emulator.server.run", serve)
    args = ["--port", "0", "--offer-update", "next", "--update-downtime", "0.5"]
    r = CliRunner().invoke(command(), args)
    assert r.exit_code == 0, r.output
    assert seen == {"offer_update": "next", "update_downtime": 0.5}
    r = CliRunner().invoke(command(), ["--update-downtime", "7200"])
    assert r.exit_code == 2 and "--update-downtime" in r.output and "0<=x<=3600" in r.output


def test_an_offer_that_is_not_a_build_is_refused_at_start() -> None:
    from tcxkit.errors import ConfigurationError

    with (
        pytest.raises(ConfigurationError) as err,
        running(EmulatorConfig(options={"offer_update": "soon"})),
    ):
        pass
    assert err.value.message == "--offer-update 'soon' is not a build."
    assert err.value.hint == "Give a build such as 20.0.10.1721, or next."
