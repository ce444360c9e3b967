"""``3cx health``: every check driven to pass, warn and fail on an emulated PBX over real
HTTP (``/emulator/pbx-health`` for what XAPI cannot set, XAPI for the rest), asserting
the status, the evidence read and the exit code (0 healthy, 1 warnings, 2 failures)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit import Client
from tcxkit.emulator import EmulatorConfig, running
from tcxkit.health import CHECKS

from .conftest import SECRET, Runner

#: The healthy model (what the demo PBX starts with), restored after every test.
HEALTHY: dict[str, Any] = {
    "licence": {"expires_in_days": 300, "maintenance_expires_in_days": 300, "active": True},
    "disk": {"used_percent": 23},
    "recordings": {"used_percent": 12.5, "stopped": False},
    "services": {"3CXQueueManager01": "Running", "postgresql": "Running"},
    "updates": {"offered": None, "other": 0},
    "certificate": {"expires_in_days": 74},
    "trunks": {"BT SIP Trunk": True, "Twilio Elastic SIP": True},
    "backups": {"clear": True, "add": [{"age_hours": 30}, {"age_hours": 200}]},
    "backup_settings": {"encrypt": True, "schedule": True, "repository": "Sftp"},
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    """This module's own PBX: its tests change its health (the session's stays healthy)."""
    config = EmulatorConfig(client_id="cli-tests", client_secret=SECRET, data="demo")
    with running(config) as emu:
        yield emu


class Pbx:
    """Drives the emulated PBX: the control endpoint and XAPI writes."""

    def __init__(self, emu: Any, tmp: Path) -> None:
        self.emu = emu
        self.client = Client(emu.url, emu.client_id, SECRET, token_cache=tmp / "tokens")
        self.changed: set[str] = set()
        self.routes: list[Any] = []

    def control(self, body: dict[str, Any]) -> dict[str, Any]:
        self.changed.add("control")
        r = httpx.patch(
            self.emu.url + "/emulator/pbx-health", json=body, auth=self.emu.control_auth
        )
        assert r.status_code == 200, r.text
        return r.json()

    def call(self, action: str, **params: Any) -> Any:
        self.changed.add(action)
        return self.client.call(action, **params)

    def restore(self) -> None:
        """Undo what the test changed (only that: each restore costs requests)."""
        changed, self.changed = self.changed, set()
        if "control" in changed:
            self.control(HEALTHY)
        if "UpdateConsoleRestrictions" in changed:
            self.call("UpdateConsoleRestrictions", body={"AccessRestricted": True,
                      "IpWhitelist": ["198.51.100.7", "203.0.113.0/24"]})  # fmt: skip
        if "UpdateSecureSipSettings" in changed:
            self.control({"certificate": {"expires_in_days": 74}})
        if "UpdateAntiHackingSettings" in changed:
            self.call("UpdateAntiHackingSettings", body={"SecurityDefenseProgram": True,
                      "HackAuthRequests": 5, "HackBlacklistDuration": 86400})  # fmt: skip
        if "2fa" in changed:
            self.set_owner_2fa(True)
        if "emergency" in changed:
            self.emergency(EmergencyRule=True, Routes=self.routes)
        if "principal" in changed:
            for row in self.client.call("ListServicePrincipal")["value"]:
                if row["Number"].startswith("sp-"):
                    self.client.call("DeleteServicePrincipal", id=row["Id"])

    def principal(self, role: str, last_used: str | None) -> None:
        """An API client with ``role`` in the default group, last used then (None: never)."""
        self.changed.add("principal")
        group = self.client.call("ListGroup", top=1, select=["Id"])["value"][0]["Id"]
        body = {"Number": f"sp-{role}", "XAPIEnabled": True, "LastUsed": last_used,
                "Groups": [{"GroupId": group, "Rights": {"RoleName": role}}]}  # fmt: skip
        self.client.call("CreateServicePrincipal", body=body)

    def set_owner_2fa(self, required: bool) -> None:
        self.changed.add("2fa")
        owner = self.client.call("ListUser", filter="Number eq '100'", select=["Id"])["value"][0]
        self.client.call("UpdateUser", id=owner["Id"], body={"Require2FA": required})

    def emergency(self, **change: Any) -> None:
        self.changed.add("emergency")
        for rule in self.client.call("ListOutboundRule")["value"]:
            if rule["Name"] == "Emergency":
                self.routes = self.routes or rule["Routes"]
                self.client.call("UpdateOutboundRule", id=rule["Id"], body=change)


@pytest.fixture(scope="module")
def driver(emulator: Any, tmp_path_factory: Any) -> Iterator[Pbx]:
    """One driver (and client) for the module: a client's first call costs its set-up."""
    made = Pbx(emulator, tmp_path_factory.mktemp("driver"))
    try:
        yield made
    finally:
        made.client.close()


