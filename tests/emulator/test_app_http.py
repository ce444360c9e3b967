"""Routing, validation envelopes, generic CRUD, generated values, files and the request log."""

from __future__ import annotations

import csv
import io
import re
import wave
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from tcxkit.catalog import load_spec
from tcxkit.emulator import EmulatorConfig, running
from tcxkit.emulator.registry import Registry

from .conftest import Connect

VERSION = "20.0.10.1621"


@pytest.fixture
def generic() -> Iterator[Any]:
    """An empty PBX without domain handlers: only the generic behaviour answers."""
    with running(EmulatorConfig(data="empty"), registry=Registry()) as emu:
        yield emu


@pytest.fixture
def api(generic: Any, connect: Connect) -> Iterator[httpx.Client]:
    with connect(generic) as client:
        yield client


def _error(message: str, details: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": "",
            "message": message,
            "details": [{"code": "", "message": c, "target": t} for t, c in details or []],
        }
    }


# -- routing ------------------------------------------------------------------------------


def test_undeclared_path_is_404(api: httpx.Client) -> None:
    r = api.get("/NoSuchSet")
    assert r.status_code == 404
    assert r.json() == _error("No XAPI 20.0.10 operation matches GET /xapi/v1/NoSuchSet.")
    assert r.headers["x-3cx-version"] == VERSION


@pytest.mark.parametrize("char", ["%0A", "%0D", "%0D%0A"])
def test_control_characters_in_the_path_get_the_json_envelope(api: httpx.Client, char: str) -> None:
    # A decoded newline once escaped the XAPI route: Starlette answered text/plain 404.
    bad_key = api.get(f"/Users(Id={char})")
    assert bad_key.status_code == 400
    assert bad_key.headers["content-type"].startswith("application/json")
    assert bad_key.json()["error"]["details"] == [
        {"code": "", "message": "WARNINGS.INVALID", "target": "Id"}
    ]
    unknown = api.get(f"/Users{char}")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/json")
    assert unknown.json()["error"]["message"].startswith(
        "No XAPI 20.0.10 operation matches GET /xapi/v1/Users"
    )
    assert unknown.headers["x-3cx-version"] == VERSION


def test_unmatched_paths_under_xapi_get_json_elsewhere_plain_text(generic: Any) -> None:
    # Without a token too: the envelope, not Starlette's plain-text page.
    inside = httpx.get(f"{generic.url}/xapi/v1%0A/Users")
    assert inside.status_code == 404
    assert inside.json()["error"]["message"].startswith("No XAPI operation matches GET")
    outside = httpx.get(f"{generic.url}/not-xapi")
    assert outside.status_code == 404 and outside.text == "Not Found"


def test_options_is_405_with_allow(api: httpx.Client) -> None:
    r = api.request("OPTIONS", "/Users(1)")
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, PATCH"
    assert r.json() == _error(
        "The path /Users(1) does not support OPTIONS; it allows DELETE, GET, PATCH."
    )


@pytest.mark.parametrize("release", ["20.0.6", "20.0.10"])
def test_metadata_names_real_types_for_every_set(release: str) -> None:
    # Sets whose first operation in the spec is a schema-less DELETE once got
    # made-up types such as "Pbx.Users".
    schemas = set(load_spec(release)["components"]["schemas"])
    with running(EmulatorConfig(version=release, data="empty"), registry=Registry()) as emu:
        xml = httpx.get(f"{emu.url}/xapi/v1/$metadata", timeout=60).text
    types = re.findall(r'<EntitySet Name="([^"]+)" EntityType="([^"]+)"/>', xml)
    assert len(types) > 50
    assert [(n, t) for n, t in types if t not in schemas] == []
    assert ("Users", "Pbx.User") in types


def test_number_int32_keys_of_20_0_6_are_integers(connect: Connect) -> None:
    # 20.0.6 declares integer keys as "type: number, format: int32".
    with (
        running(EmulatorConfig(version="20.0.6", data="empty"), registry=Registry()) as emu,
        connect(emu) as api,
    ):
        created = api.post("/Contacts", json={"FirstName": "Key", "LastName": "Test"})
        assert created.status_code == 201, created.text
        key = created.json()["Id"]
        assert isinstance(key, int)
        assert api.get(f"/Contacts({key})").json()["FirstName"] == "Key"
        assert api.delete(f"/Contacts({key})").status_code == 204


