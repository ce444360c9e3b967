"""Problems a demanding first-time user hit, each pinned by a test.

Malformed JSON at the end of a file, forgotten required options, items mode
that must never apply an item without reporting it, Ctrl-C, help pages that
fit a terminal.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tcxkit import catalog

from .conftest import BIN, Runner


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err and "unexpected error" not in err, err


# ----------------------------------------------------------------------------- JSON input


def test_json_file_cut_short_names_file_line_and_column(run: Runner, dirs: dict[str, Path]) -> None:
    """An unclosed object at the end of a file used to crash with IndexError (exit 1)."""
    (dirs["work"] / "req.json").write_text('{\n  "DnNumbers": ["100",\n  "101"\n  ]\n')
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", "@req.json")
    assert r.code == 2
    assert "3cx: malformed JSON: --peers-request (file req.json): " in r.err
    assert "at line 5, column 1." in r.err
    assert "(the text ends before the JSON value is complete)" in r.err
    assert "Hint: Fix the JSON in req.json at the line and column shown." in r.err
    _no_traceback(r.err)


def test_json_file_error_quotes_the_line(run: Runner, dirs: dict[str, Path]) -> None:
    (dirs["work"] / "req.json").write_text('{"DnNumbers": ["100",]}\n')
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", "@req.json")
    assert r.code == 2
    assert "Expecting value at line 1, column 22." in r.err
    assert '    {"DnNumbers": ["100",]}\n' + " " * 25 + "^" in r.err
    assert "Quote the JSON for your shell" not in r.err  # that hint is for literals


# ----------------------------------------------------------------------------- required options


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


# ----------------------------------------------------------------------------- items mode


def _numbers(run: Runner, prefix: str) -> set[str]:
    rows = run(
        "users", "list-user", "--filter", f"startswith(Number,'{prefix}')", "--select", "Number"
    ).json()
    return {row["Number"] for row in rows}


def test_items_malformed_line_sends_nothing(run: Runner) -> None:
    text = (
        '{"Number": "7301", "FirstName": "Ann", "EmailAddress": "ann.7301@x.example"}\n'
        '{"Number": "7302", "FirstName": "Ben"\n'
    )
    r = run("users", "create-user", "--items", "-", input=text)
    assert r.code == 2
    assert "--items (stdin) line 2: Expecting ',' delimiter at line 2, column 38." in r.err
    assert (
        "Hint: Fix line 2 of stdin: each line must be one JSON object. Nothing was sent." in r.err
    )
    assert r.out == ""
    assert _numbers(run, "730") == set()


def test_items_stop_reports_every_item_that_was_sent(run: Runner) -> None:
    """Items in flight when one fails are still printed: no create goes unreported."""
    items = [
        {"Number": "7401", "FirstName": "Ann", "EmailAddress": "ann.7401@x.example"},
        {"Number": "7402", "FirstName": "Ben", "EmailAddress": "ben.7402@x.example"},
        {"Number": "100", "FirstName": "Dup", "EmailAddress": "dup.7400@x.example"},
        {"Number": "7403", "FirstName": "Cat", "EmailAddress": "cat.7403@x.example"},
    ]
    text = "".join(json.dumps(i) + "\n" for i in items)
    r = run("users", "create-user", "--items", "-", "--concurrency", "4", input=text)
    assert r.code == 8
    assert "3cx: item 3 of 4 failed; stopping (items already sent are still reported" in r.err
    assert "Number: WARNINGS.XAPI.ALREADY_IN_USE" in r.err
    reported = {row["Number"] for row in r.lines()}
    assert {"7401", "7402"} <= reported
    assert reported == _numbers(run, "740")  # exactly what exists on the PBX


def test_items_continue_on_error_keeps_input_order(run: Runner) -> None:
    items = [{"Number": n} for n in ("100", "999999", "101", "102", "103", "104")]
    text = "".join(json.dumps(i) + "\n" for i in items)
    r = run(
        "users",
        "get-user-by-number",
        "--items",
        "-",
        "--select",
        "Number",
        "--concurrency",
        "5",
        "--continue-on-error",
        input=text,
    )
    assert r.code == 10
    lines = r.lines()
    assert [row.get("Number") or row["item"] for row in lines] == [
        "100",
        2,
        "101",
        "102",
        "103",
        "104",
    ]
    assert lines[1]["error"]["exit_code"] == 7 and lines[1]["input"] == {"Number": "999999"}
    assert "1 of 6 items failed" in r.err


# ----------------------------------------------------------------------------- Ctrl-C


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130_without_traceback(subprocess_run: Runner) -> None:
    """SIGINT while blocked reading --items from stdin (click turned it into 'aborted', 1).

    The child gets SIGINT's default disposition explicitly: when the suite itself runs as a
    background job of a non-interactive shell (``bash -c 'pytest ... & wait'``, as some CI
    runners do), SIGINT is inherited as *ignored*, CPython then installs no KeyboardInterrupt
    handler, the signal is dropped and the child exits 0 at end of input -- correct
    behaviour for a background job, but not what this test is about.
    """
    proc = subprocess.Popen(
        [str(BIN), "users", "get-user", "--items", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_run.env,
        cwd=subprocess_run.cwd,
        preexec_fn=_default_sigint,
    )
    # Wait (bounded) until the process sits in read(0, ...): its handlers are installed then.
    deadline = time.monotonic() + 60
    syscall = Path(f"/proc/{proc.pid}/syscall")
    while not syscall.read_text().startswith("0 0x0 "):
        assert time.monotonic() < deadline, "3cx never blocked on stdin"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == "3cx: interrupted."
    assert out == ""


# ----------------------------------------------------------------------------- help pages


def test_root_help_short_helps_are_not_cut(bare: Runner) -> None:
    r = bare("--help")
    commands = r.out.split("\nCommands:\n")[1].split("\n\n")[0]
    assert "..." not in commands
    assert "actions     Find actions; `actions show ACTION` explains one." in commands


def test_long_usage_lines_wrap_as_pasteable_commands(bare: Runner) -> None:
    r = bare("actions", "show", "GetCallLogData")
    assert r.code == 0
    usage = r.out.split("\nUsage:\n")[1].split("\n\n")[0].splitlines()
    assert all(len(line) <= 100 for line in usage), usage
    assert usage[0].endswith(" \\") and usage[1].startswith("      --")
    shell = " ".join(line.strip().rstrip("\\").strip() for line in usage[:4])
    assert shell.startswith("3cx report-call-log-data get-call-log-data --period-from ")
    assert shell.endswith("--hide-pcalls false --top 10")  # a report example shows 10 rows
    assert len(catalog().require("GetCallLogData").params) + 1 == shell.count(" --")


def test_primitive_result_described_as_json(bare: Runner) -> None:
    r = bare("actions", "show", "HasDuplicatedEmail")
    assert 'Returns: boolean (JSON {"value": ...}); -o raw prints the bare value' in r.out
    assert "{'value'" not in r.out


def test_actions_show_argument_forms(bare: Runner) -> None:
    r = bare("actions", "show", "users", "get-user")
    assert r.code == 0 and r.out.startswith("GetUser  (Users, XAPI ")
    r = bare("actions", "show")
    assert r.code == 2
    assert (
        "`3cx actions show` takes one ACTION (got none), e.g. `3cx actions show ListUser`" in r.err
    )
    r = bare("actions", "show", "GetUser", "extra")
    assert r.code == 2
    assert "takes one ACTION (got 2: GetUser extra)" in r.err


# ----------------------------------------------------------------------------- silently ignored


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


# ----------------------------------------------------------------------------- speed


def test_help_and_listing_never_import_httpx_or_rich(subprocess_bare: Runner) -> None:
    """`3cx --help` and `3cx actions` must stay fast: no HTTP, rendering or MCP stack."""
    python = BIN.with_name("python")
    for args in (
        ["--help"],
        ["actions"],
        ["users", "get-user", "--help"],
        ["mcp", "--help"],
        ["state", "plan", "--help"],
    ):
        proc = subprocess.run(
            [str(python), "-X", "importtime", "-m", "tcxkit", *args],
            capture_output=True,
            text=True,
            env=subprocess_bare.env,
            cwd=subprocess_bare.cwd,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()}
        assert "tcxkit" in modules
        heavy = {"httpx", "httpcore", "rich", "mcp", "mcp_types", "pydantic", "yaml"}
        assert not modules & heavy, args
