"""Lookups by number name the numbers that matched nothing (issue #10, item 4)."""

from __future__ import annotations

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
