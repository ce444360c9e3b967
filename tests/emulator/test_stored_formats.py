"""A value is stored only if the emulator can send it back under its schema's format.

The spec's patterns are looser than the .NET types behind them (``^[0-9]{4,}-...``
admits year 6 045 818, the duration pattern admits a bare ``P``); a PBX refuses those
with 400, and so does the emulator: otherwise every later list of the set would violate
the spec's own ``format``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running

from .conftest import Connect


@pytest.fixture(scope="module")
def api(connect: Connect) -> Iterator[httpx.Client]:
    with running(EmulatorConfig(data="empty")) as emu, connect(emu) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body", "target"),
    [
        ("/Blocklist", {"ExpiresAt": "6045818-12-30T07:48:06.931385Z"}, "ExpiresAt"),
        ("/Blocklist", {"ExpiresAt": "2025-02-30T00:00:00Z"}, "ExpiresAt"),
        ("/Holidays", {"Name": "Bare P", "TimeOfStartDate": "P"}, "TimeOfStartDate"),
        ("/Holidays", {"Name": "Bare PT", "TimeOfEndDate": "PT"}, "TimeOfEndDate"),
    ],
)
def test_format_the_pattern_lets_through_is_refused(
    api: httpx.Client, path: str, body: dict, target: str
) -> None:
    r = api.post(path, json=body)
    assert r.status_code == 400, r.text
    [detail] = r.json()["error"]["details"]
    assert (detail["target"], detail["message"]) == (target, "WARNINGS.INVALID")
    assert api.get(path).json()["value"] == []  # nothing was stored


def test_real_values_are_kept(api: httpx.Client) -> None:
    made = api.post("/Holidays", json={"Name": "Real", "TimeOfStartDate": "PT9H30M"})
    assert made.status_code == 201, made.text
    assert made.json()["TimeOfStartDate"] == "PT9H30M"
    expires = "2031-12-31T23:59:59.1234567+01:00"
    blocked = api.post("/Blocklist", json={"ExpiresAt": expires})
    assert blocked.status_code == 201, blocked.text
