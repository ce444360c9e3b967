"""A contact centre under load for the export tests, and the ground truth from its database.

One emulator per session (per xdist worker): the demo company plus ``SCALE`` legs of the
contact-centre mix (queues, agents, transfers, overflow, ring groups) over four weeks.
Most tests use 20 000 legs with a report cap of 1 000, so a period spans more than twenty
caps; ``TCX_EXPORT_SCALE=100000`` runs them at 100 000 legs (about a hundred caps;
docs/exports.md gives the time).  The issue's full size is always in the suite once:
``centre_full`` (100 000 legs, report cap 5 000: the period spans twenty caps), built once
per session, for the call-for-call comparison with the database; bench/bench_calls_export.py
measures speed and memory at that size.
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


#: The issue's size (at least), and its report cap: 103 013 legs in the period, 20 caps.
FULL_SCALE = max(SCALE, 100_000)
FULL_CAP = 5_000


def _centre(scale: int, cap: int) -> Iterator[Any]:
    config = EmulatorConfig(
        client_id="export-tests", scale=scale, call_mix="contact-centre", report_cap=cap
    )
    with running(config) as emu:
        yield emu


@pytest.fixture(scope="session")
def centre() -> Iterator[Any]:
    yield from _centre(SCALE, CAP)


@pytest.fixture(scope="session")
def centre_full() -> Iterator[Any]:
    """100 000 legs (or ``TCX_EXPORT_SCALE``), built once per session (about 3.5 s)."""
    yield from _centre(FULL_SCALE, FULL_CAP)


def _client(emu: Any, tmp_path: Path) -> Iterator[Client]:
    """A client without retries (the export shrinks windows instead), faults cleared."""
    import httpx

    httpx.delete(emu.url + "/emulator/faults", auth=emu.control_auth).raise_for_status()
    emu.state.config.report_timeout_rows = 0
    with Client(
        emu.url, emu.client_id, emu.client_secret, token_cache=tmp_path / "t", retries=0
    ) as client:
        yield client
    emu.state.config.report_timeout_rows = 0
    httpx.delete(emu.url + "/emulator/faults", auth=emu.control_auth).raise_for_status()


@pytest.fixture
def pbx(centre: Any, tmp_path: Path) -> Iterator[Client]:
    yield from _client(centre, tmp_path)


@pytest.fixture
def pbx_full(centre_full: Any, tmp_path: Path) -> Iterator[Client]:
    yield from _client(centre_full, tmp_path)


def period() -> tuple[datetime, datetime]:
    """Every scale call: the last 29 days up to the next whole hour."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - timedelta(days=29), end


def fault(emu: Any, **rule: Any) -> None:
    import httpx

    httpx.post(emu.url + "/emulator/faults", json=rule, auth=emu.control_auth).raise_for_status()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A private PostgreSQL server (tests/pgserver.py, password authentication); yields its
    URL, the password in ``PGPASSWORD`` as a user of ``--into postgresql://`` gives it."""
    from tests.pgserver import running_postgres

    with running_postgres() as server:
        os.environ["PGPASSWORD"] = server.password
        try:
            yield server.url
        finally:
            os.environ.pop("PGPASSWORD", None)
