"""Every event type over real HTTP: the change is made on the emulated PBX, then
``3cx events watch`` reports it once, with the documented fields."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from tcxkit.events.model import EVENT_TYPES

from .conftest import Cli, Pbx

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def _watch(tcx: Cli, cursor: Path, *extra: str) -> list[dict[str, Any]]:
    code, out, err = tcx("events", "watch", "--once", "--cursor", str(cursor), *extra)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _check(event: dict[str, Any], type_: str, pbx: Pbx) -> dict[str, Any]:
    assert set(event) == {"id", "type", "time", "pbx", "data"}
    assert event["type"] == type_
    assert re.fullmatch(r"evt_[0-9a-f]{32}", event["id"])
    assert ISO.match(event["time"]), event["time"]
    assert event["time"].endswith("-10:00"), event["time"]  # the PBX's zone: Honolulu
    assert event["pbx"] == pbx.url.split("//")[1]
    return event["data"]


def test_calls_started_ended_missed(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    assert _watch(tcx, cursor) == []  # the first run takes the baseline only
    queue_call = pbx.start_call("+441134960371", "800")
    direct = pbx.start_call("+442079460958", "102")
    started = _watch(tcx, cursor)
    assert [e["type"] for e in started] == ["call.started", "call.started"]
    data = _check(started[0], "call.started", pbx)
    assert {d["data"]["active_call_id"] for d in started} == {queue_call, direct}
    assert set(data) == {"active_call_id", "caller", "callee", "status"}

    missed_id = pbx.end_call(queue_call, answered=False)
    answered_id = pbx.end_call(direct, answered=True)
    events = _watch(tcx, cursor)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_type.setdefault(e["type"], []).append(e)
    assert sorted(by_type) == ["call.ended", "call.missed"]
    assert len(by_type["call.ended"]) == 2 and len(by_type["call.missed"]) == 1
    missed = _check(by_type["call.missed"][0], "call.missed", pbx)
    assert missed["call_id"] == missed_id
    assert missed["answered"] is False and missed["answered_by"] is None
    assert missed["missed_at"] == {"dn": "800", "number": "800", "name": "Sales Queue",
                                   "type": "Queue"}  # fmt: skip
    assert missed["from"]["number"] == "+441134960371"
    ended = {e["data"]["call_id"]: e["data"] for e in by_type["call.ended"]}
    taken = ended[answered_id]
    assert taken["answered"] is True
    assert taken["answered_by"]["dn"] == "102"
    assert taken["direction"] == "Inbound"
    assert len(taken["legs"]) == 1 and taken["legs"][0]["answered"] is True
    for key in ("started", "ended"):
        assert ISO.match(taken[key])
    assert _watch(tcx, cursor) == []  # reported once


def test_queue_call_answered_by_an_agent_is_not_missed(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    _watch(tcx, cursor, "--type", "call.ended", "--type", "call.missed")
    call = pbx.start_call("+441614960112", "800")
    call_id = pbx.end_call(call, answered=True, by="108")
    events = _watch(tcx, cursor, "--type", "call.ended", "--type", "call.missed")
    assert [e["type"] for e in events] == ["call.ended"]
    data = events[0]["data"]
    assert data["call_id"] == call_id
    assert data["answered_by"]["dn"] == "108"
    assert [leg["to"]["dn"] for leg in data["legs"]] == ["800", "108"]
    assert data["legs"][1]["via"] == "800"


def test_registrations_and_trunks(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    types = ("--type", "dn.registered", "--type", "dn.unregistered", "--type", "trunk.up",
             "--type", "trunk.down")  # fmt: skip
    pbx.register("103", True)  # the demo registers phones at random: start from a known state
    assert _watch(tcx, cursor, *types) == []
    pbx.register("103", False)
    pbx.trunk("10001", False)
    down = _watch(tcx, cursor, *types)
    assert [e["type"] for e in down] == ["dn.unregistered", "trunk.down"]
    assert _check(down[0], "dn.unregistered", pbx) == {
        "number": "103", "name": "David Dunn", "registered": False,
    }  # fmt: skip
    assert _check(down[1], "trunk.down", pbx) == {
        "number": "10001", "name": "Twilio Elastic SIP", "online": False,
    }  # fmt: skip
    pbx.register("103", True)
    pbx.trunk("10001", True)
    up = _watch(tcx, cursor, *types)
    assert [(e["type"], e["data"]["number"]) for e in up] == [
        ("dn.registered", "103"), ("trunk.up", "10001"),
    ]  # fmt: skip
    assert _watch(tcx, cursor, *types) == []


def test_since_reports_recent_calls_on_the_first_run(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    call_id = pbx.call("+441134960371", "104", answered=False)
    events = _watch(tcx, tmp_path / "c.sqlite", "--since", "1h", "--type", "call.missed")
    assert call_id in [e["data"]["call_id"] for e in events]
    assert {e["type"] for e in events} == {"call.missed"}


#: How each type is caused on the PBX, in the order the live test causes them.
LIVE = ("call.started", "call.ended", "call.missed", "dn.unregistered", "dn.registered",
        "dn.status_changed", "queue.agent_logged_in", "queue.agent_logged_out", "trunk.down",
        "trunk.up", "backup.completed", "backup.failed", "license.expiring", "system.alert")  # fmt: skip


def test_every_type_arrives_once_within_its_interval_plus_one_second(
    tcx: Cli, pbx: Pbx, xapi: Any, tmp_path: Path
) -> None:
    """Each change is injected over HTTP while ``watch`` runs (every source every 0.5 s);
    its event must be printed within 0.5 + 1 s, once, with the documented fields."""
    from datetime import UTC, datetime, timedelta

    assert set(LIVE) == set(EVENT_TYPES)
    cursor = tmp_path / "cursor.sqlite"
    user = xapi.call("ListUser", filter="Number eq '104'", select=["Id"])["value"][0]["Id"]
    xapi.call("UpdateUser", Id=user, body={"CurrentProfileName": "Available"})
    pbx.agent("800", "104", False)
    pbx.register("105", True)
    pbx.license("2099-01-01T00:00:00Z")
    _watch(tcx, cursor)  # baseline
    proc = tcx.spawn("events", "watch", "--interval", "0.5", "--cursor", str(cursor))
    seen: list[dict[str, Any]] = []
    delays: dict[str, float] = {}

    def expect(type_: str, cause: Any, timed: bool = True) -> None:
        cause()  # the change is on the PBX once its request is answered: the clock starts
        began = time.monotonic()
        while True:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, proc.stderr.read() if proc.stderr else "watch ended"
            seen.append(json.loads(line))
            if seen[-1]["type"] == type_:
                break
        if timed:
            delays[type_] = time.monotonic() - began
            assert delays[type_] <= 0.5 + 1.0, (type_, delays[type_])

    soon = (datetime.now(UTC) + timedelta(days=20, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    call: list[int] = []
    try:
        # Untimed: the child's start-up (imports, token, zone) is no detection delay.
        expect("trunk.down", lambda: pbx.trunk("10000", False), timed=False)

        def update(body: dict[str, Any]) -> Any:
            return xapi.call("UpdateUser", Id=user, body=body)

        failed = {"backups": {"add": [{"age_hours": 0, "failed": True}]}}
        causes = {
            "call.started": lambda: call.append(pbx.start_call("+441134960371", "800")),
            "call.ended": lambda: pbx.end_call(call[0], answered=False),
            "call.missed": lambda: None,  # the same poll as call.ended
            "dn.unregistered": lambda: pbx.register("105", False),
            "dn.registered": lambda: pbx.register("105", True),
            "dn.status_changed": lambda: update({"CurrentProfileName": "Away"}),
            "queue.agent_logged_in": lambda: pbx.agent("800", "104", True),
            "queue.agent_logged_out": lambda: pbx.agent("800", "104", False),
            "trunk.down": lambda: pbx.trunk("10001", False),
            "trunk.up": lambda: pbx.trunk("10001", True),
            "backup.completed": lambda: xapi.call("Backup", body={"description": {"Name": "l"}}),
            "backup.failed": lambda: pbx.health(failed),
            "license.expiring": lambda: pbx.license(soon),
            "system.alert": lambda: pbx.log("Error", "Backup failed: no space left", EventId=4101),
        }
        for type_ in LIVE:
            expect(type_, causes[type_])
    finally:
        proc.kill()
        rest, _ = proc.communicate()
        pbx.trunk("10000", True)
        pbx.license("2099-01-01T00:00:00Z")
    seen += [json.loads(line) for line in rest.splitlines()]
    assert sorted(e["type"] for e in seen) == sorted(["trunk.down", *LIVE])  # each once
    assert len({e["id"] for e in seen}) == len(seen)
    for event in seen:
        _check(event, event["type"], pbx)
    print("detection delay per type, s:", {t: round(d, 2) for t, d in delays.items()})


def test_an_unreachable_pbx_is_the_error_of_a_once_run(tcx: Cli, tmp_path: Path) -> None:
    code, out, err = tcx(
        "events", "watch", "--once", "--cursor", str(tmp_path / "c.sqlite"),
        env={"TCX_URL": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert (code, out) == (4, "")
    assert "cannot connect: Cannot connect to http://127.0.0.1:9/connect/token" in err


def test_a_failing_poll_is_retried_at_the_source_interval(tcx: Cli, pbx: Pbx) -> None:
    from tcxkit import Client
    from tcxkit.errors import TransportError
    from tcxkit.events import SqliteCursorStore, Watcher, sources_for

    with Client("http://127.0.0.1:9", "x", "y", timeout=1, retries=0) as client:
        watcher = Watcher(SqliteCursorStore(), "p", "k", sources_for(["trunk.up"]), client=client)
        try:
            watcher.poll_due()
        except TransportError:
            pass
        else:
            raise AssertionError("the poll should have failed")
        assert watcher.seconds_to_next() > 25  # trunks: 30 s, not "now"


def test_status_and_queue_login_changes_made_through_xapi(
    tcx: Cli, pbx: Pbx, xapi: Any, tmp_path: Path
) -> None:
    cursor = tmp_path / "cursor.sqlite"
    types = ("--type", "dn.status_changed", "--type", "queue.agent_logged_in",
             "--type", "queue.agent_logged_out")  # fmt: skip
    user = xapi.call("ListUser", filter="Number eq '104'", select=["Id"])["value"][0]
    xapi.call("UpdateUser", Id=user["Id"], body={"CurrentProfileName": "Available",
                                                  "QueueStatus": "LoggedOut"})  # fmt: skip
    assert _watch(tcx, cursor, *types) == []
    xapi.call("UpdateUser", Id=user["Id"], body={"CurrentProfileName": "Away",
                                                  "QueueStatus": "LoggedIn"})  # fmt: skip
    events = _watch(tcx, cursor, *types)
    assert [(e["type"], e["data"]) for e in events] == [
        ("dn.status_changed", {"number": "104", "name": "Emma Evans", "status": "Away",
                               "previous": "Available"}),
        ("queue.agent_logged_in", {"number": "104", "name": "Emma Evans",
                                   "queue_status": "LoggedIn"}),
    ]  # fmt: skip
    _check(events[0], "dn.status_changed", pbx)
    xapi.call("UpdateUser", Id=user["Id"], body={"QueueStatus": "LoggedOut"})
    assert [e["type"] for e in _watch(tcx, cursor, *types)] == ["queue.agent_logged_out"]
    assert _watch(tcx, cursor, *types) == []


def test_backup_completed_made_through_xapi(tcx: Cli, pbx: Pbx, xapi: Any, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    assert _watch(tcx, cursor, "--type", "backup.completed") == []
    xapi.call("Backup", body={"description": {"Name": "events-test"}})
    events = _watch(tcx, cursor, "--type", "backup.completed")
    assert len(events) == 1
    data = _check(events[0], "backup.completed", pbx)
    assert data["file_name"].startswith("events-test") and data["size"] > 0
    assert data["created"] == events[0]["time"]
    assert _watch(tcx, cursor, "--type", "backup.completed") == []


def test_a_failed_backup_is_backup_failed(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    """A backup run that died leaves an empty archive in the PBX's list (injected through
    the emulator's backup fault control): ``backup.failed``, not ``backup.completed``."""
    cursor = tmp_path / "cursor.sqlite"
    types = ("--type", "backup.completed", "--type", "backup.failed")
    assert _watch(tcx, cursor, *types) == []
    pbx.health({"backups": {"add": [{"age_hours": 0, "failed": True}]}})
    (event,) = _watch(tcx, cursor, *types)
    data = _check(event, "backup.failed", pbx)
    assert data["size"] == 0 and data["file_name"].startswith("backup-")
    assert data["reason"] == "the archive is 0 bytes: empty or truncated"
    assert data["created"] == event["time"]
    assert _watch(tcx, cursor, *types) == []