def test_no_key_route_is_404(api: httpx.Client) -> None:
    # Recordings has no key route on a real PBX either: use $filter=Id eq 42.
    r = api.get("/Recordings(42)")
    assert r.status_code == 404
    assert r.json()["error"]["message"].startswith("No XAPI 20.0.10 operation matches")


def test_wrong_method_is_405(api: httpx.Client) -> None:
    r = api.put("/Users(1)", json={})
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET, PATCH"
    assert r.json() == _error(
        "The path /Users(1) does not support PUT; it allows DELETE, GET, PATCH."
    )


def test_function_missing_a_parameter_is_404(api: httpx.Client) -> None:
    r = api.get("/Users/Pbx.DownloadGreeting(userId=1)")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (
        "No XAPI 20.0.10 operation matches GET /xapi/v1/Users/Pbx.DownloadGreeting(userId=1). "
        "Pbx.DownloadGreeting takes (fileName, userId); missing fileName. "
        "Template: /Users/Pbx.DownloadGreeting(userId={userId},fileName={fileName})"
    )


def test_function_arguments_in_any_order(api: httpx.Client) -> None:
    r = api.get("/Users/Pbx.DownloadGreeting(fileName='hello.wav',userId=1)")
    assert r.status_code == 200
    assert r.headers["content-type"] == "audio/x-wav"


def test_unquoted_string_key_is_400(api: httpx.Client) -> None:
    r = api.get("/Users(Number=100)")
    assert r.status_code == 400
    assert r.json() == _error(
        "The value '100' for 'Number' must be a quoted string literal, e.g. Number='100'.",
        [("Number", "WARNINGS.INVALID")],
    )


def test_unescaped_quote_is_400(api: httpx.Client) -> None:
    r = api.get("/Users(Number='O'Brien')")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "The string literal 'O'Brien' for 'Number' is not properly quoted: "
        "close it with ' and write every ' inside it as ''."
    )


def test_doubled_quote_and_percent_encoding(api: httpx.Client) -> None:
    created = api.post("/Users", json={"Number": "O'1 2", "FirstName": "Q"})
    assert created.status_code == 201
    r = api.get("/Users(Number='O''1%202')")
    assert r.status_code == 200
    assert r.json()["FirstName"] == "Q"


def test_non_integer_key_is_400(api: httpx.Client) -> None:
    r = api.get("/Users(abc)")
    assert r.status_code == 400
    assert r.json() == _error(
        "The value 'abc' for 'Id' is not a valid Edm.Int32.", [("Id", "WARNINGS.INVALID")]
    )


def test_wrongly_typed_function_argument_is_400(api: httpx.Client) -> None:
    r = api.get("/Recordings/Pbx.DownloadRecording(recId=abc)")
    assert r.status_code == 400
    assert r.json() == _error(
        "The value 'abc' for 'recId' is not a valid Edm.Int32.", [("recId", "WARNINGS.INVALID")]
    )


def test_key_long_form(api: httpx.Client) -> None:
    api.post("/Users", json={"Number": "100"})
    assert api.get("/Users(Id=1)").json()["Number"] == "100"


# -- query options ------------------------------------------------------------------------


def test_top_above_100_on_entity_set(api: httpx.Client) -> None:
    r = api.get("/Users", params={"$top": "101"})
    assert r.status_code == 400
    assert r.json() == _error(
        "The limit of '100' for Top query has been exceeded. "
        "The value from the incoming request is '101'."
    )


def test_report_function_accepts_large_top(api: httpx.Client) -> None:
    r = api.get("/Defs/Pbx.GetRoutes", params={"$top": "500"})
    # GetRoutes is an action (POST): GET is 405; use a real report function instead
    assert r.status_code == 405
    r = api.get(
        "/ReportCallLogData/Pbx.GetCallLogData(periodFrom=2025-01-01T00:00:00Z,"
        "periodTo=2025-02-01T00:00:00Z,sourceType=0,sourceFilter='',destinationType=0,"
        "destinationFilter='',callsType=0,callTimeFilterType=0,callTimeFilterFrom='0:00:0',"
        "callTimeFilterTo='0:00:0',hidePcalls=true)",
        params={"$top": "500", "$count": "true"},
    )
    assert r.status_code == 200, r.text
    assert "@odata.count" in r.json()


