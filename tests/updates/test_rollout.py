"""``tcxkit.updates.roll_out`` from Python over an emulated fleet (#25): what the Airflow
face and other schedulers build on; the CLI's tests (tests/cli/test_update.py) cover
waves, faults and windows through ``3cx update apply``."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit.backups import StoreLane
from tcxkit.emulator import EmulatorConfig
from tcxkit.emulator.fleet import running_fleet
from tcxkit.storage import open_storage
from tcxkit.updates import RolloutFailed, RolloutOptions, RolloutReport, roll_out

INSTALL = "/xapi/v1/InstallUpdates"


@pytest.fixture
def fleet2(tmp_path: Path) -> Iterator[Any]:
    config = EmulatorConfig(
        data="demo", options={"backup_delay": 0, "offer_update": "next", "update_downtime": 0.2}
    )
    with running_fleet(2, tmp_path / "fleet.toml", config) as fleet:
        yield fleet


def _roll_out(fleet: Any, store: Path, lines: list[str], **options: Any) -> RolloutReport:
    async def run() -> RolloutReport:
        storage = open_storage(str(store))
        try:
            async with fleet.fleet(token_cache=None) as f:
                return await roll_out(
                    f, StoreLane(storage), RolloutOptions(**options),
                    progress=lambda pbx, msg: lines.append(f"{pbx}: {msg}"),
                )  # fmt: skip
        finally:
            storage.close()

    return asyncio.run(run())


def test_a_roll_out_reports_each_pbx_and_its_progress(fleet2: Any, tmp_path: Path) -> None:
    lines: list[str] = []
    report = _roll_out(fleet2, tmp_path / "store", lines, canary=1, batch=1, wait=30)
    assert report.ok and report.summary() == "updated: pbx01, pbx02"
    assert [(r.pbx, r.wave, r.release) for r in report.rows] == [
        ("pbx01", 1, "20.0.10.1721"), ("pbx02", 2, "20.0.10.1721"),
    ]  # fmt: skip
    assert lines[0] == "fleet: 2 of 2 PBXs offered an update"
    assert "pbx01: updated 20.0.10.1621 -> 20.0.10.1721, healthy" in lines
    assert lines.index("fleet: wave 2: pbx02") > lines.index(
        "pbx01: updated 20.0.10.1621 -> 20.0.10.1721, healthy"
    )
    report.raise_for_failures()  # nothing failed: no error


def test_an_install_whose_answer_is_lost_is_never_sent_again(fleet2: Any, tmp_path: Path) -> None:
    emu = fleet2.instances[0]
    rule = {"operation": "InstallUpdates", "status": 504, "times": 1}
    assert httpx.post(emu.url + "/emulator/faults", json=rule, auth=emu.control_auth).is_success
    lines: list[str] = []
    report = _roll_out(fleet2, tmp_path / "store", lines, canary=1, batch=1, wait=30)
    assert report.summary() == "failed: pbx01; not attempted: pbx02"
    failed = report.rows[0]
    assert failed.stage == "install" and failed.backup and failed.error is not None
    assert failed.error.message.startswith("pbx01: InstallUpdates to 20.0.10.1721 failed: ")
    assert failed.error.message.endswith(
        "It may have started anyway: look at the PBX before anything else."
    )
    assert [e["path"] for e in emu.requests].count(INSTALL) == 1  # sent once, never again
    with pytest.raises(RolloutFailed) as err:
        report.raise_for_failures()
    assert err.value.message == (
        "The roll-out stopped at wave 1: failed: pbx01; not attempted: pbx02."
    )
    assert err.value.hint is not None and f"backup restore TARGET {failed.backup}" in err.value.hint


def test_the_wait_counts_a_refused_connection_as_the_pbx_away(tmp_path: Path) -> None:
    """The emulated PBX's port refuses connections while it is away (ECONNREFUSED, as a
    real PBX restarting its services): the client says so (a ConnectError, nothing sent)
    and the update's wait reports "away", then the PBX back.  The wait's pauses move the
    PBX's manual clock 10 s each, so nothing sleeps."""
    from tcxkit import AsyncClient
    from tcxkit.backups import BackupOptions
    from tcxkit.emulator import running
    from tcxkit.emulator.timeline import timeline_of
    from tcxkit.emulator.updates import phase
    from tcxkit.errors import ConnectError
    from tcxkit.updates.install import PbxPlan, update_pbx

    options = {"backup_delay": 0, "offer_update": "next", "update_downtime": 40, "clock": "manual"}
    lines: list[str] = []
    seen: list[str] = []

    async def run(emu: Any) -> Any:
        async def pause(_seconds: float) -> None:
            seen.append(phase(emu.state))
            if seen[-1] == "away" and "refused" not in seen:  # a plain call, once
                with pytest.raises(ConnectError) as err:
                    await client.call("GetSystemStatus")
                assert f"[Errno {errno.ECONNREFUSED}]" in err.value.message  # ECONNREFUSED
                assert err.value.facts.sent is False
                seen.append("refused")
            timeline_of(emu.state).advance(10)

        plan = PbxPlan(None, None, BackupOptions(), 30, 60, ("services",), _utc_now, pause)
        storage = open_storage(str(tmp_path / "store"))
        try:
            async with AsyncClient(  # no retry: a 503's Retry-After would sleep for real
                emu.url, emu.client_id, emu.client_secret, token_cache=False, retries=0
            ) as client:
                return await update_pbx("pbx01", client, StoreLane(storage), plan, report)
        finally:
            storage.close()

    def report(pbx: str, message: str) -> None:
        lines.append(f"{pbx}: {message}")

    with running(EmulatorConfig(data="demo", options=options)) as emu:
        outcome = asyncio.run(run(emu))
    assert outcome.status == "updated" and outcome.release == "20.0.10.1721"
    assert seen[:3] == ["away", "refused", "away"] and "starting" in seen
    away = lines.index("pbx01: away (restarting)")
    assert lines[away - 1].startswith("pbx01: installing 20.0.10.1721 (backup ")
    assert lines[away + 1] == "pbx01: back, reporting 20.0.10.1721"


def _utc_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
