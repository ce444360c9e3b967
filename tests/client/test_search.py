"""The one action search (tcxkit.catalog.search) and the hand-written descriptions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tcxkit import catalog
from tcxkit.catalog import RELEASES
from tcxkit.catalog.descriptions import describe, descriptions, is_generic
from tcxkit.catalog.search import edit_distance, index_for, search_actions, stem, words


def _ids(query: str, **kw: object) -> list[str]:
    cat = kw.pop("release", None)
    cat = cat if cat is not None and not isinstance(cat, str) else catalog(cat or "latest")
    return [a.id for a in search_actions(query, cat, **kw)]  # type: ignore[arg-type]


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
    assert _ids("mac address reboot")[0] == "RebootPhone"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        # the requests, as people type them
        ("current calls", "ListActiveCall"),
        ("calls in progress", "ListActiveCall"),
        ("add user to queue", "UpdateQueue"),
        ("disable extension", "UpdateUser"),
        ("change voicemail pin", "UpdateUser"),
        ("users", "ListUser"),
        ("Which extensions are members of the Sales queue?", "ListAgents"),
        ("Block calls from +441632960999", "CreateBlackListNumber"),
        ("Make a backup now", "Backup"),
        ("Set office hours 08-18 Mon-Fri", "UpdateOfficeHours"),
        ("Which IPs does anti-hacking block?", "ListBlocklistAddr"),
        ("vueue", "GetQueue"),  # a typo in the first letter too
        ("who called 101 yesterday", "ListCallHistoryView"),
        ("set up a new SIP trunk", "CreateTrunk"),
    ],
)
def test_requests_in_admin_words(query: str, first: str) -> None:
    assert _ids(query)[0] == first


def test_ranked_not_all_or_nothing_and_resource_limits() -> None:
    """A word that matches nothing costs rank, not the answer; nothing at all is empty."""
    assert _ids("peer zebra")[0] == "ListPeer"
    assert _ids("zebra") == []
    assert set(_ids("number", resource="peers")) == {
        "GetPeerByNumber",
        "RetreivePeersByNumbers",
        "ListPeer",
        "GetReportPeers",
    }
    assert _ids("number", resource="peers")[:2] == ["GetPeerByNumber", "RetreivePeersByNumbers"]
    assert _ids("peer", resource="no-such-resource") == []
    assert len(_ids("", resource="Peers")) == 4
    assert len(_ids("call", limit=3)) == 3


def test_hits_say_why() -> None:
    hits = index_for(catalog()).search("calls in progress", limit=3)
    assert hits[0].action.id == "ListActiveCall"
    assert hits[0].why == ('"calls in progress" (id)', "calls (id)")
    hits = index_for(catalog()).search("voicemal settings", limit=1)
    assert hits[0].why[0] == "voicemal ~ voicemail (typo, id)"
    hits = index_for(catalog()).search("ivr", limit=1)
    assert hits[0].why == ("ivr (id)",)  # receptionist is indexed as ivr too (spelling)


@pytest.mark.parametrize(
    ("query", "literal", "kind", "hint"),
    [
        (
            "Which extensions are members of the Sales queue?",
            "Sales",
            "name",
            "`Sales` looks like a queue name: `ListQueue` with `$filter=Name eq 'Sales'`",
        ),
        (
            "Who is in the Support department?",
            "Support",
            "name",
            "`Support` looks like a group name: `ListGroup` with `$filter=Name eq 'Support'`",
        ),
        (
            "Block calls from +441632960999",
            "+441632960999",
            "phone",
            "`+441632960999` looks like a phone number: `CreateBlackListNumber` with body field "
            "`CallerId`",
        ),
        (
            "Block the IP address 203.0.113.7",
            "203.0.113.7",
            "ip",
            "`203.0.113.7` looks like an IP address: `CreateBlocklistAddr` with body field "
            "`IPAddrMask`",
        ),
        (
            "Find user 101",
            "101",
            "number",
            "`101` looks like an extension or other DN number: `GetUserByNumber` with Number=101",
        ),
        (
            "Show the call log of yesterday",
            "yesterday",
            "date",
            "`yesterday` looks like a date or period: `GetCallLogData` with periodFrom and "
            "periodTo (in the PBX's time zone)",
        ),
        (
            "members of the Sales ring group",
            "Sales",
            "name",
            "`Sales` looks like a ring group name: `ListRingGroup` with `$filter=Name eq 'Sales'`",
        ),
        (
            "who is in ring group 700",
            "700",
            "number",
            "`700` looks like an extension or other DN number: `GetRingGroupByNumber` with "
            "Number=700",
        ),
        ('Delete contact "Acme Ltd"', "Acme Ltd", "name", None),
        ("Set office hours 08-18 Mon-Fri", "08-18", "time", None),
        ("Set office hours 08-18 Mon-Fri", "Mon-Fri", "date", None),
        ("Add Christmas Day as a holiday", "Christmas Day", "name", None),
        ("Only allow the admin console from 10.0.0.0/8", "10.0.0.0/8", "ip", None),
        ("mail jane@example.com", "jane@example.com", "email", None),
    ],
)
def test_values_are_reported_as_likely_arguments(
    query: str, literal: str, kind: str, hint: str | None
) -> None:
    answer = index_for(catalog()).query(query, limit=1)  # placed by the best five all the same
    found = {lit.text: lit for lit in answer.literals}
    assert literal in found, answer.literals
    assert found[literal].kind == kind
    if hint is not None:
        assert found[literal].hint == hint
    assert found[literal].hint.startswith(f"`{literal}` looks like")


def test_values_do_not_count_as_words() -> None:
    """Numbers, names and dates never decide which action comes first."""
    assert index_for(catalog()).query("set up a new SIP trunk").literals == []  # an acronym
    assert _ids("Delete extension 104")[0] == _ids("Delete extension")[0] == "DeleteUser"
    assert _ids('Delete contact "Acme Ltd"')[:3] == _ids("Delete contact")[:3]
    # a date is the one value that says something: a report of a period is likelier
    assert _ids("call log of yesterday")[0] == "GetCallLogData"


def test_suggestions_for_nothing_found() -> None:
    index = index_for(catalog())
    assert index.suggest("zebra") == []
    assert index.suggest("xyzzy frobnicate") == []


def test_queries_are_bounded() -> None:
    """A hostile query (a document, one endless word) does bounded work and still answers."""
    index = index_for(catalog())
    assert [h.action.id for h in index.search("peer " * 100_000)] == _ids("peer")
    assert index.search("x" * 100_000) == []
    assert index.suggest("zz" * 50_000) == []
    assert len(index.query("Sales " * 10_000).literals) <= 8


def test_catalog_search_uses_the_same_ranking() -> None:
    cat = catalog()
    assert [a.id for a in cat.search("peers", "by", "numbers")] == _ids("peers by numbers")


def test_words_stems_and_edit_distance() -> None:
    assert words("RetreivePeersByNumbers") == ["retreiv", "peer", "by", "number"]
    assert words("e-mail policies") == ["e", "mail", "policy"]
    assert [stem(w) for w in ("recordings", "recording", "record")] == ["record"] * 3
    assert [stem(w) for w in ("blocked", "block", "addresses", "address")] == [
        "block",
        "block",
        "address",
        "address",
    ]
    assert stem("ips") == "ips" and stem("2024") == "2024"
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


def test_words_data_is_lower_case_and_every_entry_can_match() -> None:
    """The vocabulary is reviewed data: no entry may point at a word no action has."""
    data = json.loads(
        (Path(__file__).parents[2] / "src/tcxkit/catalog/search/words.json").read_text("utf-8")
    )
    for table in ("spelling", "synonyms", "phrases", "intents"):
        assert all(k == k.lower() for k in data[table]), table
    index = index_for(catalog())
    vocab = index._vocab
    dead = [(k, t) for k, ts in vocab.synonyms.items() for t in ts if t not in index._idf]
    dead += [(p, m) for p, ms in vocab.phrases for m in ms if m not in index._idf]
    assert not dead
    assert set(data["topics"]) <= set(catalog().resources())


def test_an_index_goes_with_its_catalog() -> None:
    """Per-word caches live in the index, so a dropped catalog frees its index too."""
    import gc
    import weakref

    from tcxkit.catalog import Catalog

    base = catalog()
    cat = Catalog(base.release, base._records, base.counts)
    index = index_for(cat)
    assert index_for(cat) is index  # built once
    index.query("voicemal pin of users")
    ref = weakref.ref(index)
    del index, cat
    gc.collect()
    assert ref() is None
