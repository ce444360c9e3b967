"""`3cx actions` listings and pages."""

from __future__ import annotations

import pytest

from tcxkit import catalog
from tcxkit.catalog.render import render_text

from .conftest import Runner


def test_actions_lists_everything(bare: Runner) -> None:
    r = bare("actions")
    assert r.code == 0
    lines = r.out.splitlines()
    assert len(lines) == len(catalog())
    assert any(
        line.startswith("peers retreive-peers-by-numbers ") and "Look up several peers" in line
        for line in lines
    )


def test_actions_by_resource_and_words(bare: Runner) -> None:
    r = bare("actions", "--resource", "peers")
    assert r.code == 0
    assert len(r.out.splitlines()) == 4
    r = bare("actions", "--resource", "Peers", "number")
    assert [line.split()[1] for line in r.out.splitlines()][:2] == [
        "get-peer-by-number",
        "retreive-peers-by-numbers",
    ]
    r = bare("actions", "call", "log", "data")
    assert r.out.splitlines()[0].startswith("report-call-log-data get-call-log-data")


def test_actions_no_match(bare: Runner) -> None:
    r = bare("actions", "zebra")
    assert r.code == 7 and r.out == ""
    assert "3cx: no match: No action matches 'zebra' (XAPI 20.0.10)." in r.err
    assert "Try fewer or other words; `3cx actions` lists every action." in r.err
    r = bare("actions", "--resource", "users", "zebra")
    assert r.code == 7
    assert "No action matches 'zebra' in Users" in r.err


def test_actions_search_ranks_rather_than_filters(bare: Runner) -> None:
    """A word that matches nothing ("zebra") or a typo costs rank, not the answer."""
    r = bare("actions", "peer", "nmbrs", "zebra")
    assert r.code == 0
    assert r.out.splitlines()[0].split()[:2] == ["peers", "list-peer"]
    r = bare("actions", "search", "vueue")  # a typo in the first letter
    assert r.out.splitlines()[0].split()[:2] == ["queues", "get-queue"]


def test_actions_search_maps_spec_spelling_and_typos(bare: Runner) -> None:
    r = bare("actions", "retrieve", "peers")
    assert r.code == 0
    assert r.out.splitlines()[0].startswith("peers retreive-peers-by-numbers  ")
    assert "Look up several" in r.out.splitlines()[0]
    r = bare("actions", "peers", "by", "numbers")
    assert r.out.splitlines()[0].split()[:2] == ["peers", "retreive-peers-by-numbers"]
    r = bare("actions", "recordng", "download")
    assert r.out.splitlines()[0].split()[:2] == ["recordings", "download-recording"]


@pytest.mark.parametrize(
    ("words", "first"),
    [
        (("search", "peers", "by", "number"), "peers get-peer-by-number"),  # not the word "search"
        (("search", "current", "calls"), "active-calls list-active-call"),
        (("search", "calls", "in", "progress"), "active-calls list-active-call"),
        (("search", "add", "user", "to", "queue"), "queues update-queue"),
        (("search", "disable", "extension"), "users update-user"),
        (("search", "change", "voicemail", "pin"), "users update-user"),
        (("find", "users"), "users list-user"),  # not a Microsoft 365 action
        (("users",), "users list-user"),
    ],
)
def test_actions_search_verb_and_admin_words(
    bare: Runner, words: tuple[str, ...], first: str
) -> None:
    r = bare("actions", *words)
    assert r.code == 0, r.err
    assert " ".join(r.out.splitlines()[0].split()[:2]) == first


def test_actions_search_limit_why_and_values(bare: Runner) -> None:
    r = bare("actions", "search", "-n", "2", "--why", "Which extensions are in the Sales queue?")
    assert r.code == 0
    lines = r.out.splitlines()
    assert len(lines) == 4 and lines[1].strip().startswith("matched: ")
    assert (
        "note: `Sales` looks like a queue name: `ListQueue` with `$filter=Name eq 'Sales'`" in r.err
    )
    assert len(bare("actions", "search", "call").out.splitlines()) == 10  # the default limit
    assert len(bare("actions", "search", "-n", "0", "call").out.splitlines()) > 100


def test_actions_unknown_resource(bare: Runner) -> None:
    r = bare("actions", "--resource", "peer")
    assert r.code == 2
    assert "No resource 'peer'" in r.err and "peers" in r.err


def test_actions_show_page(bare: Runner) -> None:
    r = bare("actions", "show", "RetreivePeersByNumbers")
    assert r.code == 0
    assert r.out == render_text(catalog().require("RetreivePeersByNumbers"), catalog())
    assert "POST /xapi/v1/Peers/Pbx.RetreivePeersByNumbers" in r.out
    assert "--peers-request" in r.out and '"DnNumbers"' in r.out
    assert "Errors to expect" in r.out
    r = bare("actions", "show", "get-call-log-data")
    assert "--period-from" in r.out and "date-time" in r.out and "required" in r.out
    assert '"string"' not in r.out
    r = bare("actions", "show", "--markdown", "ListUser")
    assert r.out.startswith("# ListUser\n")


def test_actions_show_unknown(bare: Runner) -> None:
    r = bare("actions", "show", "RetrievePeers")
    assert r.code == 2
    assert "No action named 'RetrievePeers'" in r.err
    assert "Did you mean: RetreivePeersByNumbers" in r.err


def test_actions_show_resource_and_short_verb(bare: Runner) -> None:
    """`3cx actions show users list` resolves like `3cx users list`."""
    for args in (("users", "list"), ("users", "list-user"), ("Users", "ListUser")):
        r = bare("actions", "show", *args)
        assert r.code == 0, r.err
        assert r.out == render_text(catalog().require("ListUser"), catalog())
    r = bare("actions", "show", "users", "update")  # not EmergencyGeoLocations' `Update`
    assert r.out.startswith("UpdateUser ")
    r = bare("actions", "show", "users", "disable")
    assert r.code == 2
    assert "No action named 'users disable' in XAPI 20.0.10." in r.err
    assert "Did you mean: UpdateUser" in r.err


def test_unknown_resource_command_suggests_with_the_search(bare: Runner) -> None:
    r = bare("users", "disable")
    assert r.code == 2
    assert "No action 'disable' in users. Did you mean: update-user" in r.err


def test_actions_show_usage(bare: Runner) -> None:
    r = bare("actions", "show")
    assert r.code == 2
    assert "`3cx actions show` takes one ACTION (got none)" in r.err
    r = bare("actions", "show", "a", "b", "c")
    assert r.code == 2
    assert "`3cx actions show` takes one ACTION (got 3: a b c)" in r.err


def test_actions_for_another_release(bare: Runner) -> None:
    r = bare("--release", "20.0.4", "actions", "--resource", "users")
    assert r.code == 0
    assert len(r.out.splitlines()) == len(catalog("20.0.4").by_resource("Users"))
