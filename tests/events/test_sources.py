"""The sans-I/O sources with hand-made rows, and the cursor store, without a PBX."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tcxkit.errors import ConfigurationError, UsageError
from tcxkit.events import (
    ActiveCallsSource,
    CallLogSource,
    Event,
    PollContext,
    SqliteCursorStore,
    UsersSource,
    sources_for,
)
from tcxkit.events.calls import assemble_call, seconds
from tcxkit.events.store import KEEP
from tcxkit.pbxzone import ZoneUnknownError

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CTX = PollContext("hq", "https://pbx.example.com", NOW)


def _seg(seg: int, call: int, answered: bool, dst: str = "800", dst_type: int = 1,
         indent: int = 0, start: str = "2026-03-10T11:00:00Z", **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "SegmentId": seg, "CallId": call, "CdrId": f"cdr-{call}", "StartTime": start,
        "Direction": "Inbound", "SourceDn": "10000", "SourceType": 5,
        "SourceCallerId": "+441134960371", "SourceDisplayName": "BT", "DestinationDn": dst,
        "DestinationType": dst_type, "DestinationCallerId": dst, "DestinationDisplayName": dst,
        "actionDnDn": "", "Answered": answered, "RingingDuration": "PT20S",
        "TalkingDuration": "PT1M5S" if answered else "PT0S", "Indent": indent, **extra,
    }  # fmt: skip


def test_call_log_baseline_then_only_new_segments() -> None:
    source = CallLogSource()
    first = source.queries(None, CTX)
    assert len(first.queries) == 1 and first.queries[0].params["top"] == 1
    polled = source.consume(None, [[{"SegmentId": 41}]], CTX)
    assert (polled.events, polled.state) == ([], {"segment": 41})
    query = source.queries(polled.state, CTX).queries[0]
    assert query.params["filter"] == "SegmentId gt 41"
    assert query.params["periodFrom"] == NOW - timedelta(hours=24)
    rows = [_seg(40, 1, False), _seg(42, 2, True), _seg(43, 2, True, "108", 0, 1),
            _seg(42, 2, True)]  # an old one, a call of two legs, a repeat across pages  # fmt: skip
    polled = source.consume({"segment": 41}, [rows], CTX)
    assert [e.type for e in polled.events] == ["call.ended"]
    assert polled.state == {"segment": 43}
    data = polled.events[0].data
    assert data["answered_by"]["dn"] == "108" and len(data["legs"]) == 2
    assert data["ended"] == "2026-03-10T11:01:25+00:00"  # start + 20 s ring + 65 s talk


def test_call_ids_are_stable_and_per_type() -> None:
    source = CallLogSource()
    a = source.consume({"segment": 0}, [[_seg(1, 7, False)]], CTX).events
    b = source.consume({"segment": 0}, [[_seg(1, 7, False)]], CTX).events
    assert [e.id for e in a] == [e.id for e in b]
    assert [e.type for e in a] == ["call.ended", "call.missed"] and a[0].id != a[1].id
    other = PollContext("renamed", "https://pbx.example.com", NOW + timedelta(hours=1))
    assert source.consume({"segment": 0}, [[_seg(1, 7, False)]], other).events[0].id == a[0].id


def test_outbound_unanswered_is_not_missed() -> None:
    row = _seg(1, 9, False, "10000", 5, Direction="Outbound")
    events = CallLogSource().consume({"segment": 0}, [[row]], CTX).events
    assert [e.type for e in events] == ["call.ended"]


def test_since_on_the_first_poll() -> None:
    ctx = PollContext("hq", "k", NOW, since=timedelta(hours=1))
    plan = CallLogSource().queries(None, ctx)
    assert plan.queries[1].params["periodFrom"] == NOW - timedelta(hours=1)
    polled = CallLogSource().consume(None, [[{"SegmentId": 5}], [_seg(5, 3, False)]], ctx)
    assert [e.type for e in polled.events] == ["call.ended", "call.missed"]
    assert polled.state == {"segment": 5}


def test_active_calls_baseline_and_new_ids() -> None:
    source = ActiveCallsSource()
    row = {"Id": 5, "Caller": "100", "Callee": "101", "Status": "Talking",
           "EstablishedAt": "2026-03-10T11:59:00Z"}  # fmt: skip
    first = source.consume(None, [[row]], CTX)
    assert first.events == []
    new = {**row, "Id": 6, "EstablishedAt": "2026-03-10T11:59:30Z"}
    polled = source.consume(first.state, [[row, new]], CTX)
    assert [e.data["active_call_id"] for e in polled.events] == [6]
    assert polled.events[0].time == "2026-03-10T11:59:30+00:00"
    since = PollContext("hq", "k", NOW, since=timedelta(minutes=5))
    assert len(source.consume(None, [[row]], since).events) == 1


def test_flag_source_reports_flips_only() -> None:
    source = UsersSource()
    rows = [{"Number": "100", "IsRegistered": True, "FirstName": "Alice", "LastName": "Archer"}]
    base = source.consume(None, [rows], CTX)
    assert base.events == []
    assert base.state == {"dns": {"100": {"IsRegistered": True, "CurrentProfileName": None,
                                          "QueueStatus": None}}}  # fmt: skip
    same = source.consume(base.state, [rows], CTX)
    assert same.events == []
    flipped = [{**rows[0], "IsRegistered": False}, {"Number": "199", "IsRegistered": False}]
    polled = source.consume(base.state, [flipped], CTX)
    assert [(e.type, e.data) for e in polled.events] == [
        ("dn.unregistered", {"number": "100", "name": "Alice Archer", "registered": False})
    ]  # a DN new since the last poll is no change


def test_durations_and_unknown_types() -> None:
    assert seconds("PT1H2M3.5S") == 3723.5 and seconds("P1D") == 86400
    assert seconds(None) == seconds("soon") == 0
    assert assemble_call([_seg(1, 1, True)])["talking_seconds"] == 65
    with pytest.raises(UsageError, match=r"Unknown event type 'call\.exploded'"):
        sources_for(["call.exploded"])
    assert [s.name for s in sources_for(["trunk.down"])] == ["trunks"]


def _event(n: int) -> Event:
    return Event(f"evt_{n}", "trunk.down", "2026-03-10T12:00:00+00:00", "hq", {"n": n})


def test_store_commits_events_with_state_and_dedupes(tmp_path: Path) -> None:
    path = tmp_path / "cursor.sqlite"
    with SqliteCursorStore(path) as store:
        assert store.load("hq", "trunks") is None
        assert store.commit("hq", "trunks", {"v": 1}, [_event(1), _event(2)]) == 2
        assert store.commit("hq", "trunks", {"v": 2}, [_event(2), _event(3)]) == 1
        assert store.load("hq", "trunks") == {"v": 2}
        pending = store.pending("relay", "hq")
        assert [e.id for _, e in pending] == ["evt_1", "evt_2", "evt_3"]
        store.ack("relay", "hq", pending[0][0])
        assert [e.id for _, e in store.pending("relay", "hq")] == ["evt_2", "evt_3"]
        assert len(store.pending("watch", "hq")) == 3  # positions are per consumer
        assert store.pending("relay", "other") == []
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with SqliteCursorStore(path) as again:  # a restart resumes
        assert [e.id for _, e in again.pending("relay", "hq")] == ["evt_2", "evt_3"]


def test_store_bodies_pass_the_one_redaction() -> None:
    with SqliteCursorStore() as store:
        leaky = Event("evt_s", "system.alert", "2026-03-10T09:00:00+00:00", "hq",
                      {"message": "m", "detail": {"Password": "hunter2"}})  # fmt: skip
        store.commit("hq", "s", {}, [leaky])
        [(_, got)] = store.pending("c", "hq")
        assert got.data == {"message": "m", "detail": {"Password": "********"}}


def test_store_keeps_the_newest_delivered_ids(tmp_path: Path) -> None:
    with SqliteCursorStore() as store:
        store.commit("hq", "s", {}, [_event(n) for n in range(KEEP + 5)])
        last = store.pending("c", "hq", KEEP + 5)[-1][0]
        store.ack("c", "hq", last)
        left = store._db.execute("SELECT count(*) FROM outbox").fetchone()[0]
        assert left == KEEP
        assert store.commit("hq", "s", {}, [_event(KEEP + 4)]) == 0  # still deduped


def test_store_refuses_a_file_others_can_change(tmp_path: Path) -> None:
    path = tmp_path / "cursor.sqlite"
    SqliteCursorStore(path).close()
    os.chmod(path, 0o666)
    with pytest.raises(ConfigurationError, match=r"event cursor store .* is readable or writable"):
        SqliteCursorStore(path)


def test_backups_license_and_event_log_sources() -> None:
    from tcxkit.events import BackupsSource, EventLogSource, LicenseSource

    backups = BackupsSource()
    old = {"FileName": "a.zip", "CreationTime": "2026-03-01T02:00:00Z", "Size": 10}
    base = backups.consume(None, [[old]], CTX)
    assert base.events == [] and base.state == {"files": ["a.zip"]}
    new = {"FileName": "b.zip", "CreationTime": "2026-03-10T02:00:00Z", "Size": 20}
    polled = backups.consume(base.state, [[old, new]], CTX)
    assert [e.data["file_name"] for e in polled.events] == ["b.zip"]

    lic = LicenseSource()
    far = lic.consume(None, [[{"ExpirationDate": "2027-01-01T00:00:00Z"}]], CTX)
    assert far.events == []
    near = [{"ExpirationDate": "2026-03-11T06:00:00Z"}]  # 18 h left
    first = lic.consume(far.state, [near], CTX)
    assert [e.data["threshold_days"] for e in first.events] == [1]
    assert first.events[0].data["days_left"] == 0
    assert lic.consume(first.state, [near], CTX).events == []

    log = EventLogSource()
    assert log.queries(None, CTX).queries[0].params["orderby"] == "Id desc"
    base = log.consume(None, [[{"Id": 7}]], CTX)
    assert base.state == {"id": 7}
    query = log.queries(base.state, CTX).queries[0]
    assert query.params["filter"] == "Id gt 7 and (Type eq 'Error' or Type eq 'Warning')"
    rows = [{"Id": 9, "Type": "Error", "TimeGenerated": "2026-03-10T11:00:00Z"},
            {"Id": 8, "Type": "Warning"}, {"Id": 9, "Type": "Error"}]  # fmt: skip
    polled = log.consume(base.state, [rows], CTX)
    assert [e.data["log_id"] for e in polled.events] == [8, 9]
    assert polled.state == {"id": 9}
    assert polled.events[0].time == "2026-03-10T12:00:00+00:00"  # no time given: the poll's


def test_an_exclusive_store_is_refused_while_another_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "cursor.sqlite"
    with SqliteCursorStore(path, exclusive=True):
        with pytest.raises(UsageError, match="Another process is using the event cursor store"):
            SqliteCursorStore(path, exclusive=True)
        SqliteCursorStore(path).close()  # a reader that does not ask for it still opens
    SqliteCursorStore(path, exclusive=True).close()  # released with the first


def _every_source_once(ctx: PollContext) -> list[Event]:
    """One change per source, from the same hand-made rows, polled with ``ctx``."""
    from tcxkit.events import BackupsSource, EventLogSource, LicenseSource, TrunkSource

    found: list[Event] = []
    legs = [_seg(1, 1, False)]
    found += CallLogSource().consume({"segment": 0}, [legs], ctx).events
    row = {"Id": 6, "Caller": "100", "Callee": "101", "EstablishedAt": "2026-03-10T11:59:30Z"}
    found += ActiveCallsSource().consume({"calls": []}, [[row]], ctx).events
    users = UsersSource()
    base = users.consume(None, [[{"Number": "100", "IsRegistered": True}]], ctx).state
    found += users.consume(base, [[{"Number": "100", "IsRegistered": False}]], ctx).events
    trunks = TrunkSource()
    base = trunks.consume(None, [[{"Number": "10000", "IsOnline": True}]], ctx).state
    found += trunks.consume(base, [[{"Number": "10000", "IsOnline": False}]], ctx).events
    backup = {"FileName": "b.zip", "CreationTime": "2026-03-10T02:00:00Z", "Size": 4096}
    found += BackupsSource().consume({"files": []}, [[backup]], ctx).events
    near = [{"ExpirationDate": "2026-03-11T06:00:00Z"}]
    found += LicenseSource().consume(None, [near], ctx).events
    entry = {"Id": 9, "Type": "Error", "TimeGenerated": "2026-03-10T11:00:00Z"}
    found += EventLogSource().consume({"id": 0}, [[entry]], ctx).events
    return found


def test_times_carry_the_pbx_offset_and_ids_never_change_with_it() -> None:
    """The same rows in a PBX at UTC and one in Honolulu: the same ids and instants, each
    time (and every time in data) shown with the PBX's offset."""
    from zoneinfo import ZoneInfo

    from tcxkit.events.model import parse_time

    utc = _every_source_once(CTX)
    hawaii = _every_source_once(PollContext("hq", CTX.pbx_key, NOW, zone=ZoneInfo("Pacific/Honolulu")))  # fmt: skip
    assert [e.type for e in utc] == ["call.ended", "call.missed", "call.started",
                                     "dn.unregistered", "trunk.down", "backup.completed",
                                     "license.expiring", "system.alert"]  # fmt: skip
    assert [e.id for e in hawaii] == [e.id for e in utc]
    assert [parse_time(e.time) for e in hawaii] == [parse_time(e.time) for e in utc]
    assert all(e.time.endswith("-10:00") for e in hawaii), [e.time for e in hawaii]
    assert all(e.time.endswith("+00:00") for e in utc)
    call = hawaii[0].data
    assert (call["started"], call["ended"]) == ("2026-03-10T01:00:00-10:00", "2026-03-10T01:00:20-10:00")  # fmt: skip
    assert call["legs"][0]["started"] == "2026-03-10T01:00:00-10:00"
    assert hawaii[5].data["created"] == hawaii[5].time == "2026-03-09T16:00:00-10:00"
    assert hawaii[6].data["expires"] == "2026-03-10T20:00:00-10:00"