@pytest.fixture
def pbx(driver: Pbx) -> Iterator[Pbx]:
    """The driver; what the test changed is undone after it."""
    try:
        yield driver
    finally:
        driver.restore()


Setup = Callable[[Pbx], Any]

#: (check, how to get there, status, evidence the JSON report must hold).
CASES: list[tuple[str, Setup, str, dict[str, Any]]] = [
    ("licence_expiry", lambda p: p.control({"licence": {"expires_in_days": 300}}), "pass",
     {"days_left": 300.0}),
    ("licence_expiry", lambda p: p.control({"licence": {"expires_in_days": 20}}), "warn",
     {"days_left": 20.0}),
    ("licence_expiry", lambda p: p.control({"licence": {"expires_in_days": 3}}), "fail",
     {"days_left": 3.0}),
    ("licence_expiry", lambda p: p.control({"licence": {"active": False}}), "fail",
     {"LicenseActive": False}),
    ("maintenance_expiry", lambda p: p.control({"licence": {"maintenance_expires_in_days": 90}}),
     "pass", {"days_left": 90.0}),
    ("maintenance_expiry", lambda p: p.control({"licence": {"maintenance_expires_in_days": 10}}),
     "warn", {"days_left": 10.0}),
    ("maintenance_expiry", lambda p: p.control({"licence": {"maintenance_expires_in_days": -5}}),
     "fail", {"days_left": -5.0}),
    # Set, not assumed: the demo's own backups are dated 02:00, so their age depends on
    # the hour the suite runs, and another case may have run first on this PBX.
    ("backup_age", lambda p: p.control({"backups": HEALTHY["backups"]}), "pass",
     {"age_hours": 30.0}),
    ("backup_age", lambda p: p.control({"backups": {"clear": True, "add": [{"age_hours": 60}]}}),
     "warn", {"age_hours": 60.0}),
    ("backup_age", lambda p: p.control({"backups": {"clear": True, "add": [{"age_hours": 200}]}}),
     "fail", {"age_hours": 200.0}),
    ("backup_failures", lambda p: None, "pass", {"broken": [], "ScheduleEnabled": True}),
    ("backup_failures", lambda p: p.control({"backups": {"add": [{"age_hours": 100,
     "failed": True}]}}), "warn", {"listed": 3}),
    ("backup_failures", lambda p: p.control({"backups": {"add": [{"age_hours": 1,
     "failed": True}]}}), "fail", {"listed": 3}),
    ("backup_failures", lambda p: p.control({"backup_settings": {"schedule": False}}), "warn",
     {"ScheduleEnabled": False, "broken": []}),
    ("backup_protection", lambda p: None, "pass", {"EncryptBackup": True,
     "FileSystemType": "Sftp"}),
    ("backup_protection", lambda p: p.control({"backup_settings": {"encrypt": False}}), "warn",
     {"EncryptBackup": False}),
    ("backup_protection", lambda p: p.control({"backup_settings": {"encrypt": False,
     "repository": "Local"}}), "fail", {"EncryptBackup": False, "FileSystemType": "Local"}),
    ("disk_space", lambda p: None, "pass", {"used_percent": 23.0}),
    ("disk_space", lambda p: p.control({"disk": {"used_percent": 85}}), "warn",
     {"used_percent": 85.0}),
    ("disk_space", lambda p: p.control({"disk": {"used_percent": 97}}), "fail",
     {"used_percent": 97.0}),
    ("recordings_storage", lambda p: None, "pass", {"used_percent": 12.5}),
    ("recordings_storage", lambda p: p.control({"recordings": {"used_percent": 90}}), "warn",
     {"used_percent": 90.0}),
    ("recordings_storage", lambda p: p.control({"recordings": {"stopped": True}}), "fail",
     {"RecordingStopped": True}),
    ("services", lambda p: None, "pass", {"services": 9, "not_running": []}),
    ("services", lambda p: p.control({"services": {"3CXQueueManager01": "Stopped"}}), "fail",
     {"not_running": ["3CXQueueManager01"]}),
    ("updates", lambda p: None, "pass", {"pending": [], "releases_behind": 0}),
    ("updates", lambda p: p.control({"updates": {"offered": "20.0.11.100"}}), "warn",
     {"offered": "20.0.11.100", "releases_behind": 1}),
    ("updates", lambda p: p.control({"updates": {"offered": "20.0.12.100"}}), "fail",
     {"offered": "20.0.12.100", "releases_behind": 2}),
    ("trunk_registration", lambda p: None, "pass", {"trunks": 2, "unregistered": []}),
    ("trunk_registration", lambda p: p.control({"trunks": {"BT SIP Trunk": False}}), "fail",
     {"unregistered": ["BT SIP Trunk"]}),
    ("certificate_expiry", lambda p: None, "pass", {}),
    ("certificate_expiry", lambda p: p.control({"certificate": {"expires_in_days": 14}}),
     "warn", {}),
    ("certificate_expiry", lambda p: p.control({"certificate": {"expires_in_days": -1}}),
     "fail", {}),
    ("certificate_expiry", lambda p: p.call("UpdateSecureSipSettings", body={"Certificate": {
     "Concealed": True, "Contents": None, "Name": "pbx.crt"}}), "unknown", {"certificates": [
     {"certificate": "TLS pbx.crt (concealed by the PBX)", "not_after": None,
      "days_left": None}]}),
    ("emergency_numbers", lambda p: None, "pass", {"rules": [{"Name": "Emergency",
     "Prefix": "999"}]}),
    ("emergency_numbers", lambda p: p.emergency(Routes=[]), "warn", {}),
    ("emergency_numbers", lambda p: p.emergency(EmergencyRule=False), "fail", {"rules": []}),
    ("console_restrictions", lambda p: None, "pass", {"AccessRestricted": True}),
    ("console_restrictions", lambda p: p.call("UpdateConsoleRestrictions",
     body={"AccessRestricted": False}), "warn", {"AccessRestricted": False}),
    ("console_restrictions", lambda p: p.call("UpdateConsoleRestrictions",
     body={"AccessRestricted": True, "IpWhitelist": []}), "fail", {"IpWhitelist": []}),
    ("anti_hacking", lambda p: None, "pass", {"SecurityDefenseProgram": True}),
    ("anti_hacking", lambda p: p.call("UpdateAntiHackingSettings",
     body={"HackAuthRequests": 100}), "warn", {"HackAuthRequests": 100}),
    ("anti_hacking", lambda p: p.call("UpdateAntiHackingSettings",
     body={"SecurityDefenseProgram": False}), "fail", {"SecurityDefenseProgram": False}),
    ("admin_2fa", lambda p: None, "pass", {"admins": ["100"], "without_2fa": []}),
    ("admin_2fa", lambda p: p.set_owner_2fa(False), "fail", {"without_2fa": ["100"]}),
    ("api_principals", lambda p: p.principal("users", None), "pass", {"broad": []}),
    ("api_principals", lambda p: p.principal("system_admins", None), "warn",
     {"broad": ["sp-system_admins"], "unused_owners": []}),
    ("api_principals", lambda p: p.principal("system_owners", "2026-01-01T00:00:00Z"), "fail",
     {"unused_owners": ["sp-system_owners"]}),
]  # fmt: skip

