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


def test_long_table_into_a_file_or_pipe_has_no_terminal_note(run: Runner) -> None:
    """Output captured (not a terminal): no "rows do not fit the terminal" on stderr."""
    r = run("users", "list-user", "-o", "table", env={"LINES": "5"})
    assert r.code == 0, r.err
    assert len(r.out.splitlines()) == 26  # header + 25 users
    assert r.err == ""


def test_long_table_on_a_terminal_says_how_to_export() -> None:
    from tcxkit.cli.output import Printer

    class Screen(io.StringIO):
        def isatty(self) -> bool:
            return True

    import contextlib
    import os

    screen, err = Screen(), io.StringIO()
    rows = [{"Id": i} for i in range(30)]
    old = os.environ.get("LINES")
    os.environ["LINES"] = "10"
    try:
        with contextlib.redirect_stderr(err):
            Printer(fmt="table", out=screen, pretty=False).rows(iter(rows))
    finally:
        if old is None:
            del os.environ["LINES"]
        else:
            os.environ["LINES"] = old
    assert "3cx: 30 rows do not fit the terminal (10 lines); for exports use" in err.getvalue()


def test_cells_are_cut_in_the_middle_keeping_what_differs() -> None:
    from tcxkit.cli.columns import cut_middle, fit_to_width

    assert cut_middle("abcdefghijklmnop", 9) == "abcd…mnop"
    assert cut_middle("short", 9) == "short"
    sources = [f"file /srv/tcxkit/fleet/keys/pbx0{i}" for i in (1, 2, 3)]
    _header, cells, dropped = fit_to_width(
        ["pbx", "key_source"],
        [[f"pbx0{i}", s] for i, s in zip((1, 2, 3), sources, strict=True)],
        26,
    )
    assert dropped == 0
    shown = [row[1] for row in cells]
    assert len(set(shown)) == 3  # every row readable apart
    assert all(s.startswith("file") and "…" in s for s in shown)
    assert [s[-5:] for s in shown] == ["pbx01", "pbx02", "pbx03"]