def test_a_listed_backup_too_small_to_be_an_archive_is_backup_failed() -> None:
    from tcxkit.events import BackupsSource
    from tcxkit.events.system import MIN_BACKUP_BYTES

    rows = [
        {"FileName": "ok.zip", "CreationTime": "2026-03-10T02:00:00Z", "Size": MIN_BACKUP_BYTES},
        {"FileName": "died.zip", "CreationTime": "2026-03-10T03:00:00Z", "Size": 0},
        {"FileName": "cut.zip", "CreationTime": "2026-03-10T04:00:00Z", "Size": "12"},
    ]
    polled = BackupsSource().consume({"files": []}, [rows], CTX)
    assert [(e.type, e.data["file_name"]) for e in polled.events] == [
        ("backup.completed", "ok.zip"), ("backup.failed", "died.zip"),
        ("backup.failed", "cut.zip")]  # fmt: skip
    assert polled.events[1].data == {
        "file_name": "died.zip", "size": 0, "created": "2026-03-10T03:00:00+00:00",
        "reason": "the archive is 0 bytes: empty or truncated"}  # fmt: skip
    assert [s.name for s in sources_for(["backup.failed"])] == ["backups"]


def test_one_check_of_event_types_for_every_face() -> None:
    from tcxkit.events.model import EVENT_TYPES, parse_types

    assert parse_types(["trunk.down", "call.missed", "trunk.down"]) == ["call.missed", "trunk.down"]
    assert parse_types("backup.failed") == ["backup.failed"] and parse_types([]) == []
    with pytest.raises(UsageError) as info:
        parse_types(["call.mised", "trunk.sideways"])
    assert str(info.value).startswith(
        "Unknown event type 'call.mised', 'trunk.sideways'. Did you mean call.missed"
    )
    assert info.value.hint == "Known types: " + ", ".join(EVENT_TYPES) + " (docs/events.md)."
    with pytest.raises(UsageError, match=r"^Name at least one event type"):
        parse_types([], at_least_one=True)


