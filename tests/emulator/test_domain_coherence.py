"""A provisioning script's view of the emulator: every side of a DN stays coherent.

Each test starts its own demo PBX and checks, over real HTTP, what an automation engineer
relies on after creates, renames and deletes: queue ``Agents``, ring group ``Members``,
group ``Members``, ``Peers`` and ``Peers.MemberOf`` agree; numbers are unique across DN
kinds; freed numbers are reused lowest first; read-only and unknown properties are
refused with the right target; ``$expand``/``$filter``/``$orderby``/``$count`` behave;
reports and ``CallHistoryView`` describe the same calls; ``SystemStatus`` counts what
exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tcxkit import Client
from tcxkit.emulator import running

from ..emulators import own_config
from .conftest import Connect

NOT_FOUND_BODY = {
    "error": {
        "code": "",
        "message": "Id:\nWARNINGS.XAPI.NOT_FOUND",
        "details": [{"code": "", "message": "WARNINGS.XAPI.NOT_FOUND", "target": "Id"}],
    }
}


@pytest.fixture
def emu() -> Iterator[Any]:
    with running(own_config(options={"backup_delay": 0})) as server:
        yield server


@pytest.fixture
def api(emu: Any, connect: Connect) -> Iterator[httpx.Client]:
    with connect(emu) as client:
        yield client


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def _user(api: httpx.Client, first: str, last: str) -> dict[str, Any]:
    return _ok(api.post("/Users", json={"FirstName": first, "LastName": last}), 201)  # type: ignore[no-any-return]


def _expanded(api: httpx.Client, path: str, prop: str) -> list[dict[str, Any]]:
    body = _ok(api.get(path, params={"$expand": prop, "$select": prop}))
    return body[prop]  # type: ignore[no-any-return]


def _numbers(items: list[dict[str, Any]]) -> list[str]:
    return [i["Number"] for i in items]


@pytest.fixture
def team(api: httpx.Client) -> dict[str, Any]:
    """Two new users in a new queue, ring group and group."""
    one, two = _user(api, "Zed", "One"), _user(api, "Zed", "Two")
    pair = [{"Number": one["Number"]}, {"Number": two["Number"]}]
    queue = _ok(api.post("/Queues", json={"Name": "Night Queue", "Agents": pair}), 201)
    ring = _ok(api.post("/RingGroups", json={"Name": "Night Ring", "Members": pair}), 201)
    group = _ok(api.post("/Groups", json={"Name": "Night Shift", "Members": pair}), 201)
    return {"one": one, "two": two, "queue": queue, "ring": ring, "group": group}


def test_renaming_a_user_renames_every_copy_of_its_name(
    api: httpx.Client, team: dict[str, Any]
) -> None:
    one = team["one"]
    _ok(api.patch(f"/Users({one['Id']})", json={"LastName": "Renamed"}), 204)
    lists = (
        (f"/Queues({team['queue']['Id']})", "Agents"),
        (f"/RingGroups({team['ring']['Id']})", "Members"),
        (f"/Groups({team['group']['Id']})", "Members"),
    )
    for path, prop in lists:
        names = {i["Number"]: i["Name"] for i in _expanded(api, path, prop)}
        assert names == {one["Number"]: "Zed Renamed", team["two"]["Number"]: "Zed Two"}, path
    peer = _ok(api.get(f"/Peers(Number='{one['Number']}')"))
    assert peer["Name"] == "Zed Renamed"


def test_deleting_a_member_user_leaves_every_side_coherent(
    api: httpx.Client, team: dict[str, Any]
) -> None:
    one, two = team["one"], team["two"]
    _ok(api.delete(f"/Users({one['Id']})"), 204)
    again = api.delete(f"/Users({one['Id']})")
    assert again.status_code == 404
    assert again.json() == NOT_FOUND_BODY
    assert _numbers(_expanded(api, f"/Queues({team['queue']['Id']})", "Agents")) == [two["Number"]]
    ring = _expanded(api, f"/RingGroups({team['ring']['Id']})", "Members")
    assert _numbers(ring) == [two["Number"]]
    group = _ok(api.get(f"/Groups({team['group']['Id']})", params={"$expand": "Members"}))
    assert _numbers(group["Members"]) == [two["Number"]]
    assert group["HasMembers"] is True
    assert api.get(f"/Peers(Number='{one['Number']}')").status_code == 404
    member_of = _ok(api.get(f"/Peers(Number='{two['Number']}')", params={"$expand": "MemberOf"}))
    assert [m["Name"] for m in member_of["MemberOf"]] == ["DEFAULT", "Night Shift"]
    default = _ok(api.get("/Groups", params={"$filter": "IsDefault eq true", "$expand": "Members"}))
    assert one["Number"] not in _numbers(default["value"][0]["Members"])


def test_numbers_are_unique_across_dn_kinds(api: httpx.Client) -> None:
    for path, body in (
        ("/Queues", {"Name": "Clash", "Number": "100"}),
        ("/RingGroups", {"Name": "Clash", "Number": "800"}),
        ("/Users", {"FirstName": "Clash", "Number": "900"}),
        ("/Receptionists", {"Name": "Clash", "Number": "SP0"}),
    ):
        answer = api.post(path, json=body)
        assert answer.status_code == 400, path
        assert answer.json()["error"]["details"] == [
            {"code": "", "message": "WARNINGS.XAPI.ALREADY_IN_USE", "target": "Number"}
        ]
        assert (
            f"another DN already has number {body['Number']}" in answer.json()["error"]["message"]
        )


def test_freed_numbers_are_reused_lowest_first(api: httpx.Client) -> None:
    users = [_user(api, "Gap", str(i)) for i in range(3)]
    assert _numbers(users) == ["125", "126", "127"]
    _ok(api.delete(f"/Users({users[1]['Id']})"), 204)
    first = "/Users/Pbx.GetFirstAvailableExtensionNumber()"
    assert _ok(api.get(first)) == {"Number": "126"}
    assert _user(api, "Gap", "filled")["Number"] == "126"
    assert _ok(api.get(first)) == {"Number": "128"}
    queue = _ok(api.get("/Queues", params={"$filter": "Number eq '801'"}))["value"][0]
    _ok(api.delete(f"/Queues({queue['Id']})"), 204)
    assert _ok(api.get("/Queues/Pbx.GetFirstAvailableQueueNumber()")) == {"Number": "801"}


def test_patch_of_a_read_only_property_is_refused_unless_unchanged(api: httpx.Client) -> None:
    user = _ok(api.get("/Users", params={"$filter": "Number eq '100'"}))["value"][0]
    same = api.patch(f"/Users({user['Id']})", json={"IsRegistered": user["IsRegistered"]})
    assert same.status_code == 204
    changed = api.patch(f"/Users({user['Id']})", json={"IsRegistered": not user["IsRegistered"]})
    assert changed.status_code == 400
    assert changed.json() == {
        "error": {
            "code": "",
            "message": "IsRegistered:\nWARNINGS.XAPI.FORBIDDEN_CHANGE (IsRegistered is maintained"
            " by the PBX and cannot be set; leave it out of the PATCH)",
            "details": [
                {"code": "", "message": "WARNINGS.XAPI.FORBIDDEN_CHANGE", "target": "IsRegistered"}
            ],
        }
    }
    trunk = _ok(api.get("/Trunks", params={"$top": "1"}))["value"][0]
    flipped = api.patch(f"/Trunks({trunk['Id']})", json={"IsOnline": not trunk["IsOnline"]})
    assert flipped.status_code == 400
    assert flipped.json()["error"]["details"][0]["target"] == "IsOnline"
    unknown = api.patch(f"/Users({user['Id']})", json={"Groups": [{"GroupId": 1, "Colour": 1}]})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"] == [
        {"code": "", "message": "WARNINGS.XAPI.NOT_SUPPORTED", "target": "Groups[0].Colour"}
    ]


def test_patch_replaces_arrays_whole(api: httpx.Client, team: dict[str, Any]) -> None:
    queue = f"/Queues({team['queue']['Id']})"
    _ok(api.patch(queue, json={"Agents": [{"Number": "100"}]}), 204)
    assert _numbers(_expanded(api, queue, "Agents")) == ["100"]
    _ok(api.patch(queue, json={"Agents": []}), 204)
    assert _expanded(api, queue, "Agents") == []
    not_an_extension = api.patch(queue, json={"Agents": [{"Number": "800"}]})
    assert not_an_extension.status_code == 400
    assert not_an_extension.json()["error"]["message"] == (
        "Agents:\nWARNINGS.XAPI.NOT_FOUND (no extension '800')"
    )


def test_expand_of_navigation_properties(api: httpx.Client, team: dict[str, Any]) -> None:
    queue = f"/Queues({team['queue']['Id']})"
    assert _expanded(api, queue, "Managers") == []
    assert "Agents" not in _ok(api.get(queue))
    unknown = api.get(queue, params={"$expand": "Supervisors"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "Could not find a property named 'Supervisors' on type 'Pbx.Queue'."
    )
    assert api.get("/Queues", params={"$expand": "Supervisors"}).status_code == 400
    listed = _ok(api.get("/Queues", params={"$expand": "Managers", "$select": "Number"}))
    assert all(q["Managers"] == [] for q in listed["value"])
    groups = _ok(
        api.get(
            "/Groups",
            params={
                "$filter": "Name eq 'Night Shift'",
                "$expand": "Members($select=Number;$orderby=Number desc)",
            },
        )
    )
    assert groups["value"][0]["Members"] == [
        {"Number": team["two"]["Number"]},
        {"Number": team["one"]["Number"]},
    ]
    user = _ok(api.get(f"/Users({team['one']['Id']})", params={"$expand": "Groups"}))
    assert [g["Name"] for g in user["Groups"]] == ["DEFAULT", "Night Shift"]


def test_filter_orderby_and_count(api: httpx.Client) -> None:
    users = _ok(api.get("/Users", params={"$select": "Number", "$count": "true", "$top": "100"}))
    extensions = _ok(
        api.get("/Peers", params={"$filter": "Type eq 'Extension'", "$count": "true", "$top": "0"})
    )
    assert extensions == {**extensions, "@odata.count": users["@odata.count"], "value": []}
    queues = _ok(api.get("/Peers", params={"$filter": "Type eq Pbx.PeerType'Queue'"}))
    assert _numbers(queues["value"]) == ["800", "801", "802"]
    trunks = _ok(
        api.get(
            "/Trunks", params={"$filter": "Gateway/Name eq 'BT SIP Trunk'", "$select": "Number"}
        )
    )
    assert trunks["value"] == [{"Number": "10000"}]
    ordered = _ok(
        api.get("/Peers", params={"$orderby": "Type asc,Number desc", "$select": "Type,Number"})
    )["value"]
    assert ordered == sorted(
        sorted(ordered, key=lambda p: p["Number"], reverse=True), key=lambda p: p["Type"]
    )
    sales = {"$filter": "Groups/any(g: g/Name eq 'Sales')", "$select": "Number"}
    counted = _ok(api.get("/Users", params={**sales, "$count": "true", "$top": "2"}))
    assert counted["@odata.count"] == len(_ok(api.get("/Users", params=sales))["value"]) == 6
    assert len(counted["value"]) == 2


def _period() -> tuple[str, str]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return (now - dt.timedelta(days=7)).strftime(stamp), now.strftime(stamp)


def _call_log(
    api: httpx.Client, *, source: str = "", destination: str = "", calls: int = 0, **query: str
) -> dict[str, Any]:
    start, end = _period()
    path = (
        f"/ReportCallLogData/Pbx.GetCallLogData(periodFrom={start},periodTo={end},sourceType=0,"
        f"sourceFilter='{source}',destinationType=0,destinationFilter='{destination}',"
        f"callsType={calls},callTimeFilterType=0,callTimeFilterFrom='0:00:0',"
        "callTimeFilterTo='0:00:0',hidePcalls=false)"
    )
    return _ok(api.get(path, params={"$count": "true", **query}))  # type: ignore[no-any-return]


def test_call_log_filters_by_extension_and_call_type(api: httpx.Client) -> None:
    total = _call_log(api, **{"$top": "0"})["@odata.count"]
    answered = _call_log(api, calls=1, **{"$top": "0"})["@odata.count"]
    unanswered = _call_log(api, calls=2, **{"$top": "0"})["@odata.count"]
    assert answered + unanswered == total > 0
    from_100 = _call_log(api, source="100", **{"$top": "1000", "$select": "SourceDn"})
    assert {r["SourceDn"] for r in from_100["value"]} == {"100"}
    by_filter = _call_log(api, **{"$filter": "SourceDn eq '100'", "$top": "0"})
    assert from_100["@odata.count"] == by_filter["@odata.count"] == len(from_100["value"])
    to_100 = _call_log(api, destination="100", **{"$top": "1000", "$select": "DestinationDn"})
    assert {r["DestinationDn"] for r in to_100["value"]} == {"100"}
    answered_to_100 = _call_log(api, destination="100", calls=1, **{"$select": "Answered"})
    assert all(r["Answered"] for r in answered_to_100["value"])


def test_call_history_view_and_call_log_describe_the_same_segments(api: httpx.Client) -> None:
    start, end = _period()
    log = _call_log(api, **{"$top": "50", "$select": "SegmentId,SourceDn,DestinationDn,Answered"})
    view = _ok(
        api.get(
            "/CallHistoryView",
            params={
                "$filter": f"SegmentStartTime ge {start} and SegmentStartTime lt {end}",
                "$orderby": "SegmentStartTime,SegmentId",
                "$select": "SegmentId,SrcDn,DstDn,CallAnswered",
                "$count": "true",
                "$top": "50",
            },
        )
    )
    assert view["@odata.count"] == log["@odata.count"]
    assert [
        (r["SegmentId"], r["SourceDn"], r["DestinationDn"], r["Answered"]) for r in log["value"]
    ] == [(r["SegmentId"], r["SrcDn"], r["DstDn"], r["CallAnswered"]) for r in view["value"]]


def test_system_status_counts_what_exists(api: httpx.Client) -> None:
    _user(api, "New", "Starter")
    _ok(
        api.post("/Trunks", json=_ok(api.get("/Trunks/Pbx.InitTrunk(template='generic.pv.xml')"))),
        201,
    )
    _ok(api.post("/Queues", json={"Name": "Overflow"}), 201)
    calls = _ok(api.get("/ActiveCalls"))["value"]
    _ok(api.post(f"/ActiveCalls({calls[0]['Id']})/Pbx.DropCall"), 204)
    dropped = api.post(f"/ActiveCalls({calls[0]['Id']})/Pbx.DropCall")
    assert dropped.status_code == 404
    assert dropped.json()["error"]["details"][0]["target"] == "Id"

    def count(path: str) -> int:
        return int(_ok(api.get(path, params={"$count": "true", "$top": "0"}))["@odata.count"])

    status = _ok(api.get("/SystemStatus"))
    assert status["UserExtensions"] == count("/Users") == 26
    assert status["TrunksTotal"] == count("/Trunks") == 3
    assert status["ExtensionsTotal"] == count("/Peers")
    assert status["CallsActive"] == count("/ActiveCalls") == len(calls) - 1


def test_provisioning_script_with_the_client(emu: Any) -> None:
    with Client(emu.url, emu.client_id, emu.client_secret, token_cache=False) as c:
        agent = c.call("CreateUser", body={"FirstName": "Pat", "LastName": "Provisioned"})
        queue = c.call("CreateQueue", body={"Name": "Pat Queue", "Agents": [{"Id": agent["Id"]}]})
        ivr = c.call(
            "CreateReceptionist",
            body={"Name": "Pat Menu", "Forwards": [{"Input": "1", "ForwardDN": queue["Number"]}]},
        )
        fax = c.call("CreateFax", body=c.call("InitFax"))
        parking = c.call("CreateParking", body={})
        trunk = c.call("CreateTrunk", body=c.call("InitTrunk", template="generic.pv.xml"))
        contact = c.call("CreateContact", body={"FirstName": "Ann", "LastName": "O'Brien"})
        made = [agent, queue, ivr, fax, parking, trunk]
        assert _numbers(made) == ["125", "803", "902", "951", "SP2", "10002"]
        peers = c.call("RetreivePeersByNumbers", peers_request={"DnNumbers": _numbers(made)})[
            "value"
        ]
        assert [p["Type"] for p in peers] == [
            "Extension", "Queue", "IVR", "Fax", "Parking", "ExternalLine",
        ]  # fmt: skip
        found = c.call("ListContact", filter="LastName eq 'O''Brien' and FirstName eq 'Ann'")
        assert [x["Id"] for x in found["value"]] == [contact["Id"]]
