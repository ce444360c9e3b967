"""Answers as a PBX gives them: whole entities on create, PBX-looking data, OData's errors.

See docs/emulator.md ("Fidelity") for where each behaviour comes from.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tcxkit.catalog import catalog
from tcxkit.emulator.responses import ValueGenerator

from .conftest import Connect

RELEASE = "20.0.10"
#: What the old generator produced: the field's name, a dash and a word (``MailServer-echo``).
PLACEHOLDER = re.compile(r"^[A-Z][A-Za-z0-9]*-[a-z]+$|-(alpha|bravo|charlie|delta|echo|foxtrot)\b")


def _parameterless_gets() -> list[str]:
    return [
        a.path
        for a in catalog(RELEASE)
        if a.method == "GET"
        and "{" not in a.path
        and not any(p.location == "path" or p.required for p in a.params)
        and a.response.kind != "file"
    ]


def _walk(value: Any, where: str, found: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            found.append(f"{where}: empty object")
        for key, item in value.items():
            _walk(item, f"{where}.{key}", found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{where}[]", found)
    elif isinstance(value, str) and PLACEHOLDER.search(value):
        found.append(f"{where}: {value!r}")


def test_every_parameterless_get_answers_pbx_looking_data(emulator: Any, connect: Connect) -> None:
    """No ``Name-word`` placeholder and no ``{}`` (every object of 20.0.10 has properties)."""
    paths = _parameterless_gets()
    assert len(paths) >= 160
    found: list[str] = []
    answered = 0
    with connect(emulator) as api:
        for path in paths:
            r = api.get(path)
            assert r.status_code == 200, (path, r.text)
            if r.headers["content-type"].startswith("application/json"):
                answered += 1
                _walk(r.json(), path, found)
    assert answered >= 160
    assert found == []


def test_values_follow_the_field_names() -> None:
    generator = ValueGenerator(catalog(RELEASE).schemas)
    mail = generator.entity("Pbx.MailSettings", "GetMailSettings")
    assert mail["MailServer"] == "smtp.acme.example"
    assert re.fullmatch(r"[\w.]+@acme\.example", mail["MailAddress"])
    network = generator.entity("Pbx.NetworkSettings", "GetNetworkSettings")
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", network["PublicStaticIP"])
    assert network["StunPrimaryHost"].endswith(".3cx.com")
    dial = generator.entity("Pbx.DialCodeSettings", "GetDialCodeSettings")
    codes = [v for k, v in dial.items() if k.startswith("DialCode")]
    assert all(re.fullmatch(r"\*\d+", v) for v in codes)
    assert len(set(codes)) == len(codes) == 13  # a star code dials one feature


def test_demo_routes_calls_like_a_company(emulator: Any, connect: Connect) -> None:
    """Office hours, holidays, rules and users' 2FA flags: every kind ``state`` manages."""
    with connect(emulator) as api:
        hours = api.get("/OfficeHours").json()
        holidays = api.get("/Holidays").json()["value"]
        inbound = api.get("/InboundRules", params={"$expand": "TrunkDN"}).json()["value"]
        outbound = api.get("/OutboundRules").json()["value"]
        peers = {p["Number"]: p for p in api.get("/Peers").json()["value"]}
        users = api.get("/Users", params={"$select": "Number,Require2FA,Enable2FA"}).json()
        parameters = api.get("/Parameters").json()["value"]
    assert {p["Name"] for p in parameters} >= {"ACME_CRM_URL", "ACME_SUPPORT_HOURS"}
    with connect(emulator) as api:
        zones = api.get("/Defs/TimeZones").json()["value"]
    zone = next(z for z in zones if z["Id"] == hours["TimeZoneId"])  # an Id of the list
    assert zone["IanaName"] == "Europe/London" and hours["SystemLanguage"] == "EN"
    assert [p["DayOfWeek"] for p in hours["Hours"]["Periods"]] == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    ]  # fmt: skip
    assert hours["Hours"]["Periods"][0] | {} == {
        "DayOfWeek": "Monday", "Start": "09:00:00", "Stop": "17:30:00",
    }  # fmt: skip
    assert {"Christmas Day", "Boxing Day", "New Year's Day"} <= {h["Name"] for h in holidays}
    assert inbound and outbound
    for rule in inbound:
        assert rule["TrunkDN"]["Number"] in peers
        for dest in ("OfficeHoursDestination", "OutOfOfficeHoursDestination"):
            assert peers[rule[dest]["Number"]]["Name"] == rule[dest]["Name"]
    trunk_ids = {p["Id"] for p in peers.values() if p["Type"] == "ExternalLine"}
    assert all(r["TrunkId"] in trunk_ids for rule in outbound for r in rule["Routes"])
    assert any(rule["EmergencyRule"] for rule in outbound)
    flags = [(u["Require2FA"], u["Enable2FA"]) for u in users["value"]]
    assert all(isinstance(a, bool) and isinstance(b, bool) for a, b in flags)
    assert (True, True) in flags and (False, False) in flags