def _learn(*answers: Any) -> tuple[Any, list[str]]:
    """Drive :func:`tcxkit.pbxzone.zone_steps` with hand-made answers."""
    from tcxkit.pbxzone import zone_steps

    asked: list[str] = []
    steps = zone_steps("the fix")
    try:
        action, _ = next(steps)
        for answer in answers:
            asked.append(action)
            action, _ = steps.send(answer)
    except StopIteration as done:
        return done.value, asked
    raise AssertionError(f"asked for more than {asked}")


def test_the_pbx_zone_from_office_hours_or_the_zone_list_or_refused() -> None:
    found, asked = _learn({"TimeZoneId": "Pacific/Honolulu"})
    assert (str(found.zone), found.name, asked) == (
        "Pacific/Honolulu",
        "Pacific/Honolulu",
        ["GetOfficeHours"],
    )
    assert (found.source, found.used) == ("OfficeHours.TimeZoneId 'Pacific/Honolulu'",
                                          ("GetOfficeHours",))  # fmt: skip
    found, asked = _learn({"TimeZoneId": "51"}, {"value": [{"IanaName": "Asia/Kolkata"}]})
    assert (str(found.zone), asked) == ("Asia/Kolkata", ["GetOfficeHours", "ListTimeZones"])
    assert found.source == "OfficeHours.TimeZoneId '51' = Defs/TimeZones Id (Asia/Kolkata)"
    for no_id, why in [
        ({}, "the PBX's OfficeHours has no TimeZoneId"),
        ({"TimeZoneId": "99"}, "TimeZoneId '99' matches no zone of Defs/TimeZones"),
    ]:
        with pytest.raises(ZoneUnknownError) as info:
            _learn(no_id, {"value": []}, {"value": []}, {"value": []})
        assert str(info.value) == f"The PBX's time zone could not be learnt: {why}.\nthe fix"
        assert (info.value.why, info.value.exit_code) == (why, 2)