def test_bad_filter_is_400_envelope(api: httpx.Client) -> None:
    r = api.get("/Users", params={"$filter": "Number eq"})
    assert r.status_code == 400
    body = r.json()
    assert body["error"]["code"] == "" and body["error"]["message"]


def test_version_probe(api: httpx.Client) -> None:
    r = api.get("/Defs", params={"$select": "Id"})
    assert r.status_code == 200
    assert list(r.json()) == ["Id"]
    assert r.headers["x-3cx-version"] == VERSION


# -- validation ---------------------------------------------------------------------------


def test_invalid_body_envelope(api: httpx.Client) -> None:
    r = api.post("/Users", json={"Number": 100, "Enabled": "yes", "Bogus": 1})
    assert r.status_code == 400
    assert r.json() == _error(
        "Number:\nWARNINGS.INVALID\nEnabled:\nWARNINGS.INVALID\nBogus:\nWARNINGS.XAPI.NOT_SUPPORTED",
        [
            ("Number", "WARNINGS.INVALID"),
            ("Enabled", "WARNINGS.INVALID"),
            ("Bogus", "WARNINGS.XAPI.NOT_SUPPORTED"),
        ],
    )


def test_malformed_json_body(api: httpx.Client) -> None:
    r = api.post("/Users", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    body = r.json()
    assert body["error"]["message"].startswith("The request body is not valid JSON (")
    assert body["error"]["details"] == [
        {"code": "", "message": "WARNINGS.INVALID", "target": "body"}
    ]


def test_missing_body(api: httpx.Client) -> None:
    r = api.post("/Users")
    assert r.status_code == 400
    assert r.json() == _error("body:\nWARNINGS.XAPI.REQUIRED", [("body", "WARNINGS.XAPI.REQUIRED")])


def test_missing_action_argument(api: httpx.Client) -> None:
    r = api.post("/Peers/Pbx.RetreivePeersByNumbers", json={})
    assert r.status_code == 400
    assert r.json() == _error(
        "peersRequest:\nWARNINGS.XAPI.REQUIRED", [("peersRequest", "WARNINGS.XAPI.REQUIRED")]
    )


def test_nested_failure_target(api: httpx.Client) -> None:
    r = api.post("/Peers/Pbx.RetreivePeersByNumbers", json={"peersRequest": {"DnNumbers": [100]}})
    assert r.status_code == 400
    assert r.json()["error"]["details"] == [
        {"code": "", "message": "WARNINGS.INVALID", "target": "peersRequest.DnNumbers[0]"}
    ]


# -- generic entity sets -----------------------------------------------------------------


def test_users_crud(api: httpx.Client) -> None:
    created = api.post("/Users", json={"Number": "200", "FirstName": "Ann", "Groups": []})
    assert created.status_code == 201
    sent = {"Id": 1, "Number": "200", "FirstName": "Ann", "Groups": []}
    assert created.json().items() >= sent.items()  # the whole entity: test_fidelity.py
    assert api.get("/Users(1)").json()["FirstName"] == "Ann"
    assert api.get("/Users(Number='200')").json()["Id"] == 1
    patched = api.patch("/Users(1)", json={"LastName": "Lee", "Number": "200"})
    assert patched.status_code == 204 and patched.content == b""
    listed = api.get("/Users", params={"$select": "Id,LastName", "$count": "true"})
    assert listed.json() == {
        "@odata.context": f"{api.base_url.scheme}://{api.base_url.netloc.decode()}"
        "/xapi/v1/$metadata#Users",
        "@odata.count": 1,
        "value": [{"Id": 1, "LastName": "Lee"}],
    }
    assert api.delete("/Users(1)").status_code == 204
    missing = api.get("/Users(1)")
    assert missing.status_code == 404
    assert missing.json() == _error(
        "Id:\nWARNINGS.XAPI.NOT_FOUND", [("Id", "WARNINGS.XAPI.NOT_FOUND")]
    )
    assert api.delete("/Users(1)").status_code == 404
    assert api.patch("/Users(1)", json={"FirstName": "x"}).status_code == 404


def test_number_cannot_change(api: httpx.Client) -> None:
    api.post("/Users", json={"Number": "300"})
    r = api.patch("/Users(1)", json={"Number": "301"})
    assert r.status_code == 400
    assert r.json() == _error(
        "Number:\nWARNINGS.XAPI.FORBIDDEN_CHANGE", [("Number", "WARNINGS.XAPI.FORBIDDEN_CHANGE")]
    )


def test_duplicate_number(api: httpx.Client) -> None:
    assert api.post("/Users", json={"Number": "400"}).status_code == 201
    r = api.post("/Users", json={"Number": "400"})
    assert r.status_code == 400
    assert r.json() == _error(
        "Number:\nWARNINGS.XAPI.ALREADY_IN_USE", [("Number", "WARNINGS.XAPI.ALREADY_IN_USE")]
    )


def test_settings_singleton(api: httpx.Client) -> None:
    first = api.get("/MailSettings")
    assert first.status_code == 200 and "value" not in first.json()
    assert api.patch("/MailSettings", json={"MailServer": "smtp.example.com"}).status_code == 204
    after = api.get("/MailSettings").json()
    assert after["MailServer"] == "smtp.example.com"
    assert {k: v for k, v in after.items() if k != "MailServer"} == {
        k: v for k, v in first.json().items() if k != "MailServer"
    }


# -- generated values and files -------------------------------------------------------------


def test_function_with_generated_value_is_deterministic(api: httpx.Client) -> None:
    a = api.get("/Defs/Pbx.GetSystemParameters()")
    b = api.get("/Defs/Pbx.GetSystemParameters()")
    assert a.status_code == 200 and a.json() == b.json()
    assert isinstance(a.json()["HttpsPort"], int)


def test_primitive_function(api: httpx.Client) -> None:
    r = api.get("/Backups/Pbx.GetCanCreateBackup()")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"value"} and isinstance(body["value"], bool)


