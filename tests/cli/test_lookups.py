"""Lookups by number name the numbers that matched nothing (issue #10, item 4)."""

from __future__ import annotations

from typing import Any

from .conftest import Runner

PEERS = '{"DnNumbers": [100, 99999]}'


def test_peers_by_numbers_names_the_missing_one(run: Runner) -> None:
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", PEERS)
    assert r.code == 0
    assert [p["Number"] for p in r.json()] == ["100"]
    assert r.err == "3cx: not found: 99999\n"


def test_strict_makes_a_missing_number_exit_7(run: Runner) -> None:
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", PEERS, "--strict")
    assert r.code == 7
    assert [p["Number"] for p in r.json()] == ["100"]  # what was found is still printed
    assert r.err == "3cx: not found: 99999\n"
    r = run(
        "call", "RetreivePeersByNumbers", "--body", '{"peersRequest": ' + PEERS + "}", "--strict"
    )
    assert (r.code, r.err) == (7, "3cx: not found: 99999\n")


def test_all_found_is_silent(run: Runner) -> None:
    r = run(
        "peers", "retreive-peers-by-numbers", "--peers-request", '{"DnNumbers": ["100"]}',
        "--strict",
    )  # fmt: skip
    assert (r.code, r.err) == (0, "")


def test_users_by_number_filter(run: Runner) -> None:
    r = run(
        "users", "list-user", "--filter", "Number in ('100','99998') or Number eq '99997'",
        "--select", "Number", "--strict",
    )  # fmt: skip
    assert r.code == 7
    assert r.json() == [{"Number": "100"}]
    assert r.err == "3cx: not found: 99998, 99997\n"
    r = run("users", "list-user", "--filter", "Number eq '100'", "--select", "FirstName")
    assert (r.code, r.err) == (0, "")  # other fields asked for on purpose: no noise
    r = run(
        "users", "list-user", "--filter", "Number eq '100'", "--select", "FirstName", "--strict"
    )
    assert r.code == 0
    assert "cannot tell which numbers matched" in r.err and "add Number to --select" in r.err


def test_strict_without_a_number_lookup_is_refused(run: Runner) -> None:
    r = run("users", "list-user", "--filter", "FirstName eq 'Alice'", "--strict")
    assert r.code == 2
    assert "3cx: usage error: --strict only applies to lookups by number." in r.err
    assert r.out == ""


def test_action_parameter_named_strict_keeps_its_flag(run: Runner, emulator: object) -> None:
    r = run("voicemail-settings", "get-converter-request-status", "--strict", "true", "--dry-run")
    assert r.code == 0, r.err
    assert r.json()["url"].endswith("/Pbx.GetConverterRequestStatus(strict=true)")


def _new_user(run: Runner, number: str) -> int:
    r = run("users", "create", "--body", f'{{"Number": "{number}", "FirstName": "ByNumber"}}')
    assert r.code == 0, r.err
    return int(r.json()["Id"])


def test_delete_by_number_deletes_that_user_only(run: Runner, emulator: Any) -> None:
    uid = _new_user(run, "7185")
    other = _new_user(run, "7186")
    emulator.clear_requests()
    r = run("users", "delete", "7185", "--yes")
    assert (r.code, r.out) == (0, ""), r.err
    calls = [(q["method"], q["path"]) for q in emulator.requests if q["path"].startswith("/xapi")]
    assert calls == [("GET", "/xapi/v1/Users(Number='7185')"), ("DELETE", f"/xapi/v1/Users({uid})")]
    assert run("users", "get", "--id", str(uid)).code == 7
    assert run("users", "get", "--id", str(other), "--select", "Id").code == 0
    assert run("users", "delete", "--id", str(other), "--yes").code == 0


def test_delete_by_number_dry_run_shows_the_lookup_and_the_request(
    run: Runner, emulator: Any
) -> None:
    uid = _new_user(run, "7187")
    emulator.clear_requests()
    r = run("users", "delete", "7187", "--dry-run")
    assert r.code == 0, r.err
    assert r.json() == {"method": "DELETE", "url": f"{emulator.url}/xapi/v1/Users({uid})"}
    assert r.err == (
        f"3cx: looked up: GET {emulator.url}/xapi/v1/Users(Number='7187')?$select=Id -> Id {uid}\n"
        "3cx: dry run: 1 request shown, nothing was sent.\n"
    )
    assert [q["method"] for q in emulator.requests if q["path"].startswith("/xapi")] == ["GET"]
    assert run("users", "delete", "7187", "--yes").code == 0


def test_other_dn_kinds_take_the_number(run: Runner, emulator: Any) -> None:
    queue = run("queues", "list", "--select", "Id,Number", "--top", "1").json()[0]
    r = run("queues", "delete", queue["Number"], "--dry-run")
    assert r.code == 0, r.err
    assert r.json()["url"] == f"{emulator.url}/xapi/v1/Queues({queue['Id']})"
    r = run("ring-groups", "get", "--help")
    assert "[NUMBER]" in r.out and "GetRingGroupByNumber" in r.out


def test_unknown_number_exits_7_and_sends_no_write(run: Runner, emulator: Any) -> None:
    emulator.clear_requests()
    r = run("users", "delete", "99991", "--yes")
    assert r.code == 7
    assert "No user has the number '99991'." in r.err
    assert "3cx users list --select Id,Number" in r.err
    assert r.out == ""
    assert "DELETE" not in [q["method"] for q in emulator.requests]
    r = run("users", "delete", "100", "--id", "7", "--dry-run")
    assert r.code == 2
    assert "Both a number (100) and --id were given." in r.err


def test_a_number_is_for_one_call_on_one_pbx(run: Runner, emulator: Any) -> None:
    emulator.clear_requests()
    delete = ("users", "delete", "100", "--dry-run")
    for args in (("--fleet", "all", *delete), (*delete, "--items", "-")):
        r = run(*args, input="Id\n6\n")
        assert r.code == 2, r.err
        assert "3cx: usage error: A NUMBER argument only applies to one PBX and one call." in r.err
        assert "Drop --items/--fleet" in r.err
    assert emulator.requests == []