def test_a_windows_or_display_name_is_looked_up_by_that_field() -> None:
    """Id first, then WindowsName, then Name: the first row with a known IanaName wins."""
    row = {"Id": "1", "IanaName": "Pacific/Honolulu", "WindowsName": "Hawaiian Standard Time",
           "Name": "(UTC-10:00) Hawaii"}  # fmt: skip
    found, asked = _learn({"TimeZoneId": "Hawaiian Standard Time"}, {"value": []}, {"value": [row]})
    assert (str(found.zone), found.name, found.used) == (
        "Pacific/Honolulu",
        "Pacific/Honolulu",
        ("GetOfficeHours", "ListTimeZones"),
    )
    assert asked == ["GetOfficeHours", "ListTimeZones", "ListTimeZones"]
    assert found.source == (
        "OfficeHours.TimeZoneId 'Hawaiian Standard Time' = Defs/TimeZones WindowsName "
        "((UTC-10:00) Hawaii)"
    )
    found, asked = _learn({"TimeZoneId": "(UTC-10:00) Hawaii"}, {}, {}, {"value": [row]})
    assert found.source.endswith("= Defs/TimeZones Name ((UTC-10:00) Hawaii)")
    assert len(asked) == 4
    with pytest.raises(ZoneUnknownError) as info:  # a row, but no zone to use
        _learn({"TimeZoneId": "7"}, {"value": [{"Id": "7", "IanaName": "Mars/Olympus"}]}, {}, {})
    assert info.value.why == (
        "TimeZoneId '7' is a Defs/TimeZones row whose IanaName 'Mars/Olympus' is no known zone"
    )
