"""The emulator's backups: a real 3CX-like archive, and faults on demand (#25)."""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running


@pytest.fixture
def emu() -> Iterator[Any]:
    with running(EmulatorConfig(data="demo", options={"backup_delay": 0})) as server:
        yield server


def _api(emu: Any) -> httpx.Client:
    token = httpx.post(
        emu.url + "/connect/token",
        data={"grant_type": "client_credentials", "client_id": emu.client_id,
              "client_secret": emu.client_secret},
    ).json()["access_token"]  # fmt: skip
    return httpx.Client(base_url=emu.url + "/xapi/v1", headers={"Authorization": f"Bearer {token}"})


def _backup(api: httpx.Client, name: str, **contents: bool) -> httpx.Response:
    return api.post(
        "/Backups/Pbx.Backup", json={"description": {"Name": name, "Contents": contents}}
    )


def _download(emu: Any, api: httpx.Client, file_name: str) -> bytes:
    rows = {b["FileName"]: b for b in api.get("/Backups").json()["value"]}
    r = httpx.get(emu.url + rows[file_name]["DownloadLink"], headers=dict(api.headers))
    assert r.status_code == 200 and len(r.content) == rows[file_name]["Size"]
    return r.content


def test_the_archive_holds_the_pbx_configuration(emu: Any) -> None:
    api = _api(emu)
    assert _backup(api, "full", CallHistory=True).status_code == 204
    with zipfile.ZipFile(io.BytesIO(_download(emu, api, "full.zip"))) as z:
        assert z.testzip() is None
        assert z.namelist() == [
            "BackupInfo.json", "Data/DB/database.json", "Data/Settings/settings.json",
            "Data/CallHistory/calls.json",
        ]  # fmt: skip
        info = json.loads(z.read("BackupInfo.json"))
        db = json.loads(z.read("Data/DB/database.json"))
    assert info["Name"] == "full.zip" and info["Contents"] == {"CallHistory": True}
    numbers = {u["Number"] for u in api.get("/Users").json()["value"]}
    assert {u["Number"] for u in db["Users"]} == numbers
    assert not any("AuthPassword" in u or "VMPIN" in u for u in db["Users"])


def test_faults_make_the_next_backups_fail_vanish_or_corrupt(emu: Any) -> None:
    api, control = _api(emu), emu.url + "/emulator/backups"
    r = httpx.post(control, json={"outcome": "fail"}, auth=emu.control_auth)
    assert r.json() == {"next": ["fail"]}
    r = httpx.post(control, json={"outcome": "never"}, auth=emu.control_auth)
    r = httpx.post(control, json={"outcome": "corrupt", "times": 2}, auth=emu.control_auth)
    assert r.json() == {"next": ["fail", "never", "corrupt", "corrupt"]}
    failed = _backup(api, "one")
    assert failed.status_code == 500
    assert "Backup failed: not enough disk space" in failed.json()["error"]["message"]
    assert _backup(api, "two").status_code == 204
    assert _backup(api, "three").status_code == 204
    names = [b["FileName"] for b in api.get("/Backups").json()["value"]]
    assert "one.zip" not in names and "two.zip" not in names and "three.zip" in names
    with pytest.raises(zlib.error):  # the damaged member's data does not inflate
        zipfile.ZipFile(io.BytesIO(_download(emu, api, "three.zip"))).testzip()
    assert httpx.get(control, auth=emu.control_auth).json() == {"next": ["corrupt"]}
    assert httpx.delete(control, auth=emu.control_auth).status_code == 204
    assert _backup(api, "four").status_code == 204
    assert zipfile.ZipFile(io.BytesIO(_download(emu, api, "four.zip"))).testzip() is None


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"outcome": "explode"}, "'outcome' must be one of fail, never, corrupt, oversize"),
        ({"outcome": "fail", "times": 0}, "'times' must be an integer 1..100"),
        ({"outcome": "fail", "times": True}, "'times' must be an integer 1..100"),
        ({"outcome": "fail", "extra": 1}, 'send {"outcome"'),
        ([1], 'send {"outcome"'),
    ],
)
def test_bad_fault_rules_are_400_with_the_fix(emu: Any, rule: Any, message: str) -> None:
    r = httpx.post(emu.url + "/emulator/backups", json=rule, auth=emu.control_auth)
    assert r.status_code == 400
    assert (
        r.json()["error"]["message"].startswith("Bad backup fault: ")
        and message in r.json()["error"]["message"]
    )


def test_the_control_endpoint_needs_the_emulator_credentials(emu: Any) -> None:
    r = httpx.post(emu.url + "/emulator/backups", json={"outcome": "fail"})
    assert (
        r.status_code == 401 and "need the emulator's credentials" in r.json()["error"]["message"]
    )
    wrong = httpx.get(emu.url + "/emulator/backups", auth=(emu.client_id, "wrong"))
    assert wrong.status_code == 401
    huge = httpx.post(
        emu.url + "/emulator/backups", content=b"[" * 2_000_000, auth=emu.control_auth
    )
    assert huge.status_code == 413  # as every control endpoint answers a body past the limit
    assert huge.json()["error"]["message"].startswith("Bad backup fault: the body is larger than")
    broken = httpx.post(emu.url + "/emulator/backups", content=b"{nope", auth=emu.control_auth)
    assert broken.status_code == 400
    assert "not a small JSON object" in broken.json()["error"]["message"]
