"""Plans field by field, dependency order, --prune, stopping at the first failure."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

from tcxkit.errors import ApiError, StateFileError
from tcxkit.state import apply, plan, pull

from .conftest import on, plan_and_apply, sync_client


@pytest.fixture
def copied(source: Any, target: Any) -> dict[str, Any]:
    """``target`` made a copy of ``source``; returns the document."""
    doc = on(source, pull)
    assert plan_and_apply(target, doc).ok
    return doc


def test_changes_in_dependency_order_with_old_and_new(target: Any, copied: dict[str, Any]) -> None:
    doc = {
        "groups": {"Night Shift": {}},
        "users": {
            "101": {"Mobile": "+447700111111"},
            "160": {
                "FirstName": "Nia",
                "Groups": [{"Group": "Night Shift", "Rights": {"RoleName": "users"}}],
            },
        },
        "queues": {"800": {"Agents": [*copied["queues"]["800"]["Agents"], "160"]}},
    }
    result = on(target, lambda c: plan(c, doc))
    assert [(c.kind, c.key, c.op) for c in result.changes] == [
        ("groups", "Night Shift", "create"),
        ("users", "101", "update"),
        ("users", "160", "create"),
        ("queues", "800", "update"),
    ]
    assert result.changes[1].fields == {"Mobile": ("+447700900001", "+447700111111")}
    report = on(target, lambda c: apply(c, result))
    assert report.ok, report.to_dict()
    with sync_client(target) as pbx:
        night = pbx.call("ListGroup", filter="Name eq 'Night Shift'")["value"][0]["Id"]
        nia = pbx.call("ListUser", filter="Number eq '160'", expand="Groups")["value"][0]
        agents = pbx.call("ListQueue", filter="Number eq '800'", expand="Agents")["value"][0][
            "Agents"
        ]
    assert [g["GroupId"] for g in nia["Groups"]] == [night]
    assert agents[-1]["Number"] == "160"
    assert on(target, lambda c: plan(c, doc)).changes == []


def test_prune_deletes_exactly_the_unnamed_objects_of_managed_kinds(
    target: Any, copied: dict[str, Any]
) -> None:
    with sync_client(target) as pbx:
        pbx.call("CreateUser", body={"Number": "170", "FirstName": "Extra"})
        pbx.call("CreateParameter", body={"Name": "LEFTOVER", "Value": "1"})
        pbx.call("CreateContact", body={"FirstName": "Not", "LastName": "Managed"})
    doc = {
        "users": copy.deepcopy(copied["users"]),
        "parameters": copied["parameters"],
        "groups": {},
    }
    del doc["users"]["124"]
    without = on(target, lambda c: plan(c, doc))
    assert all(c.op != "delete" for c in without.changes)
    pruned = on(target, lambda c: plan(c, doc, prune=True))
    deletes = sorted((c.kind, c.key) for c in pruned.changes if c.op == "delete")
    # groups: {} manages groups: all go (on this copy DEFAULT is an ordinary group)
    assert deletes == [
        ("groups", "DEFAULT"), ("groups", "Engineering"), ("groups", "Finance"), ("groups", "Sales"), ("groups", "Support"),
        ("parameters", "LEFTOVER"), ("users", "124"), ("users", "170"),
    ]  # fmt: skip
    doc["groups"] = copied["groups"]
    pruned = on(target, lambda c: plan(c, doc, prune=True))
    assert sorted((c.kind, c.key) for c in pruned.changes) == [
        ("parameters", "LEFTOVER"), ("users", "124"), ("users", "170"),
    ]  # fmt: skip
    assert on(target, lambda c: apply(c, pruned)).ok
    after = on(target, lambda c: pull(c, "users,parameters,contacts"))
    assert "124" not in after["users"] and "170" not in after["users"]
    assert set(after["parameters"]) == set(copied["parameters"])
    assert "Not Managed" in after["contacts"]  # contacts are not in the file: left alone


def test_prune_never_deletes_the_default_group(source: Any) -> None:
    pruned = on(source, lambda c: plan(c, {"groups": {}}, prune=True))
    assert sorted(c.key for c in pruned.changes) == ["Engineering", "Finance", "Sales", "Support"]


def test_apply_stops_at_the_first_failure_and_says_what_was_not_applied(target: Any) -> None:
    doc = {
        "parameters": {"FIRST": {"Value": "1"}},
        "users": {"100": {"FirstName": "Ann"}},
        "queues": {"100": {"Name": "Clash"}},  # the number of the user above
        "contacts": {"Late Entry": {"FirstName": "Late", "LastName": "Entry"}},
    }
    result = on(target, lambda c: plan(c, doc))
    report = on(target, lambda c: apply(c, result))
    assert not report.ok
    assert [(c.kind, c.key) for c in report.applied] == [("parameters", "FIRST"), ("users", "100")]
    assert report.failed is not None and (report.failed.kind, report.failed.key) == (
        "queues",
        "100",
    )
    assert isinstance(report.error, ApiError) and report.error.status == 400
    assert [(c.kind, c.key) for c in report.skipped] == [("contacts", "Late Entry")]
    data = report.to_dict()
    assert data["ok"] is False and data["failed"] == {
        "kind": "queues",
        "key": "100",
        "op": "create",
    }


def test_a_reference_to_an_unknown_group_fails_before_sending(target: Any) -> None:
    doc = {"users": {"100": {"Groups": [{"Group": "Nowhere"}]}}}
    result = on(target, lambda c: plan(c, doc))
    report = on(target, lambda c: apply(c, result))
    assert isinstance(report.error, StateFileError)
    assert (
        str(report.error)
        == "users '100': Groups names groups 'Nowhere', which is neither on the PBX nor in the file."
    )
    assert report.applied == []


def test_secret_from_env_is_sent_and_masked_in_the_plan(target: Any) -> None:
    doc = {"users": {"130": {"FirstName": "Sec", "AuthPassword": "s3cr3t-from-env"}}}
    result = on(target, lambda c: plan(c, doc))
    assert result.to_dict()["changes"][0]["fields"]["AuthPassword"] == {
        "old": None,
        "new": "********",
    }
    assert on(target, lambda c: apply(c, result)).ok
    with sync_client(target) as pbx:
        assert (
            pbx.call("ListUser", filter="Number eq '130'")["value"][0]["AuthPassword"]
            == "s3cr3t-from-env"
        )
    assert on(target, lambda c: plan(c, doc)).changes == []


def test_two_objects_with_one_key_stop_the_pull(target: Any) -> None:
    with sync_client(target) as pbx:
        for _ in range(2):
            pbx.call(
                "CreateContact", body={"FirstName": "Sam", "LastName": "Twin", "CompanyName": "Dup"}
            )
    with pytest.raises(StateFileError) as err:
        on(target, lambda c: pull(c, "contacts"))
    assert str(err.value) == (
        "Two contacts on the PBX have the key 'Sam Twin (Dup)'; a file could not tell them apart.\n"
        "Rename one of them, or leave contacts out (--only)."
    )
    assert on(target, lambda c: pull(c, "users")) == {"users": {}}


def test_a_trunk_password_is_set_from_env_and_a_concealed_one_left_alone(target: Any) -> None:
    password = {"AuthPassword": {"Value": "pw-from-env"}}
    doc = {"trunks": {"10000": {"Gateway": {"Name": "T", "Host": "sip.example"}, **password}}}
    assert plan_and_apply(target, doc).ok
    with sync_client(target) as pbx:
        trunk = pbx.call("ListTrunk")["value"][0]
        assert trunk["AuthPassword"]["Value"] == "pw-from-env"
        assert on(target, lambda c: plan(c, doc)).changes == []
        # A PBX that conceals the password: nothing to compare, so no change is planned.
        pbx.call("UpdateTrunk", Id=trunk["Id"], body={"AuthPassword": {"Concealed": True}})
    assert on(target, lambda c: plan(c, doc)).changes == []
    doc["trunks"]["10000"]["Gateway"]["Host"] = "sip2.example"
    (change,) = on(target, lambda c: plan(c, doc)).changes
    assert list(change.fields) == ["Gateway"]


def test_a_contact_key_must_match_its_fields(target: Any) -> None:
    doc = {"contacts": {"Bob": {"FirstName": "Robert", "LastName": "Smith"}}}
    with pytest.raises(StateFileError) as err:
        on(target, lambda c: plan(c, doc))
    assert str(err.value) == (
        "contacts 'Bob': the key must be what its fields make of it, "
        "'Robert Smith' (FirstName LastName CompanyName)."
    )


def test_a_misspelled_field_is_a_plan_error_not_drift(target: Any) -> None:
    """Top level and nested, each with the field it probably meant; nothing is read."""
    doc = {
        "users": {
            "100": {
                "FirstNmae": "Alice",
                "ForwardingProfiles": [{"Name": "Available", "NoAnswerTimout": 20}],
                "Groups": [{"Group": "Sales", "Rigths": {}}],
            }
        },
        "office_hours": {"Timezoneid": "51"},
        "outbound_rules": {"UK": {"Routes": [{"Trunk": "10000", "Prepnd": "+44"}]}},
    }
    target.clear_requests()
    with pytest.raises(StateFileError) as err:
        on(target, lambda c: plan(c, doc))
    assert err.value.message == (
        "5 fields the PBX does not know:\n"
        "  - users '100': FirstNmae: unknown property (did you mean FirstName?)\n"
        "  - users '100': ForwardingProfiles[0].NoAnswerTimout: unknown property "
        "(did you mean NoAnswerTimeout?)\n"
        "  - users '100': Groups[0].Rigths: unknown property (did you mean Rights?)\n"
        "  - office_hours: Timezoneid: unknown property (did you mean TimeZoneId?)\n"
        "  - outbound_rules 'UK': Routes[0].Prepnd: unknown property (did you mean Prepend?)"
    )
    assert err.value.hint == "Fix the spelling; `3cx state pull` writes every field a kind has."
    assert err.value.exit_code == 3
    # Only the release was asked (which schema applies), no object read.
    assert {r["path"] for r in target.requests if r["path"].startswith("/xapi/")} == {
        "/xapi/v1/Defs"
    }


def test_a_fleet_checks_a_files_fields_once_per_release_and_a_bad_file_every_time(
    target: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CheckedFields`` (what ``3cx --fleet`` plans share): a document that passed
    against a release's catalog is not checked again; one that failed fails each time,
    with the same message."""
    plan_module = importlib.import_module("tcxkit.state.plan")  # the module, not the function
    calls: list[int] = []
    real = plan_module.check_fields

    def counted(doc: dict[str, Any], cat: Any) -> None:
        calls.append(id(doc))
        real(doc, cat)

    monkeypatch.setattr(plan_module, "check_fields", counted)
    good = {"users": {"100": {"FirstName": "Alice"}}}
    bad = {"users": {"100": {"FirstNmae": "Alice"}}}
    checked = plan_module.CheckedFields()
    for _ in range(3):
        on(target, lambda c: plan(c, good, checked=checked))
    assert calls == [id(good)]
    messages = []
    for _ in range(2):
        with pytest.raises(StateFileError) as err:
            on(target, lambda c: plan(c, bad, checked=checked))
        messages.append(err.value.message)
    assert calls == [id(good), id(bad), id(bad)]
    assert (
        messages
        == [
            "1 field the PBX does not know:\n"
            "  - users '100': FirstNmae: unknown property (did you mean FirstName?)"
        ]
        * 2
    )


def test_references_by_key_and_bare_members_are_known_fields(target: Any) -> None:
    doc = {
        "users": {"100": {"Groups": [{"Group": "DEFAULT", "Rights": {"RoleName": "users"}}]}},
        "queues": {"800": {"Agents": ["100", {"Number": "101", "SkillGroup": "1"}]}},
        "outbound_rules": {"UK": {"GroupIds": ["DEFAULT"], "Routes": [{"Trunk": "10000"}]}},
    }
    on(target, lambda c: plan(c, doc))  # no StateFileError for Group, Trunk or "100"