def test_action_without_result_is_204(api: httpx.Client) -> None:
    r = api.post("/Users/Pbx.RegeneratePasswords", json={"Ids": [1], "opts": {}})
    assert r.status_code == 204 and r.content == b""


def test_download_recording_is_a_wav(api: httpx.Client) -> None:
    r = api.get("/Recordings/Pbx.DownloadRecording(recId=3)")
    assert r.status_code == 200
    assert r.headers["content-type"] == "audio/x-wav"
    assert r.headers["content-disposition"] == 'attachment; filename="Recording-3.wav"'
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        assert w.getnframes() == 8000


def test_export_is_a_csv(api: httpx.Client) -> None:
    api.post("/Users", json={"Number": "100", "FirstName": "Ann"})
    r = api.get("/Users/Pbx.ExportExtensions()")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="Extensions.csv"'
    (row,) = csv.DictReader(io.StringIO(r.text))  # the whole entity, defaults included
    assert row.items() >= {"Id": "1", "Number": "100", "FirstName": "Ann"}.items()


def test_backup_is_a_real_zip(api: httpx.Client, generic: Any) -> None:
    r = api.post("/Backups/Pbx.Backup", json={"description": {"Name": "nightly"}})
    assert r.status_code == 204
    rows = api.get("/Backups").json()["value"]
    assert [b["FileName"] for b in rows] == ["nightly.zip"]
    link = rows[0]["DownloadLink"]
    assert link == "/backups/nightly.zip"
    denied = httpx.get(generic.url + link)
    assert denied.status_code == 401
    got = httpx.get(generic.url + link, headers={"Authorization": api.headers["Authorization"]})
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        assert "manifest.json" in z.namelist()


# -- specs, health, log, faults ---------------------------------------------------------------


def test_swagger_json_and_yaml(generic: Any) -> None:
    spec = load_spec("20.0.10")
    # Generous timeouts: encoding the 601-operation document as YAML takes seconds.
    j = httpx.get(f"{generic.url}/xapi/v1/swagger.json", timeout=60)
    assert j.status_code == 200 and j.json() == spec
    y = httpx.get(f"{generic.url}/xapi/v1/swagger.yaml", timeout=60)
    assert y.status_code == 200 and y.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(y.text)["info"] == spec["info"]
    m = httpx.get(f"{generic.url}/xapi/v1/$metadata", timeout=60)
    assert m.status_code == 200 and b'<EntitySet Name="Users" EntityType="Pbx.User"/>' in m.content
    for r in (j, y, m):
        assert r.headers["x-3cx-version"] == VERSION


