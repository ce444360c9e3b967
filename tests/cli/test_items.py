"""Items mode: one call per item, JSONL out, concurrency, --continue-on-error (exit 10)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Runner


@pytest.fixture
def ids(run: Runner) -> list[int]:
    """Ids of three existing users (whatever the demo data holds)."""
    rows = run("users", "list-user", "--select", "Id", "--top", "3", "--orderby", "Id").json()
    assert len(rows) == 3
    return [row["Id"] for row in rows]


def test_items_fill_parameters_from_jsonl(
    run: Runner, dirs: dict[str, Path], ids: list[int]
) -> None:
    a, b, c = ids
    (dirs["work"] / "ids.jsonl").write_text(f'{{"Id": {a}}}\n\n{{"id": {b}}}\n{{"Id": {c}}}\n')
    r = run(
        "users", "get-user", "--items", "ids.jsonl", "--select", "Id,Number", "--concurrency", "3"
    )
    assert r.code == 0, r.err
    assert [row["Id"] for row in r.lines()] == ids  # input order kept


def test_items_from_json_array_on_stdin_fill_body_fields(subprocess_run: Runner) -> None:
    """Items piped into a real process's stdin."""
    run = subprocess_run
    items = [{"Number": "180", "FirstName": "Ann"}, {"Number": "181", "FirstName": "Ben"}]
    r = run("users", "create-user", "--items", "-", input=json.dumps(items))
    assert r.code == 0, r.err
    assert [row["FirstName"] for row in r.lines()] == ["Ann", "Ben"]


def test_items_fill_single_wrapped_argument(run: Runner) -> None:
    items = '{"DnNumbers": [100]}\n{"peersRequest": {"DnNumbers": ["9999"]}}\n'
    r = run("peers", "retreive-peers-by-numbers", "--items", "-", input=items)
    assert r.code == 0, r.err
    assert all("error" not in row for row in r.lines())


def test_items_no_content_lines(run: Runner, ids: list[int]) -> None:
    # The name it already has: the session's demo PBX stays as other tests expect it.
    user = run("users", "get-user", "--id", str(ids[0]), "--select", "LastName").json()
    item = json.dumps({"Id": ids[0], "LastName": user["LastName"]})
    r = run("users", "update-user", "--items", "-", input=item + "\n")
    assert r.code == 0, r.err
    assert r.lines() == [{"item": 1, "status": "ok"}]


def test_items_stop_at_first_failure(run: Runner, ids: list[int]) -> None:
    text = f'{{"Id": {ids[0]}}}\n{{"Id": 999999}}\n{{"Id": {ids[1]}}}\n'
    r = run("users", "get-user", "--items", "-", input=text)
    assert r.code == 7
    assert "3cx: item 2 of 3 failed; stopping" in r.err
    assert "not found (404)" in r.err
    # Item 3 may already have been in flight (default concurrency 4): then it is reported.
    assert [row["Id"] for row in r.lines()] in (ids[:1], [ids[0], ids[1]])


def test_items_after_a_failure_are_never_sent(run: Runner, ids: list[int], emulator: Any) -> None:
    """At most once on the fleet engine: the failure stops the engine before the next
    item may start, so with one call at a time nothing after item 1 reaches the PBX."""
    emulator.clear_requests()
    text = f'{{"Id": 999999}}\n{{"Id": {ids[0]}}}\n{{"Id": {ids[1]}}}\n'
    r = run("users", "get-user", "--items", "-", "--concurrency", "1", input=text)
    assert r.code == 7
    assert "3cx: item 1 of 3 failed; stopping" in r.err
    assert r.lines() == []
    sent = [q["path"] for q in emulator.requests if q["path"].startswith("/xapi/v1/Users(")]
    assert sent == ["/xapi/v1/Users(999999)"]


def test_items_continue_on_error_reports_and_exits_10(run: Runner, ids: list[int]) -> None:
    text = f'{{"Id": {ids[0]}}}\n{{"Id": 999999}}\n{{"Id": "abc"}}\n{{"Id": {ids[1]}}}\n'
    r = run(
        "users", "get-user", "--items", "-", "--continue-on-error", "--select", "Id", input=text
    )
    assert r.code == 10
    lines = r.lines()
    assert [x.get("Id") for x in lines if "error" not in x] == ids[:2]
    errors = [x for x in lines if "error" in x]
    assert errors[0]["item"] == 2 and errors[0]["error"]["exit_code"] == 7
    assert errors[0]["input"] == {"Id": 999999}
    assert errors[1]["item"] == 3 and errors[1]["error"]["type"] == "ValidationError"
    assert "3cx: partial failure: 2 of 4 items failed" in r.err


