"""Exports equal the emulator's database, call for call, across report caps and 504s;
killed and resumed they write the same bytes; into SQLite a re-run changes no row."""

from __future__ import annotations

import json
import os
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.exports import ExportSpec, export, open_sink
from tcxkit.exports.sinks import FileSink

from .conftest import FULL_CAP, FULL_SCALE, fault, period, truth, truth_legs


def _run(
    client: Client, spec: ExportSpec, into: str, *, fmt: str | None = None, resume: bool = False
) -> Any:
    sink = open_sink(
        into, fmt=fmt, legs_only=spec.legs, resume=resume, export_key=spec.key(), pbx="centre"
    )
    try:
        return export(client, spec, sink)
    finally:
        sink.close()


def _calls(path: Path) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for line in path.read_text().splitlines():
        call = json.loads(line)
        assert call["call_id"] not in out, f"call {call['call_id']} written twice"
        out[call["call_id"]] = sorted(leg["segment_id"] for leg in call["legs"])
    return out


def test_calls_equal_the_database_across_caps_and_a_forced_504(
    centre_full: Any, pbx_full: Client, tmp_path: Path
) -> None:
    """The issue's size: every leg of 100 000 (103 013 with the demo's) in one period of
    twenty report caps, two forced 504s; call for call what the emulator's table holds."""
    start, end = period()
    fault(centre_full, operation="GetCallLogData", status=504, times=2)
    spec = ExportSpec(start, end, window=6 * 3600)  # asks $top=20000; the PBX answers 5000
    summary = _run(pbx_full, spec, str(tmp_path / "calls.jsonl"))
    expected = truth(centre_full, start, end)
    got = _calls(tmp_path / "calls.jsonl")
    assert len(expected) > 35_000
    assert got == expected  # every call, every one of its legs, nothing else
    assert summary.timeouts == 2 and summary.cap_splits >= 1
    assert summary.legs >= FULL_SCALE >= 20 * FULL_CAP  # the period spans twenty caps
    assert summary.rows == len(expected)


def test_legs_equal_the_database_under_a_proxy_timeout(
    centre: Any, pbx: Client, tmp_path: Path
) -> None:
    """504 for answers over 1 500 rows (the PBX's proxy, modelled by size): windows shrink."""
    centre.state.config.report_timeout_rows = 700
    start, end = period()
    start = end - timedelta(days=10)
    spec = ExportSpec(start, end, legs=True, window=86400)
    summary = _run(pbx, spec, str(tmp_path / "legs.csv"), fmt="csv")
    lines = (tmp_path / "legs.csv").read_text().splitlines()
    assert lines[0].startswith("segment_id,call_id,start_utc,start_local,")
    ids = [int(line.split(",", 1)[0]) for line in lines[1:]]
    assert ids and len(ids) == len(set(ids))
    assert sorted(ids) == truth_legs(centre, start, end)
    assert summary.timeouts >= 1 and summary.windows > len(ids) // 700


class _Killed(Exception):
    """Stands for the process dying: nothing after it runs."""


class _KillingClient:
    """Dies on its ``at``-th request."""

    def __init__(self, client: Client, at: int):
        self.client, self.at, self.n = client, at, 0

    def call(self, action: str, /, **params: Any) -> Any:
        self.n += 1
        if self.n == self.at:
            raise _Killed
        return self.client.call(action, **params)


class _TornSink(FileSink):
    """Dies in its ``at``-th commit after the rows reached the file, before the checkpoint."""

    at = 0

    def commit(self, checkpoint: dict[str, Any]) -> None:
        type(self).at -= 1
        if type(self).at == 0:
            self._fh.flush()
            raise _Killed
        super().commit(checkpoint)


