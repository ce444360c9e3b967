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
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.emulator.config import EmulatorConfig
from tcxkit.emulator.server import running

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


def truth(emu: Any, start: datetime, end: datetime) -> dict[int, list[int]]:
    """Straight from the emulator's table: each call begun in [start, end) (its Indent-0
    leg) with every one of its legs' SegmentIds, wherever they fall."""
    table = emu.state.extra["call_log"].table
    rows = emu.state.store.execute(
        "SELECT json_extract(data, '$.CallId'), json_extract(data, '$.SegmentId'), "
        f"json_extract(data, '$.StartTime'), json_extract(data, '$.Indent') FROM \"{table}\""
    )
    legs: dict[int, list[int]] = defaultdict(list)
    begun: set[int] = set()
    lo, hi = _z(start), _z(end)
    for call, seg, at, indent in rows:
        legs[call].append(seg)
        if indent == 0 and lo <= at < hi:
            begun.add(call)
    return {c: sorted(legs[c]) for c in begun}


def truth_legs(emu: Any, start: datetime, end: datetime) -> list[int]:
    table = emu.state.extra["call_log"].table
    rows = emu.state.store.execute(
        f"SELECT json_extract(data, '$.SegmentId') FROM \"{table}\" "
        "WHERE json_extract(data, '$.StartTime') >= ? AND json_extract(data, '$.StartTime') < ?",
        (_z(start), _z(end)),
    )
    return sorted(r[0] for r in rows)


def _z(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fault(emu: Any, **rule: Any) -> None:
    import httpx

    httpx.post(emu.url + "/emulator/faults", json=rule, auth=emu.control_auth).raise_for_status()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A private PostgreSQL server (Debian's, as the Airflow tests start it: as the
    ``postgres`` user, trust auth on 127.0.0.1); yields its URL."""
    import shutil
    import subprocess
    import tempfile

    from tests.airflow.airflow_cluster import free_port, port_open, postgres_bin, wait_for

    # Under /tmp itself: pytest's own temporary tree is private to root (0700), and the
    # server runs as the postgres user.
    root = Path(tempfile.mkdtemp(prefix="tcxkit-exports-pg-"))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    as_pg: dict[str, Any] = {"user": "postgres", "group": "postgres", "extra_groups": []}
    pg = postgres_bin()
    subprocess.run(
        [str(pg / "initdb"), "-D", str(data), "-U", "cdr", "--auth=trust", "-E", "UTF8"],
        check=True, capture_output=True, cwd=data, **as_pg,
    )  # fmt: skip
    port = free_port()
    argv = [str(pg / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1",
            "-c", f"port={port}", "-c", f"unix_socket_directories={data}", "-c", "fsync=off"]  # fmt: skip
    log = root / "postgres.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=data, start_new_session=True,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, **as_pg,
        )  # fmt: skip
    try:
        wait_for(lambda: port_open(port), "PostgreSQL", 30, [("postgres", proc, str(log))])

        def created() -> bool:
            done = subprocess.run(
                [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "cdr", "cdr"],
                capture_output=True,
            )
            return done.returncode == 0 or b"already exists" in done.stderr

        wait_for(created, "the cdr database", 30, [("postgres", proc, str(log))])
        yield f"postgresql://cdr@127.0.0.1:{port}/cdr"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