def test_a_zone_the_pbx_will_not_tell_is_refused_with_the_fix(
    tcx: Cli, pbx: Pbx, tmp_path: Path
) -> None:
    pbx.fault({"operation": "GetOfficeHours", "status": 403})
    try:
        code, out, err = tcx("events", "watch", "--once", "--type", "trunk.down")
        assert (code, out) == (2, "")
        assert "3cx: usage error: The PBX's time zone could not be learnt: " in err
        assert "Give the PBX's IANA zone (e.g. Europe/London): 3cx events --tz" in err
        pbx.trunk("10000", False)
        cursor = tmp_path / "c.sqlite"
        _watch(tcx, cursor, "--type", "trunk.up", "--tz", "Europe/Paris")
        pbx.trunk("10000", True)
        (up,) = _watch(tcx, cursor, "--type", "trunk.up", "--tz", "Europe/Paris")
        assert up["time"].endswith("+01:00")  # December in Paris
    finally:
        pbx.fault(None)
        pbx.trunk("10000", True)
    code, _, err = tcx("events", "watch", "--once", "--tz", "Mars/Olympus")
    assert code == 2 and "Unknown time zone 'Mars/Olympus' (from --tz)." in err
    # The host's own zone is no PBX's: refused, never used in silence.
    code, out, err = tcx("events", "watch", "--once", "--tz", "localtime")
    assert (code, out) == (2, "") and "Unknown time zone 'localtime' (from --tz)." in err


