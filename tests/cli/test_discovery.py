"""`3cx actions` listings and pages."""

from __future__ import annotations

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
    assert {line.split()[1] for line in r.out.splitlines()} == {
        "get-peer-by-number",
        "retreive-peers-by-numbers",
    }
    r = bare("actions", "call", "log", "data")
    assert "report-call-log-data get-call-log-data" in r.out


def test_actions_no_match(bare: Runner) -> None:
    r = bare("actions", "zebra")
    assert r.code == 7 and r.out == ""
    assert "3cx: no match: No action matches 'zebra' (XAPI 20.0.10)." in r.err
    assert "Try fewer or other words; `3cx actions` lists every action." in r.err


def test_actions_no_match_suggests(bare: Runner) -> None:
    r = bare("actions", "peer", "nmbrs")
    assert r.code == 7 and r.out == ""
    assert "Did you mean: 3cx actions peer number, 3cx peers get-peer-by-number" in r.err
    r = bare("actions", "--resource", "users", "zebra")
    assert r.code == 7
    assert "No action matches 'zebra' in Users" in r.err


def test_actions_search_maps_spec_spelling_and_typos(bare: Runner) -> None:
    r = bare("actions", "retrieve", "peers")
    assert r.code == 0
    assert r.out.splitlines()[0].startswith("peers retreive-peers-by-numbers  Look up several")
    r = bare("actions", "peers", "by", "numbers")
    assert r.out.splitlines()[0].split()[:2] == ["peers", "retreive-peers-by-numbers"]
    r = bare("actions", "recordng", "download")
    assert r.out.splitlines()[0].split()[:2] == ["recordings", "download-recording"]


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
    assert "No action named 'RetrievePeers'" in r.err and "Did you mean" in r.err


def test_actions_show_usage(bare: Runner) -> None:
    r = bare("actions", "show")
    assert r.code == 2
    assert "`3cx actions show` takes one ACTION (got none)" in r.err


def test_actions_for_another_release(bare: Runner) -> None:
    r = bare("--release", "20.0.4", "actions", "--resource", "users")
    assert r.code == 0
    assert len(r.out.splitlines()) == len(catalog("20.0.4").by_resource("Users"))
