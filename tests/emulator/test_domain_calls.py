"""Calls, reports, backups, recordings, system status and demo/scale data, over real HTTP."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import wave
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit.catalog import catalog
from tcxkit.emulator import EmulatorConfig, create_app, running
from tcxkit.emulator.domain.storyline import STORY_SEGMENTS
from tcxkit.emulator.validate import Validator

from .conftest import Connect

NOW = datetime.now(UTC)
#: The demo's random segments plus its scripted calls of yesterday.
DEMO_ROWS = 3000 + STORY_SEGMENTS
FROM = (NOW - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
TO = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
LOG_ARGS = (
    "sourceType=0,sourceFilter=null,destinationType=0,destinationFilter=null,callsType={ct},"
    "callTimeFilterType=0,callTimeFilterFrom=null,callTimeFilterTo=null,hidePcalls=false"
)


def _log_path(start: str = FROM, end: str = TO, calls_type: int = 0) -> str:
    args = LOG_ARGS.format(ct=calls_type)
    return f"/ReportCallLogData/Pbx.GetCallLogData(periodFrom={start},periodTo={end},{args})"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with running(EmulatorConfig(options={"backup_delay": 0})) as e:
        yield e


@pytest.fixture(scope="module")
def api(emu: Any, connect: Connect) -> Iterator[httpx.Client]:
    with connect(emu) as client:
        yield client


# -- demo data --------------------------------------------------------------------------------


def test_demo_data_counts(api: httpx.Client) -> None:
    expected = {
        "Users": 25, "Groups": 5, "Queues": 3, "RingGroups": 2, "Receptionists": 2,
        "Trunks": 2, "Parkings": 2, "Fax": 1, "Contacts": 50, "Recordings": 20,
        "ActiveCalls": 3, "Peers": 42,
    }  # fmt: skip
    for set_name, count in expected.items():
        r = api.get(f"/{set_name}", params={"$count": "true", "$top": "1"})
        assert r.status_code == 200, set_name
        assert r.json()["@odata.count"] == count, set_name
    history = api.get("/CallHistoryView", params={"$count": "true", "$top": "1"}).json()
    assert history["@odata.count"] == DEMO_ROWS


def test_demo_data_is_deterministic() -> None:
    def snapshot() -> list[Any]:
        state = create_app(EmulatorConfig()).state.emulator
        users = [(u["Number"], u["EmailAddress"]) for u in state.entity_set("Users").all()]
        calls = (
            state.extra["call_log"]
            .query(
                __import__("tcxkit.emulator.odata", fromlist=["QueryOptions"]).QueryOptions(top=50)
            )
            .items
        )
        return [users, [(c["SourceDn"], c["DestinationDn"], c["Answered"]) for c in calls]]

    assert snapshot() == snapshot()


def test_demo_app_builds_without_error() -> None:
    """Start-up time is a benchmark (bench/bench_emulator.py), not a timed test."""
    app = create_app(EmulatorConfig())
    assert app.state.emulator is not None


# -- call log report ------------------------------------------------------------------------------


def test_call_log_over_a_date_range_with_paging_and_count(api: httpx.Client) -> None:
    whole = api.get(_log_path(), params={"$top": "1", "$count": "true"}).json()
    assert whole["@odata.count"] == DEMO_ROWS
    start = (NOW - timedelta(days=7)).strftime("%Y-%m-%dT00:00:00Z")
    end = (NOW - timedelta(days=5)).strftime("%Y-%m-%dT00:00:00Z")
    first = api.get(
        _log_path(start, end), params={"$top": "100", "$count": "true", "$orderby": "StartTime"}
    )
    assert first.status_code == 200
    body = first.json()
    total = body["@odata.count"]
    assert 0 < total < DEMO_ROWS
    assert all(start <= r["StartTime"] < end for r in body["value"])
    assert [r["StartTime"] for r in body["value"]] == sorted(r["StartTime"] for r in body["value"])
    seen = [r["SegmentId"] for r in body["value"]]
    skip = 100
    while skip < total:
        page = api.get(
            _log_path(start, end),
            params={"$top": "100", "$skip": str(skip), "$orderby": "StartTime"},
        ).json()["value"]
        seen += [r["SegmentId"] for r in page]
        skip += 100
    assert len(seen) == len(set(seen)) == total
    assert "SegmentStartTime" not in body["value"][0]  # only CallLogData fields


def test_call_log_pages_come_in_time_order_without_orderby(api: httpx.Client) -> None:
    # Index order (StartTime, then SegmentId): the page reads only its own rows.
    page = api.get(_log_path(), params={"$top": "300", "$skip": "50"}).json()["value"]
    order = [(r["StartTime"], r["SegmentId"]) for r in page]
    assert len(order) == 300 and order == sorted(order)
    # Pre-encoded rows (no $select) and rows shaped per request ($select=*) agree.
    selected = api.get(_log_path(), params={"$top": "300", "$skip": "50", "$select": "*"})
    assert selected.json()["value"] == page
    history = api.get("/CallHistoryView", params={"$top": "100"}).json()["value"]
    starts = [r["SegmentStartTime"] for r in history]
    assert starts == sorted(starts) and "StartTime" not in history[0]


def test_call_log_filters(api: httpx.Client) -> None:
    answered = api.get(_log_path(calls_type=1), params={"$count": "true", "$top": "0"}).json()
    missed = api.get(_log_path(calls_type=2), params={"$count": "true", "$top": "0"}).json()
    assert answered["@odata.count"] + missed["@odata.count"] == DEMO_ROWS
    r = api.get(
        _log_path(),
        params={
            "$filter": "Direction eq 'Outbound' and Answered eq true",
            "$select": "Direction,Answered",
            "$top": "3",
        },
    )
    assert r.json()["value"] == [{"Answered": True, "Direction": "Outbound"}] * 3


def test_report_top_may_exceed_100(api: httpx.Client) -> None:
    r = api.get(_log_path(), params={"$top": "2500"})
    assert r.status_code == 200 and len(r.json()["value"]) == 2500
    r = api.get("/Users", params={"$top": "101"})
    assert r.status_code == 400


def test_reversed_period_is_an_error(api: httpx.Client) -> None:
    r = api.get(_log_path(TO, FROM))
    assert r.status_code == 400
    assert r.json()["error"]["details"][0] == {
        "code": "",
        "message": "WARNINGS.INVALID",
        "target": "periodTo",
    }


def test_call_history_view(api: httpx.Client) -> None:
    r = api.get(
        "/CallHistoryView",
        params={
            "$filter": "CallAnswered eq false",
            "$orderby": "SegmentStartTime desc",
            "$top": "5",
        },
    )
    assert r.status_code == 200
    rows = r.json()["value"]
    assert len(rows) == 5 and not any(row["CallAnswered"] for row in rows)
    assert "StartTime" not in rows[0] and "SrcDn" in rows[0]


# -- aggregate reports --------------------------------------------------------------------------------


def _period(report: str, function: str, extra: str) -> str:
    return f"/{report}/Pbx.{function}(periodFrom={FROM},periodTo={TO},{extra})"


def test_extension_statistics(api: httpx.Client) -> None:
    path = _period(
        "ReportExtensionStatistics", "GetExtensionStatisticsData", "extensionFilter=null,callArea=0"
    )
    r = api.get(path, params={"$count": "true", "$orderby": "Dn"})
    assert r.status_code == 200
    rows = r.json()["value"]
    assert r.json()["@odata.count"] == 25 == len(rows)
    assert rows[0]["Dn"] == "100" and rows[0]["DisplayName"] == "Alice Archer"
    assert sum(x["InboundAnsweredCount"] + x["OutboundAnsweredCount"] for x in rows) > 500
    assert rows[0]["InboundAnsweredTalkingDur"].startswith("PT")
    one = api.get(
        _period(
            "ReportExtensionStatistics",
            "GetExtensionStatisticsData",
            "extensionFilter='101,102',callArea=0",
        )
    ).json()["value"]
    assert [x["Dn"] for x in one] == ["101", "102"]


def test_queue_performance_and_abandoned_calls(api: httpx.Client) -> None:
    totals = api.get(
        _period(
            "ReportQueuePerformanceTotals",
            "GetQueuePerformanceTotalsData",
            "queueDns=null,waitInterval=null",
        )
    ).json()["value"]
    assert [t["QueueDn"] for t in totals] == ["800", "801", "802"]
    for t in totals:
        assert t["QueueReceivedCount"] == t["ExtensionAnsweredCount"] + t["ExtensionDroppedCount"]
    overview = api.get(
        _period(
            "ReportQueuePerformanceOverview",
            "GetQueuePerformanceOverviewData",
            "queueDns='800',waitInterval=null",
        ),
        params={"$filter": "ExtensionAnsweredCount gt 0"},
    ).json()["value"]
    assert overview and {o["QueueDn"] for o in overview} == {"800"}
    sales = next(t for t in totals if t["QueueDn"] == "800")
    assert sum(o["ExtensionAnsweredCount"] for o in overview) == sales["ExtensionAnsweredCount"]
    abandoned = api.get(
        _period(
            "ReportAbandonedQueueCalls",
            "GetAbandonedQueueCallsData",
            "queueDns=null,waitInterval=null",
        ),
        params={"$count": "true", "$top": "10"},
    ).json()
    assert abandoned["@odata.count"] == sum(t["ExtensionDroppedCount"] for t in totals)
    assert all(a["CallerId"].startswith("+44") for a in abandoned["value"])


def test_inbound_and_outbound_calls(api: httpx.Client) -> None:
    inbound = api.get(
        _period("ReportInboundCalls", "GetInboundCalls", "trunkDns='10000',callsType=0"),
        params={"$count": "true", "$top": "20"},
    ).json()
    assert inbound["@odata.count"] > 0
    assert {c["TrunkNumber"] for c in inbound["value"]} == {"10000"}
    assert inbound["value"][0]["TrunkName"] == "BT SIP Trunk"
    outbound = api.get(
        _period("ReportOutboundCalls", "GetOutboundCalls", "trunkDns=null,callsType=1"),
        params={"$top": "50"},
    ).json()["value"]
    assert outbound and all(c["Answered"] for c in outbound)


def test_download_report_is_csv(api: httpx.Client) -> None:
    path = _period(
        "ReportExtensionStatistics",
        "DownloadExtensionStatistics",
        "extensionFilter=null,callArea=0",
    )
    r = api.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("Dn,DisplayName,")


# -- active calls ------------------------------------------------------------------------------------


def test_drop_active_call(api: httpx.Client) -> None:
    calls = api.get("/ActiveCalls").json()["value"]
    assert len(calls) >= 1
    victim = calls[0]["Id"]
    r = api.post(f"/ActiveCalls({victim})/Pbx.DropCall")
    assert r.status_code == 204
    assert victim not in [c["Id"] for c in api.get("/ActiveCalls").json()["value"]]
    again = api.post(f"/ActiveCalls({victim})/Pbx.DropCall")
    assert again.status_code == 404
    assert again.json()["error"]["details"][0]["target"] == "Id"


# -- backups and recordings ------------------------------------------------------------------------


def test_backup_appears_and_downloads(emu: Any, api: httpx.Client) -> None:
    before = api.get("/Backups").json()["value"]
    assert len(before) >= 2
    r = api.post("/Backups/Pbx.Backup", json={"description": {"Name": "nightly-test"}})
    assert r.status_code == 204
    listed = {b["FileName"]: b for b in api.get("/Backups").json()["value"]}
    backup = listed["nightly-test.zip"]
    assert backup["DownloadLink"] == "/backups/nightly-test.zip"
    download = httpx.get(emu.url + backup["DownloadLink"], headers=dict(api.headers))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert zipfile.is_zipfile(io.BytesIO(download.content))
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert names == ["BackupInfo.json", "Data/DB/database.json", "Data/Settings/settings.json"]
    assert len(download.content) == backup["Size"]
    anonymous = httpx.get(emu.url + backup["DownloadLink"])
    assert anonymous.status_code == 401


def test_backup_is_asynchronous_by_default(connect: Connect) -> None:
    config = EmulatorConfig(data="empty", options={"backup_delay": 3600})
    with running(config) as e, connect(e, prefix="") as c:
        started = c.post("/xapi/v1/Backups/Pbx.Backup", json={"description": {"Name": "slow"}})
        assert started.status_code == 204
        assert c.get("/xapi/v1/Backups").json()["value"] == []


def test_recording_downloads_as_wav(api: httpx.Client) -> None:
    recs = api.get("/Recordings", params={"$orderby": "Id", "$top": "3"}).json()["value"]
    assert [r["Id"] for r in recs] == [1, 2, 3]
    r = api.get("/Recordings/Pbx.DownloadRecording(recId=2)")
    assert r.status_code == 200
    assert r.headers["content-type"] == "audio/x-wav"
    assert r.headers["content-disposition"].startswith('attachment; filename="')
    assert r.headers["content-disposition"].endswith('_2.wav"')
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        assert w.getnframes() > 0
    missing = api.get("/Recordings/Pbx.DownloadRecording(recId=999)")
    assert missing.status_code == 404
    assert missing.json()["error"]["details"][0]["target"] == "recId"
    # the call log points back at the recording
    linked = api.get(_log_path(), params={"$filter": "SrcRecId eq 2"}).json()["value"]
    assert len(linked) == 1 and linked[0]["RecordingUrl"].endswith("(recId=2)")


# -- system ---------------------------------------------------------------------------------------


def test_system_status_and_licence(api: httpx.Client) -> None:
    status = api.get("/SystemStatus").json()
    assert (
        status["UserExtensions"]
        == api.get("/Users", params={"$count": "true", "$top": "0"}).json()["@odata.count"]
    )
    assert status["TrunksTotal"] == 2 and status["Version"] == "20.0.10.1621"
    key = status["LicenseKey"]
    assert len(key) == 19 and key.count("-") == 3
    lic = api.get("/LicenseStatus").json()
    assert lic["LicenseKey"] == key and lic["ProductCode"] == "3CXPSENT20"
    params = api.get("/Defs/Pbx.GetSystemParameters()").json()
    assert params["License"]["IsEnterprise"] is True and params["HttpsPort"] == 5001
    bad = api.post("/LicenseStatus/Pbx.ReplaceLicenseKey", json={"licenseKey": "nope"})
    assert bad.status_code == 400
    assert "XXXX-XXXX-XXXX-XXXX" in bad.json()["error"]["message"]
    assert api.get("/SystemStatus/Pbx.SystemHealthStatus()").json()["Trunks"] is True


@pytest.mark.parametrize("release", ["20.0.4", "20.0.7", "20.0.10"])
def test_system_status_is_valid_for_its_release(release: str, connect: Connect) -> None:
    # RemoteStorageStatus was once "Disabled", outside the enum of 20.0.7+; older
    # releases have no such property at all.
    cat = catalog(release)
    schema = cat.require("GetSystemStatus").response.schema
    with running(EmulatorConfig(version=release)) as e, connect(e) as c:
        status = c.get("/SystemStatus").json()
    assert Validator(cat.schemas).validate(schema, status) == []
    if release == "20.0.4":
        assert "RemoteStorageStatus" not in status
    else:
        assert status["RemoteStorageStatus"] == "NotConfigured"


# -- scale ------------------------------------------------------------------------------------------


def test_scale_run() -> None:
    began = time.perf_counter()
    app = create_app(EmulatorConfig(scale=100_000))
    built = time.perf_counter() - began
    state = app.state.emulator
    es = state.extra["call_log"]
    assert len(es) == 100_000 + DEMO_ROWS
    from tcxkit.emulator.odata import parse_query

    t = time.perf_counter()
    page = es.query(
        parse_query({"$top": "100", "$skip": "1000", "$count": "true"}, max_top=None),
        where=[("StartTime", "ge", FROM), ("StartTime", "lt", TO)],
    )
    paged = time.perf_counter() - t
    t = time.perf_counter()
    day = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT00:00:00Z")
    day_end = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT00:00:00Z")
    narrow = es.query(
        parse_query({"$top": "100", "$count": "true"}, max_top=None),
        where=[("StartTime", "ge", day), ("StartTime", "lt", day_end)],
    )
    narrow_t = time.perf_counter() - t
    print(
        f"\nscale 100 000: start-up {built:.2f} s (seeding {state.extra['seed_seconds']:.2f} s); "
        f"100-row page with count over all {page.count}: {paged * 1000:.1f} ms; "
        f"one day ({narrow.count} rows): {narrow_t * 1000:.1f} ms"
    )
    assert len(page.items) == 100 and page.count == 100_000 + DEMO_ROWS


# -- the PBX's time zone and the scripted calls -------------------------------------------------


def test_the_pbx_time_zone_is_configured_and_served(connect: Connect) -> None:
    """OfficeHours.TimeZoneId names a Defs/TimeZones row; the scripted calls follow the zone."""
    now = "2026-03-10T03:00:00Z"  # 17:00 on 9 March in Honolulu
    config = EmulatorConfig(options={"time_zone": "Pacific/Honolulu", "now": now})
    with running(config) as emu, connect(emu) as api:
        zone_id = api.get("/OfficeHours").json()["TimeZoneId"]
        zone = api.get("/Defs/TimeZones", params={"$filter": f"Id eq '{zone_id}'"}).json()
        assert [(z["IanaName"], z["WindowsName"]) for z in zone["value"]] == [
            ("Pacific/Honolulu", "Hawaiian Standard Time")
        ]
        # yesterday 09:12 in Honolulu (-10:00) is 19:12 UTC on 8 March
        start, end = "2026-03-08T19:00:00Z", "2026-03-08T20:00:00Z"
        rows = api.get(_log_path(start, end), params={"$orderby": "SegmentId"}).json()["value"]
        assert [(r["StartTime"], r["DestinationDn"], r["Answered"]) for r in rows] == [
            ("2026-03-08T19:12:00Z", "800", True),
            ("2026-03-08T19:12:00Z", "104", False),
            ("2026-03-08T19:12:20Z", "108", True),
        ]
        assert len({r["CallId"] for r in rows}) == 1  # one call, three legs
        # an admin's change of zone sticks (a PATCH of the singleton)
        assert api.patch("/OfficeHours", json={"TimeZoneId": "12"}).status_code == 204
        assert api.get("/OfficeHours").json()["TimeZoneId"] == "12"


def test_an_unknown_time_zone_is_refused_at_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tcxkit.emulator", "--port", "0", "--time-zone", "Mars/Olympus"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "Error: Unknown time zone 'Mars/Olympus' for the emulated PBX.\n"
        "Hint: Give an IANA zone name, e.g. Europe/London, Pacific/Honolulu or UTC.\n"
    )
    first = done.stderr
    done = subprocess.run(
        [str(Path(sys.executable).with_name("3cx")), "emulator", "--time-zone", "Mars/Olympus"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == first  # the same command behind both front ends