def test_system_alerts_from_the_event_log(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    assert _watch(tcx, cursor, "--type", "system.alert") == []
    error = pbx.log("Error", "Backup failed: no space left", Source="Backup", EventId=4101)
    pbx.log("Info", "Nightly cleanup done")
    warning = pbx.log("Warning", "Trunk 10001 registration slow")
    events = _watch(tcx, cursor, "--type", "system.alert")
    assert [e["data"]["log_id"] for e in events] == [error, warning]
    data = _check(events[0], "system.alert", pbx)
    assert data == {"log_id": error, "event_id": 4101, "severity": "Error", "source": "Backup",
                    "group": "", "message": "Backup failed: no space left", "params": []}  # fmt: skip
    assert _watch(tcx, cursor, "--type", "system.alert") == []


def test_license_expiring_once_per_threshold(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    cursor = tmp_path / "cursor.sqlite"
    soon = (datetime.now(UTC) + timedelta(days=20, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        pbx.license(soon)
        events = _watch(tcx, cursor, "--type", "license.expiring")
        assert [e["data"]["threshold_days"] for e in events] == [30]
        data = _check(events[0], "license.expiring", pbx)
        assert data["days_left"] == 20 and data["product_code"] == "3CXPSENT20"
        assert _watch(tcx, cursor, "--type", "license.expiring") == []  # once per threshold
        sooner = (datetime.now(UTC) + timedelta(days=5, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pbx.license(sooner)
        events = _watch(tcx, cursor, "--type", "license.expiring")
        assert [e["data"]["threshold_days"] for e in events] == [7]
    finally:
        pbx.license("2099-01-01T00:00:00Z")


def test_more_new_calls_than_one_page(tcx: Cli, pbx: Pbx, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.sqlite"
    _watch(tcx, cursor, "--type", "call.ended")
    made = [pbx.call(f"+44113496{i:04d}", "101", answered=True) for i in range(110)]
    events = _watch(tcx, cursor, "--type", "call.ended")
    assert sorted(e["data"]["call_id"] for e in events) == made  # pages of 100, none lost
    assert _watch(tcx, cursor, "--type", "call.ended") == []


def test_two_runs_on_one_cursor_file_are_refused(tcx: Cli, tmp_path: Path) -> None:
    from tcxkit.events import SqliteCursorStore

    cursor = tmp_path / "cursor.sqlite"
    with SqliteCursorStore(cursor, exclusive=True):
        code, out, err = tcx("events", "watch", "--once", "--cursor", str(cursor))
    assert (code, out) == (2, "")
    assert f"Another process is using the event cursor store {cursor}" in err
    assert "give this run its own --cursor FILE" in err
