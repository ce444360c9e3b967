"""The one action search (tcxkit.catalog.search) and the hand-written descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcxkit import catalog
from tcxkit.catalog import RELEASES
from tcxkit.catalog.descriptions import describe, descriptions, is_generic
from tcxkit.catalog.search import edit_distance, index_for, search_actions, words


def _ids(query: str, **kw: object) -> list[str]:
    return [a.id for a in search_actions(query, **kw)]  # type: ignore[arg-type]


def test_peers_by_numbers_ranks_retreive_first() -> None:
    """The MCP server's canonical query: the spec's misspelt action comes first."""
    assert _ids("peers by numbers")[0] == "RetreivePeersByNumbers"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("retrieve peers", "RetreivePeersByNumbers"),  # the spec spells it "Retreive"
        ("RetreivePeersByNumbers", "RetreivePeersByNumbers"),
        ("retreive-peers-by-numbers", "RetreivePeersByNumbers"),
        ("crm templates", "GeCrmtTemplates"),  # "GeCrmt" in the spec
        ("answered unanswered queue calls", "GetQueueAnUnCallsData"),  # "AnUn"
        ("network interfaces", "ListNetworkInterface"),
        ("hang up a call", "DropCall"),  # synonym: hang up -> drop
        ("ivr first available number", "GetFirstAvailableReceptionistNumber"),
        ("recordng download", "DownloadRecording"),  # typo
        ("queu performance totals", "GetQueuePerformanceTotalsData"),  # typo
        ("first free extension number", "GetFirstAvailableExtensionNumber"),
        ("user by number", "GetUserByNumber"),
        ("3cx delete user", "DeleteUser"),
    ],
)
def test_ranked_search(query: str, first: str) -> None:
    assert _ids(query)[0] == first


def test_search_matches_parameter_names_and_descriptions() -> None:
    assert "GetCallLogData" in _ids("source filter")  # parameter sourceFilter
    assert "PushConfig" in _ids("session border controller")  # description only
    assert _ids("mac address reboot") == ["RebootPhone"]


def test_every_word_must_match_and_resource_limits() -> None:
    assert _ids("peer zebra") == []
    assert set(_ids("number", resource="peers")) == {"GetPeerByNumber", "RetreivePeersByNumbers"}
    assert _ids("peer", resource="no-such-resource") == []
    assert len(_ids("", resource="Peers")) == 4


def test_suggestions_for_nothing_found() -> None:
    index = index_for(catalog())
    assert not index.search("peer nmbrs")
    assert index.suggest("peer nmbrs")[:2] == ["peer number", "GetPeerByNumber"]
    assert index.suggest("zebra") == []


def test_queries_are_bounded() -> None:
    """A hostile query (a document, one endless word) does bounded work and still answers."""
    index = index_for(catalog())
    assert [h.action.id for h in index.search("peer " * 100_000)] == _ids("peer")
    assert index.search("x" * 100_000) == []
    assert index.suggest("zz" * 50_000) == []


def test_catalog_search_uses_the_same_ranking() -> None:
    cat = catalog()
    assert [a.id for a in cat.search("peers", "by", "numbers")] == _ids("peers by numbers")


def test_words_and_edit_distance() -> None:
    assert words("RetreivePeersByNumbers") == ["retreive", "peer", "by", "number"]
    assert words("e-mail policies") == ["e", "mail", "policy"]
    assert edit_distance("recordng", "recording") == 1
    assert edit_distance("peer", "pere") == 1  # transposition
    assert edit_distance("zebra", "number") == 3  # capped at limit + 1


def test_every_action_of_the_newest_release_has_a_real_description() -> None:
    cat = catalog()
    generic = [a.id for a in cat if is_generic(describe(a))]
    assert not generic, generic[:10]
    assert sum(1 for a in cat if is_generic(a.summary)) == 324 + 78  # what the data replaces
    assert describe(cat.require("GetCallLogData")).startswith("Report: the call log")
    assert describe(cat.require("ListUser")) == "Get entities from Users"  # the spec's own


@pytest.mark.parametrize("release", RELEASES)
def test_no_release_is_left_with_placeholders(release: str) -> None:
    generic = [a.id for a in catalog(release) if is_generic(describe(a))]
    assert not generic, generic[:10]


def test_descriptions_are_one_plain_line_for_known_actions() -> None:
    known = {a.id for r in RELEASES for a in catalog(r)}
    table = descriptions()
    assert set(table) <= known, sorted(set(table) - known)
    for op, text in table.items():
        assert text == text.strip() and "\n" not in text, op
        assert not text.endswith("."), op
        assert 10 <= len(text) <= 160, op
        assert not is_generic(text), op


def test_words_data_is_lower_case() -> None:
    data = json.loads(
        (Path(__file__).parents[2] / "src/tcxkit/catalog/words.json").read_text("utf-8")
    )
    for table in ("spelling", "synonyms"):
        assert all(k == k.lower() for k in data[table]), table