EXIT = {"pass": 0, "warn": 1, "unknown": 1, "fail": 2}


def _ids() -> list[str]:
    return [f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize(("check", "setup", "status", "evidence"), CASES, ids=_ids())
def test_each_check(
    run: Runner, pbx: Pbx, check: str, setup: Setup, status: str, evidence: dict[str, Any]
) -> None:
    setup(pbx)
    r = run("health", "--only", check, "-o", "json")
    assert r.code == EXIT[status], r.out + r.err
    doc = r.json()
    assert doc["status"] == status and doc["errors"] == []
    (result,) = doc["pbxs"][0]["checks"]
    assert (result["check"], result["status"]) == (check, status), result
    assert result["severity"] == CHECKS[check].severity
    assert result["fix"] == CHECKS[check].fix and result["summary"]
    for key, value in evidence.items():
        assert result["evidence"][key] == value, result


def test_every_check_is_driven_to_fail_and_pass(pbx: Pbx) -> None:
    covered = {(c, s) for c, _f, s, _e in CASES}
    for name in CHECKS:
        assert {(name, "pass"), (name, "fail")} <= covered, name


def test_certificate_days_come_from_the_pem(run: Runner, pbx: Pbx) -> None:
    pbx.control({"certificate": {"expires_in_days": 14}})
    (result,) = run("health", "--only", "certificate_expiry", "-o", "json").json()["pbxs"][0][
        "checks"
    ]
    (cert,) = result["evidence"]["certificates"]
    assert cert["certificate"] == "TLS acme.3cx.example.crt"
    assert 13.9 <= cert["days_left"] <= 14.0


def test_an_unreadable_check_is_unknown_and_warns(run: Runner, pbx: Pbx, emulator: Any) -> None:
    auth = emulator.control_auth
    rule = {"operation": "ListServiceInfo", "status": 403, "times": 1}
    assert httpx.post(emulator.url + "/emulator/faults", json=rule, auth=auth).status_code == 200
    try:
        r = run("health", "--only", "services,disk_space", "-o", "json")
    finally:
        httpx.delete(emulator.url + "/emulator/faults", auth=auth)
    assert r.code == 1
    by_name = {c["check"]: c for c in r.json()["pbxs"][0]["checks"]}
    assert by_name["services"]["status"] == "unknown"
    assert by_name["services"]["evidence"] == {"read": "services", "error": "PermissionDeniedError"}
    assert by_name["disk_space"]["status"] == "pass"


def test_the_whole_run_is_worst_first_and_reads_each_action_once(
    run: Runner, pbx: Pbx, emulator: Any
) -> None:
    pbx.control({"disk": {"used_percent": 85}, "trunks": {"BT SIP Trunk": False}})
    httpx.delete(emulator.url + "/emulator/requests", auth=emulator.control_auth)
    r = run("health", "-o", "json")
    assert r.code == 2
    checks = r.json()["pbxs"][0]["checks"]
    assert [c["status"] for c in checks[:2]] == ["fail", "warn"]
    assert [c["check"] for c in checks[:2]] == ["trunk_registration", "disk_space"]
    assert len(checks) == len(CHECKS)
    log = httpx.get(emulator.url + "/emulator/requests", auth=emulator.control_auth).json()
    paths = [e["path"] for e in log if e["path"].startswith("/xapi/")]
    assert len(paths) == len(set(paths)) == 14  # fourteen reads feed sixteen checks


#: The reads the health model answers, and the schema of each answer's rows or object.
_ANSWERS = {
    "ListServiceInfo": "Pbx.ServiceInfo",
    "GetUpdates": "Pbx.UpdateList",
    "GetBackupSettings": "Pbx.BackupSettings",
    "GetBackupRepositorySettings": "Pbx.BackupRepositorySettings",
    "GetSecureSipSettings": "Pbx.SecureSipSettings",
    "GetEmergencyOutboundRules": "Pbx.OutboundRule",
    "GetSystemStatus": "Pbx.SystemStatus",
}


def test_the_health_model_answers_within_the_spec(pbx: Pbx) -> None:
    """What the model answers is schema-valid, healthy and changed alike."""
    from tcxkit.catalog import catalog
    from tcxkit.emulator.validate import Validator
    from tcxkit.results import items_of

    pbx.control({"services": {"postgresql": "Stopped"}, "updates": {"offered": "20.0.12.1",
                 "other": 2}, "certificate": {"expires_in_days": None}})  # fmt: skip
    schemas = catalog("20.0.10").schemas
    validator = Validator(schemas)
    for action, schema in _ANSWERS.items():
        answer = pbx.client.call(action)
        page = items_of(answer)
        for value in page.items if page else [answer]:
            value = {k: v for k, v in value.items() if not k.startswith("@odata")}
            assert validator.validate(schemas[schema], value) == [], (action, value)


def test_updates_reads_versions_as_the_catalog_reads_releases() -> None:
    """One release parser (:func:`tcxkit.catalog.release_key`): a version the catalog reads
    as 20.0.10 is 20.0.10 to the ``updates`` check too, whatever decorates it."""
    from datetime import UTC, datetime

    from tcxkit.catalog import release_key
    from tcxkit.health.checks_system import updates

    offered = {"OutOfDate": True, "Category": "3CX", "ServerVersion": "20.0.12.100", "Name": "3CX"}
    data = {"updates": {"Entries": [offered]}, "status": {"Version": "V20.0.10.1621"}}
    assert release_key("V20.0.10.1621") == (20, 0, 10)
    found = updates(data, {"fail_releases_behind": 2}, datetime.now(UTC))
    assert (found.status, found.evidence["releases_behind"]) == ("fail", 2)
    assert found.summary == "V20.0.10.1621 is 2 releases behind 20.0.12.100."


def test_the_health_control_takes_its_enums_from_the_catalog(pbx: Pbx) -> None:
    """Service states and backup locations are the release's own enums (its compiled
    catalog), not a copy: ``Logs`` is a ``Pbx.FileSystemType`` too, and a value no enum has
    is refused with the catalog's list."""
    from tcxkit.catalog import catalog

    schemas = catalog(pbx.emu.config.version).schemas
    statuses = ", ".join(schemas["Pbx.ServiceStatus"]["enum"])
    locations = ", ".join(schemas["Pbx.FileSystemType"]["enum"])
    assert "Logs" in locations
    assert pbx.control({"backup_settings": {"repository": "Logs"}})  # 200
    url, auth = pbx.emu.url + "/emulator/pbx-health", pbx.emu.control_auth
    for body, problem in [
        ({"services": {"postgresql": "Sleeping"}}, f"services: postgresql: one of {statuses}"),
        ({"backup_settings": {"repository": "Floppy"}},
         f"backup_settings: repository: one of {locations}"),
    ]:  # fmt: skip
        r = httpx.patch(url, json=body, auth=auth)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["message"].startswith(f"Bad health change: {problem}. Send e.g.")
