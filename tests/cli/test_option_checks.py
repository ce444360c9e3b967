"""Options checked before anything is sent: required options and bodies listed
before connecting, options that would be silently ignored refused, and the
count kept off stdout for row formats.
"""

from __future__ import annotations

from .conftest import Runner


def test_missing_required_options_listed_before_connecting(bare: Runner) -> None:
    """Exit 2 naming the flags; no emulator is started and nothing is sent."""
    r = bare("report-call-log-data", "get-call-log-data", "--period-from", "2025-01-01T00:00:00Z")
    assert r.code == 2
    assert "GetCallLogData: missing required options: --period-to (date-time), " in r.err
    assert "--hide-pcalls (boolean)." in r.err
    assert "--period-from" not in r.err.split("Hint:")[0]
    assert "`3cx actions show GetCallLogData`" in r.err
    assert "built-in emulator" not in r.err


def test_missing_required_body_is_not_sent(run: Runner) -> None:
    """Used to reach the PBX and come back as a 400 (exit 8)."""
    r = run("peers", "retreive-peers-by-numbers")
    assert r.code == 2
    assert (
        "RetreivePeersByNumbers: missing required option: --peers-request "
        "(Pbx.RetreivePeersRequest)." in r.err
    )
    assert "--peers-request @peers-request.json" in r.err
    r = run("users", "create-user")
    assert r.code == 2
    assert "CreateUser: missing required option: --body (Pbx.User)." in r.err


def test_out_only_on_file_actions(run: Runner) -> None:
    r = run("users", "get-user", "--id", "1", "--out", "x.json")
    assert r.code == 2
    assert "No such option '--out'" in r.err
    assert "--out PATH" in run("recordings", "download-recording", "--help").out


def test_options_that_would_be_ignored_are_refused(run: Runner) -> None:
    r = run("users", "list-user", "--page-size", "5", "--select", "Id")
    assert r.code == 2
    assert "3cx: usage error: --page-size only applies with --all." in r.err
    r = run("call", "ListUser", "--out", "x.json", "--top", "1")
    assert r.code == 2
    assert "--out only applies to file results; ListUser returns collection of Pbx.User." in r.err
    assert not (run.cwd / "x.json").exists()


def test_count_goes_to_stderr_for_row_formats(run: Runner) -> None:
    r = run("users", "list-user", "--count", "--top", "2", "--select", "Id,Number", "-o", "table")
    assert r.code == 0
    total = run("users", "list-user", "--count", "--top", "1", "--select", "Id").json()
    assert f"3cx: @odata.count: {total['@odata.count']} items match in total." in r.err
    assert r.out.splitlines()[0].split() == ["Id", "Number"] and len(r.out.splitlines()) == 3
    r = run("users", "list-user", "--all", "--count", "--select", "Id", "-o", "jsonl")
    assert r.code == 0
    assert f"3cx: {len(r.lines())} items in total (--all printed every one)." in r.err
