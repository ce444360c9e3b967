"""A contact centre under load for the export tests, and the ground truth from its database.

One emulator per test module run (per xdist worker): the demo company plus ``SCALE`` legs
of the contact-centre mix (queues, agents, transfers, overflow, ring groups) over four
weeks.  The suite uses 20 000 legs with a report cap of 1 000, so a period spans more
than twenty caps; ``TCX_EXPORT_SCALE=100000`` runs them at 100 000 legs (about a
hundred caps; docs/exports.md gives the time), and bench/bench_calls_export.py measures
speed and memory at that size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.emulator.config import EmulatorConfig
from tcxkit.emulator.server import running
from tests.calltruth import truth, truth_legs

__all__ = ["CAP", "SCALE", "fault", "period", "truth", "truth_legs"]

#: Legs added; ``TCX_EXPORT_SCALE=100000`` runs the same tests at the issue's full size.
SCALE = int(os.environ.get("TCX_EXPORT_SCALE") or 20_000)
CAP = 1_000


@pytest.fixture(scope="session")
def centre() -> Iterator[Any]:
    config = EmulatorConfig(
        client_id="export-tests", scale=SCALE, call_mix="contact-centre", report_cap=CAP
    )
    with running(config) as emu:
        yield emu


@pytest.fixture
def pbx(centre: Any, tmp_path: Path) -> Iterator[Client]:
    """A client without retries (the export shrinks windows instead), its faults cleared."""
    import httpx

    httpx.delete(centre.url + "/emulator/faults", auth=centre.control_auth).raise_for_status()
    centre.state.config.report_timeout_rows = 0
    with Client(
        centre.url, centre.client_id, centre.client_secret, token_cache=tmp_path / "t", retries=0
    ) as client:
        yield client
    centre.state.config.report_timeout_rows = 0
    httpx.delete(centre.url + "/emulator/faults", auth=centre.control_auth).raise_for_status()


def period() -> tuple[datetime, datetime]:
    """Every scale call: the last 29 days up to the next whole hour."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - timedelta(days=29), end


def fault(emu: Any, **rule: Any) -> None:
    import httpx

    httpx.post(emu.url + "/emulator/faults", json=rule, auth=emu.control_auth).raise_for_status()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A private PostgreSQL server (tests/pgserver.py); yields its URL."""
    from tests.pgserver import running_postgres

    with running_postgres() as url:
        yield url