def _interrupted(
    client: Client, spec: ExportSpec, path: Path, rng: random.Random, windows: int
) -> int:
    """Run until killed at a random point (a request or a torn commit); then resume until
    done, killed again now and then.  Returns how many runs it took."""
    runs = 0
    while True:
        runs += 1
        resume = path.exists()
        if rng.random() < 0.5:
            _TornSink.at = rng.randrange(1, windows // 2)
            sink = _TornSink(path, "jsonl", _columns(spec), resume=resume)
            driver: Any = client
        else:
            _TornSink.at = -1
            sink = FileSink(path, "jsonl", _columns(spec), resume=resume)
            driver = _KillingClient(client, rng.randrange(1, windows // 2))
        try:
            export(driver, spec, sink)
            return runs
        except _Killed:
            pass
        finally:
            sink.close()


def _columns(spec: ExportSpec) -> tuple[str, ...]:
    from tcxkit.exports import CALL_COLUMNS, LEG_COLUMNS

    return LEG_COLUMNS if spec.legs else CALL_COLUMNS


#: Seeds of the kill-and-resume runs (each several kills): the issue's ten.
KILL_RUNS = int(os.environ.get("TCX_EXPORT_KILL_RUNS") or 10)


def _kill_spec() -> ExportSpec:
    end = period()[1]
    return ExportSpec(end - timedelta(days=1), end, window=3600, cap=160)  # ~80 legs a window


@pytest.fixture(scope="module")
def uninterrupted(centre: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, int]:
    """The kill tests' reference: the same export, never interrupted (made once)."""
    path = tmp_path_factory.mktemp("whole") / "whole.jsonl"
    with Client(
        centre.url, centre.client_id, centre.client_secret, token_cache=False, retries=0
    ) as client:
        summary = _run(client, _kill_spec(), str(path))
    return path.read_bytes(), summary.windows


@pytest.mark.parametrize("seed", range(KILL_RUNS))
def test_killed_at_random_points_and_resumed_the_output_is_identical(
    centre: Any, pbx: Client, tmp_path: Path, seed: int, uninterrupted: tuple[bytes, int]
) -> None:
    """Killed in a request or between a window's rows and its checkpoint, several times
    a run, then resumed: byte for byte the uninterrupted file, each call once."""
    whole, windows = uninterrupted
    spec = _kill_spec()
    assert windows > 8
    rng = random.Random(seed)
    runs = _interrupted(pbx, spec, tmp_path / "pieces.jsonl", rng, windows)
    assert runs > 1
    assert (tmp_path / "pieces.jsonl").read_bytes() == whole
    assert _calls(tmp_path / "pieces.jsonl") == truth(centre, spec.start, spec.end)


def test_sqlite_upsert_is_idempotent_and_resumable(
    centre: Any, pbx: Client, tmp_path: Path
) -> None:
    import sqlite3

    start, end = period()
    start = end - timedelta(days=2)
    spec = ExportSpec(start, end, window=4 * 3600)
    url = f"sqlite:///{tmp_path / 'cdr.db'}"
    sink = open_sink(
        url, fmt=None, legs_only=False, resume=False, export_key=spec.key(), pbx="centre"
    )
    driver = _KillingClient(pbx, 4)
    with pytest.raises(_Killed):
        export(driver, spec, sink)  # type: ignore[arg-type]
    sink.close()
    _run(pbx, spec, url, resume=True)
    db = sqlite3.connect(tmp_path / "cdr.db")
    snapshot = db.execute("SELECT * FROM calls ORDER BY call_id").fetchall()
    legs = db.execute("SELECT * FROM call_legs ORDER BY segment_id").fetchall()
    expected = truth(centre, start, end)
    assert [r[1] for r in snapshot] == sorted(expected)
    assert len(legs) == sum(len(v) for v in expected.values())
    sink = open_sink(
        url, fmt=None, legs_only=False, resume=False, export_key=spec.key(), pbx="centre"
    )
    export(pbx, spec, sink)  # the same export again, from scratch
    assert sink.changes == 0  # type: ignore[attr-defined]
    sink.close()
    assert db.execute("SELECT * FROM calls ORDER BY call_id").fetchall() == snapshot
    assert db.execute("SELECT * FROM call_legs ORDER BY segment_id").fetchall() == legs


def test_parquet_opens_in_pyarrow_with_the_documented_schema_and_resumes(
    centre: Any, pbx: Client, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    from tcxkit.exports.parquet import call_schema

    start, end = period()
    start = end - timedelta(days=2)
    spec = ExportSpec(start, end, window=3600, cap=400)
    target = str(tmp_path / "calls.parquet")
    sink = open_sink(
        target, fmt="parquet", legs_only=False, resume=False, export_key=spec.key(), pbx="c"
    )
    with pytest.raises(_Killed):
        export(_KillingClient(pbx, 6), spec, sink)  # type: ignore[arg-type]
    sink.close()
    (tmp_path / "calls.parquet" / "part-999999.parquet.tmp").write_bytes(b"torn")
    _run(pbx, spec, target, fmt="parquet", resume=True)
    table = pq.read_table(tmp_path / "calls.parquet")
    assert table.schema.equals(call_schema(), check_metadata=False)
    rows = table.to_pylist()
    got = {r["call_id"]: sorted(leg["segment_id"] for leg in r["legs"]) for r in rows}
    assert len(got) == len(rows) and got == truth(centre, start, end)
    first = min(rows, key=lambda r: r["start_utc"])
    assert first["start_utc"].tzinfo is not None and first["start_utc"] >= start
    assert not list((tmp_path / "calls.parquet").glob("*.tmp"))
    written = [tmp_path / "calls.parquet", *(tmp_path / "calls.parquet").iterdir()]
    modes = {p.name: p.stat().st_mode & 0o777 for p in written}
    assert modes == {p.name: 0o700 if p.is_dir() else 0o600 for p in written}


def test_postgresql_upsert_is_idempotent_and_resumable(
    centre: Any, pbx: Client, postgres: str
) -> None:
    import psycopg

    start, end = period()
    start = end - timedelta(days=2)
    spec = ExportSpec(start, end, window=4 * 3600, pbx="centre")
    sink = open_sink(
        postgres, fmt=None, legs_only=False, resume=False, export_key=spec.key(), pbx="centre"
    )
    with pytest.raises(_Killed):
        export(_KillingClient(pbx, 4), spec, sink)  # type: ignore[arg-type]
    sink.close()
    _run(pbx, spec, postgres, resume=True)
    with psycopg.connect(postgres) as db:
        calls = db.execute("SELECT * FROM calls WHERE pbx = 'centre' ORDER BY call_id").fetchall()
        legs = db.execute(
            "SELECT * FROM call_legs WHERE pbx = 'centre' ORDER BY segment_id"
        ).fetchall()
        expected = truth(centre, start, end)
        assert [r[1] for r in calls] == sorted(expected)
        assert len(legs) == sum(len(v) for v in expected.values())
        assert calls[0][2].tzinfo is not None  # start_utc is a timestamptz
    again = open_sink(
        postgres, fmt=None, legs_only=False, resume=False, export_key=spec.key(), pbx="centre"
    )
    export(pbx, spec, again)
    assert again.changes == 0  # type: ignore[attr-defined]
    again.close()
    with psycopg.connect(postgres) as db:
        assert (
            db.execute("SELECT * FROM calls WHERE pbx = 'centre' ORDER BY call_id").fetchall()
            == calls
        )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://cdr:s3cret@127.0.0.1/cdr",
        "postgresql://cdr@127.0.0.1/cdr?password=s3cret",  # libpq reads the query too
        "postgres://cdr@127.0.0.1/cdr?sslmode=require&sslpassword=s3cret",
    ],
)
def test_a_postgresql_url_with_a_password_is_refused(url: str) -> None:
    from tcxkit.errors import UsageError

    with pytest.raises(UsageError) as refused:
        open_sink(url, fmt=None, legs_only=False, resume=False, export_key="k", pbx="p")
    assert refused.value.message == (
        "The PostgreSQL URL holds a password, which would show in the process list."
    )
    assert refused.value.hint == "Leave it out of the URL and set PGPASSWORD, or use ~/.pgpass."


def test_a_file_shorter_than_its_checkpoint_is_refused(
    centre: Any, pbx: Client, tmp_path: Path
) -> None:
    from tcxkit.errors import UsageError

    _, end = period()
    spec = ExportSpec(end - timedelta(hours=12), end)
    path = tmp_path / "calls.jsonl"
    _run(pbx, spec, str(path))
    path.write_bytes(path.read_bytes()[:10])
    with pytest.raises(UsageError, match=r"is shorter than its checkpoint says \(10 bytes, not"):
        _run(pbx, spec, str(path), resume=True)
