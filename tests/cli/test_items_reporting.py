"""Items mode never applies an item without reporting it: a malformed line sends
nothing, a stop reports every item that was sent, ``--continue-on-error`` keeps
the input order.
"""

from __future__ import annotations

import json

from .conftest import Runner


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
