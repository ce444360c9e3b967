"""The emulator's updates: the offer, InstallUpdates' outage, its faults (#25).

The PBXs run on a manual clock: a test moves an outage along by moving the clock, never
by sleeping.  While a PBX is away its port does not listen, so the clock is moved
in-process (``_advance``); once it listens again, ``POST /emulator/clock`` does.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.emulator.server import running_many
from tcxkit.emulator.timeline import timeline_of
from tcxkit.emulator.updates import RETRY, entry_guid, next_build, phase

from ..emulators import fetch_token

OLD, NEW = "20.0.10.1621", "20.0.10.1721"
OPTIONS = {"offer_update": "next", "update_downtime": 600, "clock": "manual"}


@pytest.fixture
def emu() -> Iterator[Any]:
    config = EmulatorConfig(data="demo", options=OPTIONS)
    with running(config) as server:
        yield server


def _api(emu: Any) -> httpx.Client:
    bearer = {"Authorization": f"Bearer {fetch_token(emu)}"}
    return httpx.Client(base_url=emu.api_url, headers=bearer)


def _install(api: httpx.Client) -> httpx.Response:
    offer = api.get("/GetUpdates()").json()
    body = {"install": {"Entries": [offer["Entries"][0]["Guid"]], "Key": offer["Key"]}}
    return api.post("/InstallUpdates", json=body)


def _advance(emu: Any, seconds: float) -> None:
    """Move the PBX's clock in-process (its port may be away)."""
    timeline_of(emu.state).advance(seconds)


def _clock(emu: Any, seconds: float) -> None:
    """Move the PBX's clock through its control endpoint (reachable unless away)."""
    r = httpx.post(emu.url + "/emulator/clock", json={"advance": seconds}, auth=emu.control_auth)
    assert r.status_code == 200, r.text


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


def _refused(emu: Any) -> None:
    """A new connection to the PBX is refused: nothing listens on its port."""
    with pytest.raises(httpx.ConnectError) as err:
        httpx.get(emu.url + "/xapi/v1/SystemStatus")
    assert f"[Errno {errno.ECONNREFUSED}]" in str(err.value)  # refused, not reset


def test_install_takes_the_pbx_away_then_503_then_back_on_the_new_build(emu: Any) -> None:
    api = _api(emu)
    assert _install(api).status_code == 204
    _refused(emu)  # away: the kept-alive connection closed after the 204, new ones refused
    _advance(emu, 299)
    _refused(emu)
    _advance(emu, 1)  # half the downtime: the port listens again, the services start
    r = api.get("/SystemStatus")
    assert r.status_code == 503 and "installing an update" in r.json()["error"]["message"]
    assert r.headers["Retry-After"] == "300" and r.headers["X-3CX-Version"] == OLD
    assert _control(emu).json() == {"phase": "starting", "build": OLD, "offered": NEW, "next": []}
    _clock(emu, 300)
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
    _advance(emu, 600)
    assert api.get("/SystemStatus").json()["Version"] == OLD
    assert api.get("/GetUpdates()").json()["Entries"][0]["ServerVersion"] == NEW


def test_an_install_that_never_comes_back_stays_starting_until_cleared(emu: Any) -> None:
    _control(emu, "POST", json={"outcome": "never"})
    api = _api(emu)
    assert _install(api).status_code == 204
    _advance(emu, 300)
    _clock(emu, 3600)  # its time is over, yet it never comes back
    assert api.get("/SystemStatus").status_code == 503
    assert _control(emu, "DELETE").status_code == 204
    assert _control(emu).json()["phase"] == "up"
    assert api.get("/SystemStatus").json()["Version"] == OLD


def test_only_the_updated_pbx_goes_and_a_taken_port_is_tried_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With several PBXs on one server only the updated one's port goes away; if another
    process takes that port meanwhile, the log says so and the PBX stays away, trying
    again every RETRY seconds of its clock, until the port is free."""
    config = EmulatorConfig(data="demo", options=OPTIONS)
    with running_many([config, config]) as (first, second):
        api = _api(first)
        assert _install(api).status_code == 204
        _refused(first)
        assert _control(second).json()["phase"] == "up"  # its neighbour is untouched
        port = int(first.url.rsplit(":", 1)[1])
        squatter = socket.socket()
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen(1)
        with caplog.at_level(logging.WARNING, logger="tcxkit.emulator"):
            _advance(first, 300)
        assert f"The emulated PBX on port {port} cannot listen again" in caplog.text
        assert "Address already in use" in caplog.text
        assert phase(first.state) == "away" and _control(second).status_code == 200
        squatter.close()
        _advance(first, RETRY)
        r = api.get("/SystemStatus")
        assert r.status_code == 503 and _control(first).json()["phase"] == "starting"


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
    assert r.status_code == 400 and r.json()["error"]["message"] == f"Bad update fault: {why}."


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


@pytest.mark.parametrize("bad", [-5, 3601, "6", True])
def test_an_unusable_downtime_is_refused_at_start_not_at_install(bad: object) -> None:
    from tcxkit.errors import ConfigurationError

    with (
        pytest.raises(ConfigurationError) as err,
        running(EmulatorConfig(options={"update_downtime": bad})),
    ):
        pass
    assert err.value.message == f"update_downtime must be 0..3600 seconds, got {bad!r}."
    assert err.value.hint == "e.g. --update-downtime 6"