def _structural(type_name: str) -> set[str]:
    generator = ValueGenerator(catalog(RELEASE).schemas)
    props = generator.properties(catalog(RELEASE).schemas[type_name])
    return {p for p, s in props.items() if not s.get("x-ms-navigationProperty")}


def test_create_answers_the_whole_entity(fresh_emulator: Any, connect: Connect) -> None:
    """``POST Users {}``: 201, every property with its default, and the same on a GET."""
    with connect(fresh_emulator) as api:
        r = api.post("/Users", json={})
        assert r.status_code == 201, r.text
        user = r.json()
        assert set(user) >= _structural("Pbx.User")
        assert user["Require2FA"] is False and user["Enable2FA"] is False
        assert user["Number"] and user["Id"] > 0
        assert r.headers["location"].endswith(f"/xapi/v1/Users({user['Id']})")
        again = api.get(f"/Users({user['Id']})", params={"$expand": "Groups"}).json()
        assert again == user  # what the create answered is what is stored
        sp = api.post("/ServicePrincipals", json={"Number": "sptest"})
        assert sp.status_code == 201
        assert set(sp.json()) >= _structural("Pbx.ServicePrincipal")
        assert sp.json()["XAPIEnabled"] is False and sp.json()["Number"] == "sptest"
        holiday = api.post("/Holidays", json={"Name": "May Day", "Day": 1, "Month": 5})
        assert holiday.status_code == 201
        assert holiday.json()["IsRecurrent"] is False and holiday.json()["Year"] == 0


@pytest.mark.parametrize(("path", "body"), [("/Users", {}), ("/Holidays", {"Name": "Eid"})])
def test_prefer_return_minimal(
    fresh_emulator: Any, connect: Connect, path: str, body: dict[str, Any]
) -> None:
    with connect(fresh_emulator) as api:
        r = api.post(path, json=body, headers={"Prefer": "return=minimal"})
        assert r.status_code == 204 and r.content == b""
        assert r.headers["preference-applied"] == "return=minimal"
        location = r.headers["location"]
        assert r.headers["odata-entityid"] == location
        assert re.search(rf"/xapi/v1{path}\(\d+\)$", location)
        assert api.get(location).status_code == 200
        full = api.post(path, json={**body, "Name": "x"} if body else {},
                        headers={"Prefer": "return=representation"})  # fmt: skip
        assert full.status_code == 201 and full.headers["preference-applied"] == (
            "return=representation"
        )


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ("Number eq 100", "A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Int32' for operator kind 'Equal'."),
        ("100 lt Number", "Found operand types 'Edm.Int32' and 'Edm.String' for operator kind 'LessThan'."),
        ("Id eq '6'", "Found operand types 'Edm.Int32' and 'Edm.String' for operator kind 'Equal'."),
        ("Enabled ne 1", "Found operand types 'Edm.Boolean' and 'Edm.Int32' for operator kind 'NotEqual'."),
        ("Number in (100, 101)", "Found operand types 'Edm.String' and 'Edm.Int32' for operator kind 'Equal'."),
        ("contains(Number, 10)", "No function signature for the function with name 'contains' matches the specified arguments. The function signatures considered are: contains(Edm.String Nullable=true, Edm.String Nullable=true)."),
        ("contains(FirstName)", "No function signature for the function with name 'contains'"),
        ("lower(FirstName) eq 'a'", "An unknown function with name 'lower' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed."),
        ("FirstName/any(x: x eq 'A')", "Any/All may only be used following a collection."),
    ],
)  # fmt: skip
def test_filters_the_pbx_cannot_bind_are_400(
    emulator: Any, connect: Connect, filter_: str, message: str
) -> None:
    with connect(emulator) as api:
        r = api.get("/Users", params={"$filter": filter_})
    assert r.status_code == 400
    assert message in r.json()["error"]["message"]


def test_a_date_time_compared_with_a_number_is_400(emulator: Any, connect: Connect) -> None:
    with connect(emulator) as api:
        r = api.get("/Recordings", params={"$filter": "StartTime gt 5"})
        assert r.status_code == 400
        assert r.json()["error"]["message"].endswith(
            "Found operand types 'Edm.DateTimeOffset' and 'Edm.Int32' for operator kind "
            "'GreaterThan'."
        )
        ok = api.get("/Recordings", params={"$filter": "StartTime gt 2020-01-01T00:00:00Z"})
        assert ok.status_code == 200 and len(ok.json()["value"]) == 20


@pytest.mark.parametrize(
    "filter_",
    ["Number eq '100'", "Id eq 6", "Enabled eq true", "Tags/any(t: t eq 'x')", "Id lt 7.5"],
)
def test_filters_of_matching_types_still_run(emulator: Any, connect: Connect, filter_: str) -> None:
    with connect(emulator) as api:
        assert api.get("/Users", params={"$filter": filter_}).status_code == 200