def test_items_unknown_field_is_a_validation_problem(run: Runner, ids: list[int]) -> None:
    r = run("users", "get-user", "--items", "-", input=f'{{"Id": {ids[0]}, "Colour": "red"}}\n')
    assert r.code == 3
    assert "Colour: unknown parameter" in r.err


def test_items_malformed_line(run: Runner) -> None:
    r = run("users", "get-user", "--items", "-", input='{"Id": 1}\n{"Id": }\n')  # parse first
    assert r.code == 2
    assert "--items (stdin) line 2" in r.err and "line 2, column 8" in r.err


def test_items_must_be_objects(run: Runner) -> None:
    r = run("users", "get-user", "--items", "-", input="[1, 2]")
    assert r.code == 2
    assert "element 1: each item must be a JSON object" in r.err


def test_continue_on_error_needs_items(run: Runner) -> None:
    r = run("users", "list-user", "--continue-on-error")
    assert r.code == 2
    assert "--continue-on-error only applies with --items" in r.err


# ----------------------------------------------------------------------------- CSV (issue #10, 8)


def test_items_from_csv_typed_from_the_schema(run: Runner, dirs: dict[str, Path]) -> None:
    """Header = field names, A.B nests, cells typed (boolean, integer), empty cells left out."""
    (dirs["work"] / "users.csv").write_text(
        "Number,FirstName,Enabled,PinProtectTimeout,Hours.Type\n"
        '185,"Ann, Jr.",yes,5,AllHours\n'
        "\n"
        "186,Ben,false,,\n"
    )
    r = run("users", "create-user", "--items", "users.csv")
    assert r.code == 0, r.err
    rows = r.lines()
    assert [(u["Number"], u["FirstName"], u["Enabled"]) for u in rows] == [
        ("185", "Ann, Jr.", True),
        ("186", "Ben", False),
    ]
    assert rows[0]["PinProtectTimeout"] == 5
    r = run("users", "list-user", "--filter", "Number eq '185'", "--select", "Hours")
    assert r.json()[0]["Hours"]["Type"] == "AllHours"


def test_items_csv_on_stdin_fills_parameters(run: Runner, ids: list[int]) -> None:
    """stdin whose first line is a header row (not JSON) is CSV; OData options are columns too."""
    csv_in = f"id,select\n{ids[0]},Id\n{ids[1]},Id\n"
    r = run("users", "get-user", "--items", "-", input=csv_in)
    assert r.code == 0, r.err
    assert r.lines() == [{"Id": ids[0]}, {"Id": ids[1]}]


def test_items_csv_errors_name_the_line(run: Runner, dirs: dict[str, Path]) -> None:
    (dirs["work"] / "bad.csv").write_text("Number,Enabled\n187,yes\n188,maybe\n")
    r = run("users", "create-user", "--items", "bad.csv")
    assert r.code == 2
    assert (
        "3cx: usage error: --items file bad.csv line 3, column 'Enabled': 'maybe' is not a "
        "boolean (true/false, yes/no, 1/0)." in r.err
    )
    assert "Nothing was sent." in r.err
    assert run("users", "list-user", "--filter", "Number eq '187'").json() == []
    (dirs["work"] / "bad.csv").write_text("Number,FirstName\n189,Al,extra\n")
    r = run("users", "create-user", "--items", "bad.csv")
    assert r.code == 2
    assert "--items file bad.csv line 2: 3 cells, but the header names 2 fields." in r.err
    (dirs["work"] / "bad.csv").write_text("Number,,Number\n1,2,3\n")
    r = run("users", "create-user", "--items", "bad.csv")
    assert r.code == 2
    assert "line 1: the header row needs one unique field name per column" in r.err


def test_items_csv_failure_names_the_input_line(run: Runner, dirs: dict[str, Path]) -> None:
    (dirs["work"] / "hours.csv").write_text("Number,Hours.Type\n182,AllHours\n\n183,Bogus\n")
    r = run("users", "create-user", "--items", "hours.csv", "--concurrency", "1")
    assert r.code == 3
    assert [u["Number"] for u in r.lines()] == ["182"]
    assert "3cx: item 2 of 2 (input line 4) failed; stopping" in r.err
    assert "body.Hours.Type: 'Bogus' is not one of" in r.err
    r = run("users", "list-user", "--items", "hours.csv", "--strict")
    assert r.code == 2
    assert "--strict does not apply with --items." in r.err