def test_health(generic: Any) -> None:
    r = httpx.get(f"{generic.url}/emulator/health")
    assert r.json() == {
        "status": "ok",
        "release": "20.0.10",
        "version": VERSION,
        "operations": 601,
    }
    assert r.headers["x-3cx-version"] == VERSION


def test_request_log_redacts_secrets(api: httpx.Client, generic: Any) -> None:
    api.post("/Users", json={"Number": "500", "AccessPassword": "hunter2", "Groups": []})
    api.get("/Users", params={"$top": "1"})
    log = httpx.get(f"{generic.url}/emulator/requests", auth=generic.control_auth).json()
    token_call, create, listing = log[-3:]
    assert token_call["path"] == "/connect/token" and token_call["status"] == 200
    assert token_call["body"]["client_secret"] == "********"
    assert create["method"] == "POST" and create["status"] == 201
    assert create["body"] == {"Number": "500", "AccessPassword": "********", "Groups": []}
    assert listing["query"] == "%24top=1" and listing["status"] == 200
    assert "hunter2" not in str(log) and generic.client_secret not in str(log)
    auth = generic.control_auth
    assert httpx.delete(f"{generic.url}/emulator/requests", auth=auth).status_code == 204
    assert httpx.get(f"{generic.url}/emulator/requests", auth=auth).json() == []
    assert generic.requests == []


def test_fault_rules(api: httpx.Client, generic: Any) -> None:
    bad = httpx.post(
        f"{generic.url}/emulator/faults", json={"status": 503}, auth=generic.control_auth
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"].startswith("Bad fault rule: give 'path'")
    ok = httpx.post(
        f"{generic.url}/emulator/faults",
        json={"path": "/xapi/v1/Users", "status": 504, "times": 1},
        auth=generic.control_auth,
    )
    assert ok.status_code == 200
    assert api.get("/Users").status_code == 504
    assert api.get("/Users").status_code == 200


def test_every_step_refuses_with_one_envelope(api: httpx.Client) -> None:
    """Each step of the XAPI dispatch refuses through one error type, answered in one place."""
    cases: list[tuple[httpx.Response, int, str, list[tuple[str, str]]]] = [
        (api.get("/Nope"), 404, "No XAPI 20.0.10 operation matches GET /xapi/v1/Nope.", []),
        (
            api.get("/Users(abc)"),
            400,
            "The value 'abc' for 'Id' is not a valid Edm.Int32.",
            [("Id", "WARNINGS.INVALID")],
        ),
        (
            api.post("/Users", content=b"x", headers={"Content-Type": "text/plain"}),
            415,
            "Unsupported media type 'text/plain': send the body as application/json.",
            [("body", "WARNINGS.INVALID")],
        ),
        (
            api.post("/Users", content=b"{", headers={"Content-Type": "application/json"}),
            400,
            "The request body is not valid JSON (unexpected end of data: line 1 column 2 (char 1)).",
            [("body", "WARNINGS.INVALID")],
        ),
        (
            api.get("/Users", params={"$top": "x"}),
            400,
            "Invalid value 'x' for $top: not an integer; $top takes a whole number 0 or larger.",
            [],
        ),
        (
            api.get("/Users(7)"),
            404,
            "Id:\nWARNINGS.XAPI.NOT_FOUND",
            [("Id", "WARNINGS.XAPI.NOT_FOUND")],
        ),
    ]
    for response, status, message, details in cases:
        assert response.status_code == status, response.text
        assert response.json() == _error(message, details)


def test_generic_behaviour_is_a_part_of_the_state_not_a_base() -> None:
    """AppState holds its GenericBehaviour; the behaviour re-declares none of its fields."""
    from tcxkit.emulator.generic import GenericBehaviour
    from tcxkit.emulator.state import AppState

    state = AppState(EmulatorConfig(data="empty"), reg=Registry())
    try:
        assert not isinstance(state, GenericBehaviour)
        assert state.behaviour.state is state
        assert set(vars(state.behaviour)) == {"state", "_generated"}
    finally:
        state.store.close()
