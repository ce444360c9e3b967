"""Running actions: per-resource commands, `3cx call`, OData options, --all, outputs, files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Runner


@pytest.fixture
def peer100(run: Runner, emulator: Any) -> None:
    """Make sure Peers(Number='100') exists (a DN view on a full emulator, a row otherwise)."""
    if run("peers", "get-peer-by-number", "--number", "100").code == 7:
        emulator.state.entity_set("Peers").insert(
            {"Number": "100", "Name": "Alice Archer", "Type": "Extension"}
        )


def test_retreive_peers_with_int_numbers(run: Runner) -> None:
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", '{"DnNumbers":[1234,5678]}')
    assert r.code == 0, r.err
    assert r.json() == []
    assert "RetreivePeersByNumbers: no item matched the numbers" in r.err
    assert "(0 results)" in r.err


def test_retreive_peers_finds_existing(run: Runner, peer100: None) -> None:
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", '{"DnNumbers":[100,5678]}')
    assert r.code == 0, r.err
    assert [p["Number"] for p in r.json()] == ["100"]


def test_call_with_body_and_param(run: Runner, peer100: None) -> None:
    r = run("call", "RetreivePeersByNumbers", "--body", '{"peersRequest":{"DnNumbers":[100]}}')
    assert r.code == 0, r.err
    assert [p["Number"] for p in r.json()] == ["100"]
    r = run("call", "GetPeerByNumber", "--param", "Number=100")
    assert r.code == 0, r.err
    assert r.json()["Number"] == "100"
    # snake and kebab action names work too
    r = run("call", "get-peer-by-number", "--param", "number=100", "--select", "Number")
    assert r.code == 0, r.err
    assert r.json()["Number"] == "100"


def test_json_option_from_file_and_stdin(run: Runner, dirs: dict[str, Path], peer100: None) -> None:
    (dirs["work"] / "req.json").write_text('{"DnNumbers": ["100"]}')
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", "@req.json")
    assert r.code == 0, r.err
    assert r.json()[0]["Number"] == "100"
    r = run(
        "peers", "retreive-peers-by-numbers", "--peers-request", "-", input='{"DnNumbers":[100]}'
    )
    assert r.code == 0, r.err
    assert r.json()[0]["Number"] == "100"


def test_odata_options(run: Runner) -> None:
    r = run("users", "list-user", "--select", "Number,FirstName", "--filter", "Number eq '101'")
    assert r.code == 0, r.err
    assert r.json() == [{"Number": "101", "FirstName": "Bob"}]
    r = run("users", "list-user", "--orderby", "Number desc", "--top", "2", "--select", "Number")
    numbers = [u["Number"] for u in r.json()]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) == 2
    r = run("users", "list-user", "--count", "--top", "1", "--skip", "1", "--select", "Number")
    body = r.json()
    assert body["@odata.count"] >= 4 and len(body["value"]) == 1


def test_all_pages_through_everything(run: Runner) -> None:
    everything = run("users", "list-user", "--select", "Id").json()
    r = run("users", "list-user", "--all", "--page-size", "2", "--select", "Id", "-o", "jsonl")
    assert r.code == 0, r.err
    assert [x["Id"] for x in r.lines()] == [x["Id"] for x in everything]
    assert "fetched" not in r.err  # progress only on a terminal


def test_all_on_unpageable_action(run: Runner) -> None:
    r = run("call", "GetPeerByNumber", "--param", "Number=100", "--all")
    assert r.code == 2
    assert "GetPeerByNumber cannot be paged" in r.err


def test_outputs(run: Runner, peer100: None) -> None:
    args = ("users", "list-user", "--filter", "Number eq '100'")
    rows = run(*args, "-o", "jsonl").lines()
    assert rows[0]["FirstName"] == "Alice"
    table = run(*args, "-o", "table").out.splitlines()
    assert table[0].split()[:3] == ["Id", "Number", "FirstName"]
    assert "Alice" in table[1]
    parsed = list(csv.DictReader(io.StringIO(run(*args, "-o", "csv").out)))
    assert parsed[0]["Number"] == "100" and parsed[0]["FirstName"] == "Alice"
    compact = run(*args).out
    assert compact.startswith('[{"Id":') and compact.endswith("}]\n")  # compact in a pipe
    raw = run("call", "GetPeerByNumber", "--param", "Number=100", "-o", "raw")
    assert raw.code == 0 and raw.out.startswith("{") and "\n" not in raw.out.rstrip("\n")


def test_table_has_few_columns_identifying_first(run: Runner) -> None:
    body = {
        "Number": "172",
        "FirstName": "Wide",
        "LastName": "Row",
        "EmailAddress": "w@example.com",
        "Mobile": "+15550001",
        "OutboundCallerID": "123",
        "Language": "EN",
        "PromptSet": "x",
        "RecordCalls": True,
        "CallScreening": False,
        "HideInPhonebook": True,
        "Internal": False,
        "Hours": {"Type": "OfficeHours"},
    }
    assert run("users", "create-user", "--body", json.dumps(body)).code == 0
    r = run("users", "list-user", "--filter", "Number eq '172'", "-o", "table")
    header = r.out.splitlines()[0].split()
    assert header[:3] == ["Id", "Number", "FirstName"] and len(header) <= 8
    text = run("users", "list-user", "--filter", "Number eq '172'", "-o", "csv").out
    row = next(csv.DictReader(io.StringIO(text)))
    assert len(row) > 8  # csv keeps every column
    assert json.loads(row["Hours"]) == {"Type": "OfficeHours"}  # nested values as JSON


def test_table_columns_are_limited(run: Runner) -> None:
    r = run("call", "GetSystemStatus", "-o", "table")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0].split() == ["Field", "Value"]


def test_primitive_and_no_content(run: Runner) -> None:
    r = run("defs", "has-system-owner")
    assert r.code == 0, r.err
    assert isinstance(r.json()["value"], bool)
    assert run("defs", "has-system-owner", "-o", "raw").out.strip() in ("true", "false")


def test_create_update_delete(run: Runner) -> None:
    r = run("users", "create-user", "--body", '{"Number":"170","FirstName":"Eve","LastName":"E"}')
    assert r.code == 0, r.err
    uid = r.json()["Id"]
    r = run("users", "update-user", "--id", str(uid), "--body", '{"FirstName":"Eva"}')
    assert r.code == 0, r.err
    assert r.out == "" and "UpdateUser: done (no content)" in r.err
    r = run("users", "get-user", "--id", str(uid), "--select", "FirstName")
    assert r.json()["FirstName"] == "Eva"
    assert run("users", "delete-user", "--id", str(uid), "--yes").code == 0
    assert run("users", "get-user", "--id", str(uid)).code == 7


def test_secrets_are_masked(run: Runner) -> None:
    body = {"Number": "171", "FirstName": "Sec", "AuthPassword": "hunter2pass", "VMPIN": "4321"}
    r = run("users", "create-user", "--body", json.dumps(body))
    assert r.code == 0, r.err
    assert "hunter2pass" not in r.out and "4321" not in r.out
    assert r.json()["AuthPassword"] == "********"
    args = ("users", "list-user", "--filter", "Number eq '171'")
    for fmt in ("json", "jsonl", "csv", "table"):
        out = run(*args, "-o", fmt).out
        assert "hunter2pass" not in out and "4321" not in out, fmt
    shown = run(*args, "--show-secrets").json()[0]
    assert shown["AuthPassword"] == "hunter2pass" and shown["VMPIN"] == "4321"


def test_file_result_to_server_name_and_out(run: Runner, dirs: dict[str, Path]) -> None:
    r = run("users", "export-extensions")
    assert r.code == 0, r.err
    info = r.json()
    path = dirs["work"] / info["path"]
    assert path.exists() and path.stat().st_size == info["bytes"] > 0
    assert "wrote" in r.err
    r = run("recordings", "download-recording", "--rec-id", "1", "--out", "rec.wav")
    assert r.code == 0, r.err
    assert (dirs["work"] / "rec.wav").read_bytes()[:4] == b"RIFF"
    code, data = run.binary("recordings", "download-recording", "--rec-id", "1", "--out", "-")
    assert code == 0
    assert data.startswith(b"RIFF")
