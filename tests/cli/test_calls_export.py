"""``3cx calls export``: output, resumption, refusals and exit codes, one PBX and a fleet."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import Faults, Runner


def _period(days: int = 3) -> tuple[str, str]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (end - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_calls_to_standard_output(run: Runner) -> None:
    start, end = _period()
    r = run("calls", "export", "--from", start, "--to", end, "--tz", "Asia/Tokyo")
    assert r.code == 0, r.err
    calls = r.lines()
    assert calls and all(c["time_zone"] == "Asia/Tokyo" for c in calls)
    assert all(c["start_local"].endswith("+09:00") and c["start_utc"].endswith("Z") for c in calls)
    assert sum(c["legs_count"] for c in calls) == sum(len(c["legs"]) for c in calls)
    assert f"3cx: exported {len(calls)} calls (" in r.err
    assert "windows each matched the PBX's count" in r.err


def test_legs_as_csv(run: Runner) -> None:
    start, end = _period(1)
    r = run("calls", "export", "--from", start, "--to", end, "--legs", "-o", "csv")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split(",")[:4] == ["segment_id", "call_id", "start_utc", "start_local"]
    assert len(lines) > 1 and "local times in Europe/London" in r.err


def test_into_a_file_refuses_to_overwrite_and_resumes_a_finished_export(
    run: Runner, tmp_path: Path
) -> None:
    start, end = _period()
    target = tmp_path / "calls.jsonl"
    first = run("calls", "export", "--from", start, "--to", end, "--into", str(target))
    assert first.code == 0 and first.out == ""
    data = target.read_bytes()
    checkpoint = tmp_path / "calls.jsonl.checkpoint.json"
    assert [p.stat().st_mode & 0o777 for p in (target, checkpoint)] == [0o600, 0o600]
    again = run("calls", "export", "--from", start, "--to", end, "--into", str(target))
    assert again.code == 2
    assert (
        f"{target} holds a finished export (checkpoint calls.jsonl.checkpoint.json)." in again.err
    )
    assert "Add --resume to continue it" in again.err
    resumed = run(
        "calls", "export", "--from", start, "--to", end, "--into", str(target), "--resume"
    )
    assert resumed.code == 0 and "(resumed)" in resumed.err and target.read_bytes() == data
    other = run(
        "calls", "export", "--from", start, "--to", end, "--legs", "--into", str(target), "--resume"
    )
    assert other.code == 2 and "The checkpoint belongs to another export" in other.err


def test_an_export_is_never_written_through_a_planted_link(run: Runner, tmp_path: Path) -> None:
    """A link planted at the export's name (pointing where its planter reads) is refused:
    call records go into files tcxkit creates itself, 0600 (tcxkit.private_files)."""
    start, end = _period(1)
    loot = tmp_path / "loot.jsonl"
    for name in ("calls.jsonl", "calls.db"):
        target = tmp_path / name
        target.symlink_to(loot)
        into = str(target) if name.endswith(".jsonl") else f"sqlite:///{target}"
        r = run("calls", "export", "--from", start, "--to", end, "--into", into)
        assert r.code == 2, r.err
        assert f"The export file {target} is a symbolic link" in r.err
        assert f"Hint: Run: rm {target}" in r.err
        assert not loot.exists()


def test_into_sqlite_twice_changes_nothing(run: Runner, tmp_path: Path) -> None:
    import sqlite3

    start, end = _period()
    url = f"sqlite:///{tmp_path / 'cdr.db'}"
    assert run("calls", "export", "--from", start, "--to", end, "--into", url).code == 0
    assert (tmp_path / "cdr.db").stat().st_mode & 0o777 == 0o600
    db = sqlite3.connect(tmp_path / "cdr.db")
    before = db.execute("SELECT * FROM calls ORDER BY call_id").fetchall()
    assert before
    assert run("calls", "export", "--from", start, "--to", end, "--into", url).code == 0
    assert db.execute("SELECT * FROM calls ORDER BY call_id").fetchall() == before


DAY = ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-11-01", "--to", "2026-11-02"], "--from '2026-11-01' has no time zone."),
        (["--from", "yesterday", "--to", "2026-11-02Z"], "--from 'yesterday' is not a date"),
        (
            ["--from", "2026-11-01", "--to", "2026-11-02", "--tz", "Mars/Olympus"],
            "Unknown time zone 'Mars/Olympus'.",
        ),
        (
            ["--from", "2026-11-02T00:00:00Z", "--to", "2026-11-01T00:00:00Z"],
            "The export period ends (2026-11-01T00:00:00Z) before it starts",
        ),
        (
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "--resume"],
            "--resume needs --into: standard output cannot be resumed.",
        ),
        (
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "--into",
             "mysql://db/cdr"],
            "Cannot export into mysql:// yet.",
        ),
        (
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "-o", "parquet"],
            "Parquet is written into a directory, not to standard output.",
        ),
        (
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "-o", "parquet",
             "--into", "postgresql://me@db/cdr"],
            "Parquet is written into a directory, not into postgresql://.",
        ),
        (
            [*DAY, "-o", "csv", "--into", "x.parquet"],
            "-o csv and --into x.parquet disagree: the name says parquet.\nHint: Drop -o (the "
            "name's .parquet says parquet), or name the target for csv (--into x.csv).",
        ),
        (
            [*DAY, "-o", "parquet", "--into", "calls.jsonl"],
            "-o parquet and --into calls.jsonl disagree: the name says jsonl.",
        ),
        (
            [*DAY, "-o", "jsonl", "--into", "file://calls.CSV"],
            "-o jsonl and --into calls.CSV disagree: the name says csv.",
        ),
        (
            [*DAY, "-o", "csv", "--into", "sqlite:///cdr.db"],
            "-o csv and --into sqlite://... disagree: a database holds tables (calls, "
            "call_legs), not a text format.\nHint: Leave -o out for the database, or export into a "
            "file (--into calls.csv).",
        ),
        (
            [*DAY, "--into", "sqlite://cdr.db"],
            "sqlite://cdr.db is not a SQLite URL: it is sqlite:/// and then the file's path.",
        ),
        (
            [*DAY, "--into", "cdr/{pbx}.jsonl"],
            "--into cdr/{pbx}.jsonl names one output per PBX ({pbx}), but no --fleet is given."
            "\nHint: Add --fleet SELECTOR",
        ),
        (
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "--into",
             "/nonexistent-dir/calls.jsonl"],
            "Cannot write /nonexistent-dir/calls.jsonl: No such file or directory.",
        ),
        (
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "--into",
             "sqlite:////nonexistent-dir/cdr.db"],
            "Cannot open the SQLite database /nonexistent-dir/cdr.db: No such file or directory.",
        ),
        (
            ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "--into",
             "postgresql://me@%2Fnonexistent-dir/cdr"],
            'Cannot open the PostgreSQL database: connection is bad: connection to server on '
            'socket "/nonexistent-dir/.s.PGSQL.5432" failed: No such file or directory.',
        ),
    ],
)  # fmt: skip
def test_refusals(run: Runner, args: list[str], message: str) -> None:
    r = run("calls", "export", *args)
    assert r.code == 2 and message in r.err, r.err
    assert r.out == ""


def test_the_file_name_says_the_format_when_o_is_not_given(run: Runner, tmp_path: Path) -> None:
    """``--into calls.csv`` writes CSV (not JSON lines in a .csv file); the global ``-o``
    (a default, as the settings' is) gives way to the name, the command's own ``-o`` not."""
    start, end = _period(1)
    r = run("-o", "jsonl", "calls", "export", "--from", start, "--to", end, "--legs",
            "--into", str(tmp_path / "legs.csv"))  # fmt: skip
    assert r.code == 0, r.err
    header = (tmp_path / "legs.csv").read_text().splitlines()[0]
    assert header.split(",")[:3] == ["segment_id", "call_id", "start_utc"]


def test_a_pbx_that_always_times_out_is_exit_13(run: Runner, faults: Faults) -> None:
    faults["GetCallLogData"] = 504
    start, end = _period(1)
    r = run("calls", "export", "--from", start, "--to", end, "--window", "4")
    assert r.code == 13, r.err
    assert "GetCallLogData timed out (504) 3 times on a one-second window at" in r.err
    assert "resume with --resume later" in r.err


@pytest.fixture
def inventory(tcx_fleet: Any) -> Path:
    return Path(tcx_fleet.inventory)


def test_fleet_one_file_per_pbx(run: Runner, inventory: Path, tmp_path: Path) -> None:
    start, end = _period(1)
    pattern = str(tmp_path / "{pbx}.jsonl")
    r = run(
        "--inventory", str(inventory), "--fleet", "all", "calls", "export", "--from", start,
        "--to", end, "--into", pattern,
    )  # fmt: skip
    assert r.code == 0, r.err
    rows = r.lines()
    assert [row["pbx"] for row in rows] == ["pbx01", "pbx02", "pbx03"]
    for row in rows:
        written = (tmp_path / f"{row['pbx']}.jsonl").read_text().splitlines()
        assert len(written) == row["rows"] > 0
        assert json.loads(written[0])["call_id"]
    refused = run("--inventory", str(inventory), "--fleet", "all", "calls", "export",
                  "--from", start, "--to", end, "--into", str(tmp_path / "all.jsonl"))  # fmt: skip
    assert refused.code == 2 and refused.out == ""
    assert (
        f"--fleet writes every PBX's rows: --into {tmp_path / 'all.jsonl'} would be one file "
        "for all of them.\nHint: Name each PBX's file with {pbx}" in refused.err
    )
    assert not (tmp_path / "all.jsonl").exists()


def test_fleet_to_standard_output_is_one_table_with_a_pbx_column(
    run: Runner, inventory: Path, tmp_path: Path
) -> None:
    """JSON lines and CSV: every PBX's rows in one table, ``pbx`` first; the same rows as
    each PBX's own file holds; the per-PBX lines on stderr, none on stdout."""
    start, end = _period(1)
    fleet = ("--inventory", str(inventory), "--fleet", "all", "calls", "export", "--from",
             start, "--to", end)  # fmt: skip
    r = run(*fleet, "--legs")
    assert r.code == 0, r.err
    rows = r.lines()
    assert {row["pbx"] for row in rows} == {"pbx01", "pbx02", "pbx03"}
    assert all(next(iter(row)) == "pbx" and row["segment_id"] for row in rows)
    assert all(f"3cx: {p}: exported " in r.err for p in ("pbx01", "pbx02", "pbx03"))
    files = run(*fleet, "--legs", "--into", str(tmp_path / "{pbx}.jsonl"))
    assert files.code == 0, files.err
    for row in files.lines():
        own = [json.loads(x) for x in (tmp_path / f"{row['pbx']}.jsonl").read_text().splitlines()]
        mine = [{k: v for k, v in x.items() if k != "pbx"} for x in rows if x["pbx"] == row["pbx"]]
        assert sorted(mine, key=lambda x: x["segment_id"]) == sorted(
            own, key=lambda x: x["segment_id"]
        )
    csv_out = run(*fleet, "-o", "csv")
    assert csv_out.code == 0, csv_out.err
    lines = csv_out.out.splitlines()
    assert lines[0].split(",")[:3] == ["pbx", "call_id", "start_utc"]
    assert lines.count(lines[0]) == 1  # one header for the whole fleet
    assert {line.split(",")[0] for line in lines[1:]} == {"pbx01", "pbx02", "pbx03"}
    for extra, message in (
        (["--resume"], "--resume needs --into: standard output cannot be resumed."),
        (["-o", "parquet"], "Parquet is written into a directory, not to standard output."),
    ):
        refused = run(*fleet, *extra)
        assert refused.code == 2 and refused.out == "" and message in refused.err


def test_fleet_to_standard_output_a_failed_pbx_is_told_on_stderr(
    run: Runner, three_one_down: Path
) -> None:
    start, end = _period(1)
    r = run("--inventory", str(three_one_down), "--fleet", "all", "calls", "export",
            "--from", start, "--to", end, env={"DOWN_KEY": "x"})  # fmt: skip
    assert r.code == 10, r.err
    assert {row["pbx"] for row in r.lines()} == {"pbx01", "pbx02"}
    assert "3cx: down: " in r.err and "1 of 3 PBXs failed (down: " in r.err


def test_sigkill_mid_export_then_resume_writes_the_same_bytes(
    subprocess_run: Runner, tmp_path: Path
) -> None:
    """A real ``kill -9`` of the console script once it has checkpointed a window (polled
    with a deadline, not slept on), then ``--resume``: byte for byte the uninterrupted file."""
    import os
    import signal
    import subprocess
    import time

    from .conftest import BIN

    start, end = _period(14)  # about 1 500 legs in windows of about 30: some 50 windows
    args = ["calls", "export", "--from", start, "--to", end, "--window", "600", "--cap", "60"]
    whole = subprocess_run(*args, "--into", str(tmp_path / "whole.jsonl"))
    assert whole.code == 0, whole.err
    target = tmp_path / "killed.jsonl"
    checkpoint = tmp_path / "killed.jsonl.checkpoint.json"
    env = {**subprocess_run.env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [str(BIN), *args, "--into", str(target)], env=env, cwd=subprocess_run.cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the export ended before it could be killed"
    resumed = subprocess_run(*args, "--into", str(target), "--resume")
    assert resumed.code == 0 and "(resumed)" in resumed.err, resumed.err
    assert target.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()


def test_fleet_into_one_database_with_a_pbx_column(
    run: Runner, inventory: Path, tmp_path: Path
) -> None:
    import sqlite3

    start, end = _period(1)
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    r = run("--inventory", str(inventory), "--fleet", "all", "calls", "export", "--from", start,
            "--to", end, "--into", url)  # fmt: skip
    assert r.code == 0, r.err
    rows = {row["pbx"]: row["rows"] for row in r.lines()}
    db = sqlite3.connect(tmp_path / "fleet.db")
    stored = dict(db.execute("SELECT pbx, count(*) FROM calls GROUP BY pbx").fetchall())
    assert stored == rows and set(stored) == {"pbx01", "pbx02", "pbx03"}


def test_the_emulator_s_load_options_are_checked(bare: Runner) -> None:
    r = bare("emulator", "--call-mix", "busy")
    assert r.code == 2 and "Invalid value for '--call-mix': 'busy' is not one of" in r.err
    r = bare("emulator", "--report-cap", "0")
    assert r.code == 2 and "Invalid value for '--report-cap'" in r.err
