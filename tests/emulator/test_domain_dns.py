"""DN numbering, Peers, group membership, Init* templates and batch deletes, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running

from .conftest import Connect

ALREADY = "WARNINGS.XAPI.ALREADY_IN_USE"
FORBIDDEN = "WARNINGS.XAPI.FORBIDDEN_CHANGE"


@pytest.fixture
def api(request: pytest.FixtureRequest, connect: Connect) -> Iterator[httpx.Client]:
    """A fresh demo PBX per test (start-up is ~0.3 s), so tests never see each other."""
    data = getattr(request, "param", "demo")
    with (
        running(EmulatorConfig(data=data, options={"backup_delay": 0})) as emu,
        connect(emu) as client,
    ):
        yield client


def _error(response: httpx.Response) -> tuple[str, str]:
    detail = response.json()["error"]["details"][0]
    return detail["target"], detail["message"]


def _peer(api: httpx.Client, number: str) -> dict[str, Any]:
    r = api.get(f"/Peers(Number='{number}')", params={"$expand": "MemberOf"})
    assert r.status_code == 200, r.text
    return r.json()


# -- numbering -----------------------------------------------------------------------------


def test_first_available_numbers_on_demo_data(api: httpx.Client) -> None:
    expected = {
        "Users/Pbx.GetFirstAvailableExtensionNumber()": "125",
        "Queues/Pbx.GetFirstAvailableQueueNumber()": "803",
        "RingGroups/Pbx.GetFirstAvailableRingGroupNumber()": "852",
        "Receptionists/Pbx.GetFirstAvailableReceptionistNumber()": "902",
        "Trunks/Pbx.GetFirstAvailableTrunkNumber()": "10002",
        "Users/Pbx.GetFirstAvailableHotdeskingNumber()": "980",
    }
    for path, number in expected.items():
        r = api.get(path)
        assert r.status_code == 200, path
        assert r.json() == {"Number": number}, path


def test_create_without_number_takes_first_available(api: httpx.Client) -> None:
    first = api.get("Users/Pbx.GetFirstAvailableExtensionNumber()").json()["Number"]
    r = api.post("/Users", json={"FirstName": "New", "LastName": "Person", "Groups": []})
    assert r.status_code == 201
    assert r.json()["Number"] == first == "125"
    assert api.get("Users/Pbx.GetFirstAvailableExtensionNumber()").json() == {"Number": "126"}
    q = api.post("/Queues", json={"Name": "Escalations"})
    assert q.status_code == 201 and q.json()["Number"] == "803"


def test_explicit_number_is_honoured_and_skipped_later(api: httpx.Client) -> None:
    r = api.post("/Users", json={"Number": "125", "FirstName": "Ex", "Groups": []})
    assert r.status_code == 201 and r.json()["Number"] == "125"
    r = api.post("/Users", json={"Number": "4321", "FirstName": "Out", "Groups": []})
    assert r.status_code == 201 and r.json()["Number"] == "4321"
    assert api.get("Users/Pbx.GetFirstAvailableExtensionNumber()").json() == {"Number": "126"}


def test_duplicate_number_across_dn_kinds_is_rejected(api: httpx.Client) -> None:
    # 800 is the Sales Queue: a user may not take it, nor may another queue.
    for path, body in (
        ("/Users", {"Number": "800", "FirstName": "X"}),
        ("/Queues", {"Number": "800"}),
    ):
        r = api.post(path, json=body)
        assert r.status_code == 400
        assert _error(r) == ("Number", ALREADY)
        assert r.json()["error"]["message"].startswith(f"Number:\n{ALREADY}")
    r = api.post("/Users", json={"Number": "100", "FirstName": "Dup"})
    assert r.status_code == 400 and _error(r) == ("Number", ALREADY)


def test_number_never_changes(api: httpx.Client) -> None:
    user = api.get("/Users(Number='103')").json()
    same = api.patch(f"/Users({user['Id']})", json={"Number": "103", "LastName": "Renamed"})
    assert same.status_code == 204 and same.content == b""
    assert api.get(f"/Users({user['Id']})").json()["LastName"] == "Renamed"
    other = api.patch(f"/Users({user['Id']})", json={"Number": "199"})
    assert other.status_code == 400
    assert _error(other) == ("Number", FORBIDDEN)
    assert "cannot change" in other.json()["error"]["message"]
    assert api.get(f"/Users({user['Id']})").json()["Number"] == "103"


def test_duplicate_email_is_rejected(api: httpx.Client) -> None:
    r = api.post("/Users", json={"FirstName": "Z", "EmailAddress": "alice.archer@acme.example"})
    assert r.status_code == 400
    assert _error(r) == ("EmailAddress", ALREADY)


# -- peers -----------------------------------------------------------------------------------


def test_peers_follow_every_dn_write(api: httpx.Client) -> None:
    created = api.post("/RingGroups", json={"Name": "Night Shift", "Members": [{"Number": "104"}]})
    assert created.status_code == 201
    rg = created.json()
    assert rg["Members"] == [
        {"Id": rg["Members"][0]["Id"], "Number": "104", "Name": "Emma Evans", "Tags": []}
    ]
    peer = _peer(api, "852")
    assert peer["Id"] == rg["Id"]
    assert (peer["Name"], peer["Type"], peer["MemberOf"]) == ("Night Shift", "RingGroup", [])
    assert api.patch(f"/RingGroups({rg['Id']})", json={"Name": "Nights"}).status_code == 204
    assert _peer(api, "852")["Name"] == "Nights"
    assert api.delete(f"/RingGroups({rg['Id']})").status_code == 204
    r = api.get("/Peers(Number='852')")
    assert r.status_code == 404


def test_list_peer_has_full_odata(api: httpx.Client) -> None:
    r = api.get(
        "/Peers",
        params={
            "$filter": "Type eq 'Queue'",
            "$orderby": "Number desc",
            "$select": "Number,Name",
            "$count": "true",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["@odata.count"] == 3
    assert body["value"] == [
        {"Number": "802", "Name": "Billing Queue"},
        {"Number": "801", "Name": "Support Queue"},
        {"Number": "800", "Name": "Sales Queue"},
    ]
    page = api.get("/Peers", params={"$top": "5", "$skip": "40", "$count": "true"}).json()
    assert page["@odata.count"] == 42 and len(page["value"]) == 2


def test_retreive_peers_by_numbers(api: httpx.Client) -> None:
    r = api.post(
        "/Peers/Pbx.RetreivePeersByNumbers",
        json={
            "peersRequest": {"DnNumbers": ["101", "999", "800", "10000"], "IsReportPeers": False}
        },
    )
    assert r.status_code == 200
    rows = r.json()["value"]
    assert [(p["Number"], p["Type"]) for p in rows] == [
        ("101", "Extension"),
        ("800", "Queue"),
        ("10000", "ExternalLine"),
    ]
    assert rows[0]["Name"] == "Bob Baker"
    # report peers leave out groups and parkings
    r = api.post(
        "/Peers/Pbx.RetreivePeersByNumbers",
        json={"peersRequest": {"DnNumbers": ["GRP0001", "SP0", "102"], "IsReportPeers": True}},
    )
    assert [p["Number"] for p in r.json()["value"]] == ["102"]
    # numbers are strings on the wire: sending ints is the client's business to fix
    bad = api.post("/Peers/Pbx.RetreivePeersByNumbers", json={"peersRequest": {"DnNumbers": [101]}})
    assert bad.status_code == 400


def test_get_report_peers(api: httpx.Client) -> None:
    r = api.get(
        "/Peers/Pbx.GetReportPeers()", params={"$filter": "Type eq 'IVR'", "$count": "true"}
    )
    assert r.status_code == 200
    assert [p["Number"] for p in r.json()["value"]] == ["900", "901"]
    assert r.json()["@odata.count"] == 2


# -- membership -----------------------------------------------------------------------------


def _group(api: httpx.Client, name: str) -> dict[str, Any]:
    rows = api.get("/Groups", params={"$filter": f"Name eq '{name}'", "$expand": "Members"}).json()
    return rows["value"][0]


def _user(api: httpx.Client, number: str) -> dict[str, Any]:
    return api.get(f"/Users(Number='{number}')", params={"$expand": "Groups"}).json()


def test_membership_from_the_user_side(api: httpx.Client) -> None:
    finance, support = _group(api, "Finance"), _group(api, "Support")
    user = _user(api, "102")
    assert [g["GroupId"] for g in user["Groups"]] == [finance["Id"]]
    r = api.patch(
        f"/Users({user['Id']})",
        json={"Groups": [{"GroupId": support["Id"], "Rights": {"RoleName": "managers"}}]},
    )
    assert r.status_code == 204
    assert "102" not in [m["Number"] for m in _group(api, "Finance")["Members"]]
    members = _group(api, "Support")["Members"]
    assert {"Number": "102", "Type": "Extension"}.items() <= next(
        m for m in members if m["Number"] == "102"
    ).items()
    assert _peer(api, "102")["MemberOf"] == [
        {"GroupID": support["Id"], "Name": "Support", "Number": support["Number"],
         "RoleName": "managers", "IsPrimary": True}
    ]  # fmt: skip
    # [] removes the user from every group
    assert api.patch(f"/Users({user['Id']})", json={"Groups": []}).status_code == 204
    assert _user(api, "102")["Groups"] == []
    assert "102" not in [m["Number"] for m in _group(api, "Support")["Members"]]
    assert _peer(api, "102")["MemberOf"] == []


def test_membership_from_the_group_side(api: httpx.Client) -> None:
    finance = _group(api, "Sales")
    before = sorted(m["Number"] for m in finance["Members"])
    assert before == ["104", "108", "112", "116", "120", "124"]
    r = api.patch(
        f"/Groups({finance['Id']})", json={"Members": [{"Number": "104"}, {"Number": "101"}]}
    )
    assert r.status_code == 204
    after = _group(api, "Sales")
    assert sorted(m["Number"] for m in after["Members"]) == ["101", "104"]
    assert finance["Id"] in [g["GroupId"] for g in _user(api, "101")["Groups"]]
    assert finance["Id"] not in [g["GroupId"] for g in _user(api, "108")["Groups"]]
    assert finance["Id"] in [g["GroupID"] for g in _peer(api, "101")["MemberOf"]]
    # [] empties the group, and then it can be deleted
    assert api.patch(f"/Groups({finance['Id']})", json={"Members": []}).status_code == 204
    assert _group(api, "Sales")["Members"] == []
    assert finance["Id"] not in [g["GroupId"] for g in _user(api, "104")["Groups"]]
    assert api.delete(f"/Groups({finance['Id']})").status_code == 204
    assert api.get(f"/Groups({finance['Id']})").status_code == 404


def test_unknown_member_or_group_is_rejected(api: httpx.Client) -> None:
    sales = _group(api, "Sales")
    r = api.patch(f"/Groups({sales['Id']})", json={"Members": [{"Number": "777"}]})
    assert r.status_code == 400 and _error(r) == ("Members", "WARNINGS.XAPI.NOT_FOUND")
    user = _user(api, "110")
    r = api.patch(f"/Users({user['Id']})", json={"Groups": [{"GroupId": 9999}]})
    assert r.status_code == 400 and _error(r) == ("Groups", "WARNINGS.XAPI.NOT_FOUND")


def test_group_with_members_cannot_be_deleted(api: httpx.Client) -> None:
    sales = _group(api, "Sales")
    r = api.delete(f"/Groups({sales['Id']})")
    assert r.status_code == 400
    assert _error(r) == ("Members", "WARNINGS.GROUP_WITH_MEMBERS_CANNOT_BE_DELETED")
    default = _group(api, "DEFAULT")
    r = api.delete(f"/Groups({default['Id']})")
    assert r.status_code == 400 and _error(r) == ("Id", "WARNINGS.GROUP_CANNOT_BE_DELETED")


def test_queue_agents_are_replaced_whole(api: httpx.Client) -> None:
    queue = api.get("/Queues(Number='800')", params={"$expand": "Agents"}).json()
    assert len(queue["Agents"]) == 6
    r = api.patch(
        f"/Queues({queue['Id']})", json={"Agents": [{"Number": "110", "SkillGroup": "2"}]}
    )
    assert r.status_code == 204
    agents = api.get(f"/Queues({queue['Id']})/Agents").json()["value"]
    assert [(a["Number"], a["Name"], a["SkillGroup"]) for a in agents] == [
        ("110", "Kira Khan", "2")
    ]
    r = api.patch(f"/Queues({queue['Id']})", json={"Agents": [{"Number": "801"}]})
    assert r.status_code == 400 and _error(r) == ("Agents", "WARNINGS.XAPI.NOT_FOUND")
    assert api.patch(f"/Queues({queue['Id']})", json={"Agents": []}).status_code == 204
    assert api.get(f"/Queues({queue['Id']})/Agents").json()["value"] == []


def test_deleting_a_user_detaches_it_everywhere(api: httpx.Client) -> None:
    user = _user(api, "100")
    assert api.delete(f"/Users({user['Id']})").status_code == 204
    assert api.get("/Peers(Number='100')").status_code == 404
    reception = api.get("/RingGroups(Number='850')", params={"$expand": "Members"}).json()
    assert [m["Number"] for m in reception["Members"]] == ["101"]
    assert "100" not in [m["Number"] for m in _group(api, "DEFAULT")["Members"]]
    assert api.delete(f"/Users({user['Id']})").status_code == 404


# -- Init* and batch deletes ------------------------------------------------------------------


def test_init_templates_post_back(api: httpx.Client) -> None:
    fax = api.get("/Fax/Pbx.InitFax()").json()
    assert fax["Number"] == "951"
    r = api.post("/Fax", json=fax)
    assert r.status_code == 201 and r.json()["Number"] == "951"
    for path in (
        "/Trunks/Pbx.InitTrunk(template='GenericSIPTrunk.pv.xml')",
        "/Trunks/Pbx.InitMasterBridge()",
    ):
        trunk = api.get(path)
        assert trunk.status_code == 200, trunk.text
        body = trunk.json()
        created = api.post("/Trunks", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["Number"] == body["Number"]
    assert _peer(api, "10002")["Name"] == "GenericSIPTrunk"
    assert _peer(api, "10003")["Type"] == "ExternalLine"


def test_batch_delete_users(api: httpx.Client) -> None:
    ids = [_user(api, n)["Id"] for n in ("121", "122")]
    r = api.post("/Users/Pbx.BatchDelete", json={"ids": [*ids, 99999]})
    assert r.status_code == 200
    assert r.json()["value"] == [{"ExtensionNumber": "99999", "Error": "WARNINGS.XAPI.NOT_FOUND"}]
    assert api.get("/Users(Number='121')").status_code == 404
    assert api.get("/Users", params={"$count": "true", "$top": "1"}).json()["@odata.count"] == 23


def test_bulk_deletes_of_plain_sets(api: httpx.Client) -> None:
    contacts = api.get("/Contacts", params={"$filter": "LastName eq 'O''Brien'"}).json()["value"]
    assert contacts and all(c["LastName"] == "O'Brien" for c in contacts)
    r = api.post("/Contacts/Pbx.DeleteContactsById", json={"ids": [c["Id"] for c in contacts]})
    assert r.status_code == 204
    left = api.get("/Contacts", params={"$count": "true", "$top": "1"}).json()["@odata.count"]
    assert left == 50 - len(contacts)
    fax = api.get("/Fax(Number='950')").json()
    assert api.post("/Fax/Pbx.BulkFaxDelete", json={"ids": [fax["Id"]]}).status_code == 204
    assert api.get("/Peers(Number='950')").status_code == 404


@pytest.mark.parametrize("api", ["empty"], indirect=True)
def test_empty_pbx_starts_numbering_at_range_start(api: httpx.Client) -> None:
    assert api.get("/Users/Pbx.GetFirstAvailableExtensionNumber()").json() == {"Number": "100"}
    g = api.post("/Groups", json={"Name": "Ops"})
    assert g.status_code == 201 and g.json()["Number"] == "GRP0000"
    u = api.post("/Users", json={"FirstName": "Only"})
    assert u.status_code == 201 and u.json()["Number"] == "100"
    assert api.get("/Peers", params={"$count": "true"}).json()["@odata.count"] == 2


@pytest.mark.parametrize("version", ["20.0.4", "20.0.6", "20.0.8"])
def test_numbering_works_on_older_releases(version: str, connect: Connect) -> None:
    with running(EmulatorConfig(version=version)) as emu, connect(emu) as api:
        created = api.post("/Users", json={"FirstName": "Old", "LastName": "Release"})
        assert created.status_code == 201 and created.json()["Number"] == "125"
        user_id = created.json()["Id"]
        assert api.get(f"/Users({user_id})").json()["Number"] == "125"
        again = api.post("/Users", json={"Number": "125", "FirstName": "Dup"})
        assert again.status_code == 400 and _error(again) == ("Number", ALREADY)
