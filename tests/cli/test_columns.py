"""Readable tables: per-entity default columns, --select order, fit to the terminal (#10, 7)."""

from __future__ import annotations

import csv
import io

from .conftest import Runner

CALLS = ("call-history-view", "list-call-history-view", "--top", "3")


def test_call_history_default_columns(run: Runner) -> None:
    r = run(*CALLS, "-o", "table")
    assert r.code == 0, r.err
    header, *rows = r.out.splitlines()
    assert header.split() == [
        "SegmentStartTime", "SrcCallerNumber", "SrcDisplayName", "DstCallerNumber",
        "DstDisplayName", "Direction", "CallTime", "CallAnswered",
    ]  # fmt: skip
    assert len(rows) == 3
    assert all(("inbound" in row or "outbound" in row or "internal" in row) for row in rows)


def test_call_history_csv_puts_defaults_first_and_keeps_every_field(run: Runner) -> None:
    r = run(*CALLS, "-o", "csv")
    header = next(csv.reader(io.StringIO(r.out)))
    assert header[:3] == ["SegmentStartTime", "SrcCallerNumber", "SrcDisplayName"]
    assert "Direction" not in header  # derived for tables only; CSV is the data as sent
    assert {"SegmentId", "SrcDn", "DstDn"} <= set(header)


def test_select_order_is_kept(run: Runner) -> None:
    args = ("users", "list-user", "--select", "EmailAddress,LastName,Number", "--top", "1")
    r = run(*args, "-o", "table")
    assert r.out.splitlines()[0].split() == ["EmailAddress", "LastName", "Number"]
    r = run(*args, "-o", "csv")
    assert r.out.splitlines() == [
        "EmailAddress,LastName,Number",
        "alice.archer@acme.example,Archer,100",
    ]


def test_wide_table_fits_the_terminal(run: Runner) -> None:
    r = run(*CALLS, "-o", "table", env={"COLUMNS": "60"})
    assert r.code == 0
    lines = r.out.splitlines()
    assert len(lines) == 4
    assert max(len(line) for line in lines) <= 60
    assert "…" in r.out
    assert "3cx: 1 more column did not fit the terminal; choose with --select" in r.err
