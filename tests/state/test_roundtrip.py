"""Pull, apply to an empty PBX, plan again: nothing left to change, for every kind."""

from __future__ import annotations

import re
from typing import Any

from tcxkit.state import MANAGED_TYPES, apply, dump_document, plan, pull

from .conftest import on, sync_client


def test_round_trip_every_kind_then_apply_twice_changes_nothing(source: Any, target: Any) -> None:
    doc = on(source, pull)
    for kind in MANAGED_TYPES:  # the round trip below covers a kind only if the PBX has some
        assert doc[kind.name], f"the source PBX has no {kind.name}"
    assert doc["groups"]["Sales"]["Rights"][0]["AllowParking"] is True
    assert doc["users"]["100"]["ForwardingProfiles"][0]["NoAnswerTimeout"] == 25
    assert doc["ivrs"]["900"]["Forwards"] == [
        {"Input": "1", "ForwardType": "Queue", "ForwardDN": "800"}
    ]
    assert doc["inbound_rules"]["Main DID"]["TrunkDN"] == "10000"
    assert doc["outbound_rules"]["UK national"]["Routes"][0]["Trunk"] == "10001"
    first = on(target, lambda c: plan(c, doc))
    assert first.counts()["create"] > 90 and first.counts()["delete"] == 0
    report = on(target, lambda c: apply(c, first))
    assert report.ok, report.to_dict()
    assert len(report.applied) == len(first.changes)

    again = on(target, lambda c: plan(c, doc))
    assert again.changes == [], [c.to_dict() for c in again.changes]
    assert on(target, lambda c: apply(c, again)).applied == []
    # Pulled back from the copy, the document is the same, kind by kind.
    copy = on(target, pull)
    for kind in MANAGED_TYPES:
        assert copy[kind.name] == doc[kind.name], kind.name


def test_pulled_file_has_no_secret(source: Any) -> None:
    with sync_client(source) as pbx:
        users = pbx.call("ListUser")["value"]  # without $select: passwords and PINs
        licence = pbx.call("GetSystemStatus")["LicenseKey"]
    text = dump_document(on(source, pull))
    assert users and all(u["AuthPassword"] and u["VMPIN"] for u in users)
    for user in users:
        assert user["AuthPassword"] not in text
        # PINs are 4 digits (phone numbers contain such runs): never a field's whole value
        assert not re.search(rf":\s*'?{user['VMPIN']}'?\s*$", text, re.MULTILINE)
    assert licence not in text
    assert not re.search(r"(?i)(password|pin|secret|apikey)\s*:", text)


def test_only_pulls_the_named_kinds_in_dependency_order(source: Any) -> None:
    doc = on(source, lambda c: pull(c, "contacts,users"))
    assert list(doc) == ["users", "contacts"]
    assert list(doc["users"])[:3] == ["100", "101", "102"]
    assert "Id" not in doc["users"]["100"] and "IsRegistered" not in doc["users"]["100"]
    assert doc["users"]["100"]["Groups"] == [
        {"Group": "DEFAULT", "Rights": {"RoleName": "system_owners"}}
    ]


def test_many_pbxs_on_one_event_loop(source: Any, target: Any) -> None:
    """The engine keeps no global state: a fleet runner plans PBXs concurrently."""
    import asyncio

    from tcxkit import AsyncClient

    doc = {"users": {"100": {"FirstName": "Alice"}}}

    async def both() -> list[Any]:
        clients = [
            AsyncClient(e.url, e.client_id, e.client_secret, token_cache=False)
            for e in (source, target)
        ]
        try:
            return await asyncio.gather(*(plan(c, doc) for c in clients))
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))

    on_source, on_target = asyncio.run(both())
    assert on_source.changes == []
    assert [(c.op, c.key) for c in on_target.changes] == [("create", "100")]
