"""Task tools over real HTTP: the toolbox the MCP server binds, against demo emulators.

The demo PBX holds scripted calls yesterday in its time zone (see
``tcxkit.emulator.domain.storyline``); these tests name them.  Time-zone tests start an
emulator in a zone far from the host's with a fixed "now", and give the tool the same
"now", so no test depends on the hour it runs at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.emulator import EmulatorConfig, running
from tcxkit.mcp import tasks
from tcxkit.mcp.audit import AuditLog, Where
from tcxkit.mcp.callhistory import parse_number
from tcxkit.mcp.policy import Policy
from tcxkit.mcp.service import Toolbox, ToolFailure

SECRET = "tasks-test-secret-4Kp9"
#: 03:00 UTC on 10 March 2026: 17:00 on the 10th in Kiritimati (+14), 17:00 on the 9th
#: in Honolulu (-10).  The host's (UTC) yesterday is 9 March in both cases.
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
CALLER = "+441134960371"


def _toolbox(emu: Any, tmp: Path, policy: Policy | None = None) -> Iterator[Toolbox]:
    with Client(emu.url, emu.client_id, SECRET, token_cache=False) as client:
        yield Toolbox(
            client,
            policy or Policy(),
            AuditLog(tmp / "audit.jsonl", Where(emu.url, None, "test")),
            32 * 1024,
        )


@pytest.fixture(scope="module")
def demo() -> Iterator[Any]:
    config = EmulatorConfig(client_id="tasks-tests", client_secret=SECRET, port=0)
    with running(config) as emu:
        yield emu


@pytest.fixture
def tb(demo: Any, tmp_path: Path) -> Iterator[Toolbox]:
    yield from _toolbox(demo, tmp_path)


def _ask(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return json.loads(fn(*args, **kwargs))


#: The external numbers of the scripted calls (the random demo calls use other numbers).
STORY_NUMBERS = {CALLER, "+441614960112", "+442079460958"}


def _story(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The scripted calls of an answer (random demo calls may lie on yesterday too)."""
    return [c for c in answer["calls"] if {c["from"], c["to"]} & STORY_NUMBERS]


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "dn", "suffix"),
    [
        ("104", "104", None),
        (" 10000 ", "10000", None),
        ("+44 113 496 0371", None, "134960371"),
        ("0044-113-496-0371", None, "134960371"),
        ("(0113) 496 0371", None, "134960371"),
        ("+1.212.555.0100", None, "125550100"),
    ],
)
def test_numbers_are_normalised(typed: str, dn: str | None, suffix: str | None) -> None:
    q = parse_number(typed)
    assert (q.dn, q.suffix) == (dn, suffix)


def test_a_name_is_not_a_number() -> None:
    with pytest.raises(ToolFailure, match="'Emma' is not a phone number or extension; find"):
        parse_number("Emma")


# -- call history and missed calls ------------------------------------------------------------


@pytest.mark.parametrize("spelling", [CALLER, "+44 113 496 0371", "0044 113 496 0371"])
def test_call_history_by_the_callers_e164_number(tb: Toolbox, spelling: str) -> None:
    answer = _ask(tasks.call_history, tb, spelling, "yesterday")
    calls = answer["calls"]
    assert [(c["to"], c["status"], c.get("answered_by")) for c in calls] == [
        ("800 Sales Queue", "answered", "108 Isla Ito"),
        ("800 Sales Queue", "missed", None),
        ("102 Carol Cooper", "answered", "102 Carol Cooper"),
    ]
    assert all(c["from"] == CALLER and c["direction"] == "Inbound" for c in calls)
    assert "caller ids ending in 134960371" in answer["searched"]["number"]
    period = answer["searched"]["period"]
    assert period["time_zone"] == "Europe/London"
    assert period["time_zone_learnt_from"].startswith("OfficeHours.TimeZoneId '5' = ")
    assert answer["used"] == ["GetOfficeHours", "ListTimeZones", "GetCallLogData"]


def test_call_history_by_a_dn_includes_the_legs_it_rang(tb: Toolbox) -> None:
    answer = _ask(tasks.call_history, tb, "104", "yesterday")
    story = _story(answer)
    assert [(c["start"][11:16], c["to"], c["status"]) for c in story] == [
        ("09:12", "800 Sales Queue", "answered"),
        ("11:40", "800 Sales Queue", "missed"),
        ("16:20", "104 Emma Evans", "missed"),
        ("16:31", "+442079460958", "answered"),
    ]
    taken = story[0]
    assert [(leg["to"], leg["answered"]) for leg in taken["legs"]] == [
        ("800 Sales Queue", True),
        ("104 Emma Evans", False),
        ("108 Isla Ito", True),
    ]
    assert taken["legs"][1]["via"] == "800"


def test_missed_means_no_leg_answered(tb: Toolbox) -> None:
    missed = _story(_ask(tasks.missed_calls, tb, "104", "yesterday"))
    # 09:12 rang 104 unanswered but 108 took it: not missed.  11:40 nobody: missed.
    assert [(c["start"][11:16], c["to"]) for c in missed] == [
        ("11:40", "800 Sales Queue"),
        ("16:20", "104 Emma Evans"),
    ]
    assert all(c["status"] == "missed" and "answered_by" not in c for c in missed)
    queue = _story(_ask(tasks.missed_calls, tb, None, "yesterday", queue="Sales"))
    assert [c["start"][11:16] for c in queue] == ["11:40"]


def test_call_history_by_queue_and_ring_group(tb: Toolbox) -> None:
    reception = _ask(tasks.call_history, tb, None, "yesterday", queue="850")
    story = _story(reception)
    assert [(c["from"], c["to"], c["answered_by"]) for c in story] == [
        ("+441614960112", "850 Reception", "101 Bob Baker")
    ]
    assert reception["searched"]["queue"].startswith("RingGroup 850 Reception")
    both = _ask(tasks.call_history, tb, "104", "yesterday", queue="800")
    assert [c["start"][11:16] for c in _story(both)] == ["09:12", "11:40"]


def test_nothing_found_says_what_was_searched_and_what_next(tb: Toolbox) -> None:
    answer = _ask(tasks.call_history, tb, "+1 212 555 0100", "yesterday")
    assert answer["calls"] == [] and answer["total"] == 0
    assert answer["searched"]["number"].startswith("external number '+12125550100'")
    assert answer["note"] == (
        "No calls found in that period. Try a wider period (period_from='last week', or a "
        "date such as 2026-11-02); fewer digits if the number may be stored differently."
    )
    missed = _ask(tasks.missed_calls, tb, "950", "yesterday")  # the fax: never called
    assert missed["calls"] == []
    assert missed["note"] == (
        "No missed calls found in that period. Try a wider period (period_from='last week', "
        "or a date such as 2026-11-02); call_history with the same arguments, to see the "
        "answered calls; find_dn('950') to check that the DN exists."
    )


def test_bad_periods_are_explained(tb: Toolbox) -> None:
    with pytest.raises(ToolFailure, match="period_from: 'someday' is not a date; use 'today'"):
        tasks.call_history(tb, "104", "someday")
    with pytest.raises(ToolFailure, match="The period is empty: period_from"):
        tasks.call_history(tb, "104", "today", "yesterday")
    with pytest.raises(ToolFailure, match="period_from: '0001-01-01' is out of range; give a"):
        tasks.call_history(tb, "104", "0001-01-01", "2026-01-01T00:00:00-10:00")
    with pytest.raises(ToolFailure, match="period_to: '9999-12-31' is out of range"):
        tasks.call_history(tb, "104", "2026-01-01T00:00:00Z", "9999-12-31")
    with pytest.raises(ToolFailure, match="No queue or ring group 'Nowhere'"):
        tasks.call_history(tb, None, "yesterday", queue="Nowhere")


# -- the PBX's time zone ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "offset", "day"),
    [("Pacific/Kiritimati", "+14:00", "2026-03-09"), ("Pacific/Honolulu", "-10:00", "2026-03-08")],
)
def test_yesterday_is_the_pbxs_yesterday(tmp_path: Path, zone: str, offset: str, day: str) -> None:
    """The host runs in UTC, the PBX 10 or more hours away: "yesterday" is the PBX's day.

    At NOW the PBX's yesterday is ``day``; the host's (UTC) yesterday is 9 March.  The
    scripted 09:12 call lies on the PBX's yesterday but not on the host's.
    """
    config = EmulatorConfig(
        client_id="tz-tests",
        client_secret=SECRET,
        port=0,
        options={"time_zone": zone, "now": NOW.isoformat()},
    )
    with running(config) as emu:
        for tb in _toolbox(emu, tmp_path):
            answer = _ask(tasks.call_history, tb, CALLER, "yesterday", now=NOW)
            period = answer["searched"]["period"]
            assert (period["from"], period["to"][10:], period["time_zone"]) == (
                f"{day}T00:00:00{offset}",
                f"T00:00:00{offset}",
                zone,
            )
            assert [c["start"] for c in answer["calls"]] == [
                f"{day}T09:12:00{offset}",
                f"{day}T11:40:00{offset}",
                f"{day}T14:05:00{offset}",
            ]
            today = _ask(tasks.call_history, tb, CALLER, "today", now=NOW)
            assert today["calls"] == []
            assert today["note"].startswith("No calls found in that period.")


def test_an_unlearnable_zone_fails_closed(demo: Any, tmp_path: Path) -> None:
    narrow = Policy(allow=frozenset({"GetCallLogData", "ListPeer"}))
    for tb in _toolbox(demo, tmp_path, narrow):
        with pytest.raises(ToolFailure) as caught:
            tasks.call_history(tb, "104", "yesterday")
        assert str(caught.value).startswith(
            "The PBX's time zone could not be learnt (GetOfficeHours failed: GetOfficeHours is "
            "not in this server's --allow list"
        )
        assert "2026-11-29T00:00:00+01:00" in str(caught.value)
        # with offsets the zone is not needed, and times are shown in UTC
        answer = _ask(
            tasks.call_history, tb, "104", "2020-01-01T00:00:00Z", "2040-01-01T00:00:00+00:00"
        )
        assert answer["total"] > 0
        assert answer["searched"]["period"]["time_zone"] == (
            "UTC (the PBX's own zone could not be learnt)"
        )
        assert answer["calls"][0]["start"].endswith("+00:00")


def test_the_emulator_refuses_an_unknown_zone() -> None:
    from tcxkit.errors import ConfigurationError

    with (
        pytest.raises(ConfigurationError, match="Unknown time zone 'Mars/Olympus'"),
        running(EmulatorConfig(port=0, options={"time_zone": "Mars/Olympus"})),
    ):
        pass


# -- multi-call tasks ---------------------------------------------------------------------------


def test_change_queue_agents_respects_the_policy(demo: Any, tmp_path: Path) -> None:
    for tb in _toolbox(demo, tmp_path):
        demo.clear_requests()
        with pytest.raises(
            ToolFailure, match=r"UpdateQueue is a write \(PATCH\) and this server is"
        ):
            tasks.change_queue_agents(tb, "802", add=["101"])
        assert not [r for r in demo.requests if r["method"] == "PATCH"]
        audit = (tmp_path / "audit.jsonl").read_text().splitlines()
        assert json.loads(audit[-1])["outcome"] == "refused"


def test_change_queue_agents_adds_and_removes(tmp_path: Path) -> None:
    config = EmulatorConfig(client_id="tasks-writes", client_secret=SECRET, port=0)
    with running(config) as emu:
        for tb in _toolbox(emu, tmp_path, Policy(allow_writes=True)):
            before = _ask(tasks.queue_members, tb, "Billing")
            numbers = [a["Number"] for a in before["agents"]]
            assert "101" not in numbers
            added = _ask(tasks.change_queue_agents, tb, "Billing", add=["101"])
            assert added["after"] == [*numbers, "101"] and added["changed"] is True
            assert added["used"][-1] == "UpdateQueue"
            members = _ask(tasks.queue_members, tb, "802")["agents"]
            assert [a["Number"] for a in members] == [*numbers, "101"]
            removed = _ask(tasks.change_queue_agents, tb, "802", remove=["101", "555"])
            assert removed["removed"] == ["101"]
            assert removed["note"] == "Not agents of this queue, so not removed: 555."
            same = _ask(tasks.change_queue_agents, tb, "802", add=[numbers[0]])
            assert same["changed"] is False
            with pytest.raises(ToolFailure, match="At most 50 agents per change; nothing was"):
                tasks.change_queue_agents(tb, "802", add=[str(n) for n in range(100, 151)])
            with pytest.raises(ToolFailure, match=r"No extension 999; nothing was changed\."):
                tasks.change_queue_agents(tb, "802", add=["999"])


def test_ring_groups_and_memberships(tb: Toolbox) -> None:
    everyone = _ask(tasks.ring_groups, tb)
    assert [
        (g["Number"], [m["Number"] for m in g["Members"]]) for g in everyone["ring_groups"]
    ] == [
        ("850", ["100", "101"]),
        ("851", ["105", "109", "113"]),
    ]
    of_104 = _ask(tasks.ring_groups, tb, "104")
    assert of_104["ring_groups"] == []
    assert [q["Number"] for q in of_104["queues"]] == ["800"]
    none = _ask(tasks.ring_groups, tb, "Nowhere")
    assert (
        none["note"]
        == "Nothing matches 'Nowhere'. Ring groups of this PBX: 850 Reception, 851 Warehouse."
    )


def test_forwarding_trunks_and_backup(tb: Toolbox) -> None:
    fwd = _ask(tasks.user_forwarding, tb, "104")
    assert fwd["user"]["Number"] == "104" and fwd["voicemail"]["VMEnabled"] is True
    with pytest.raises(ToolFailure, match=r"No user '999'; find people with find_dn\."):
        tasks.user_forwarding(tb, "999")
    trunks = _ask(tasks.trunk_status, tb)
    assert trunks["summary"] == "2 of 2 trunks online"
    assert [(t["Number"], t["Name"]) for t in trunks["trunks"]] == [
        ("10000", "BT SIP Trunk"),
        ("10001", "Twilio Elastic SIP"),
    ]
    backup = _ask(tasks.last_backup, tb)
    assert backup["backups"] >= 2
    assert backup["last"]["FileName"].startswith("backup-")
    assert 0 < backup["age_hours"] < 48


def test_an_empty_pbx_gets_answers_that_say_why(tmp_path: Path) -> None:
    config = EmulatorConfig(client_id="tasks-empty", client_secret=SECRET, port=0, data="empty")
    with running(config) as emu:
        for tb in _toolbox(emu, tmp_path):
            found = _ask(tasks.find_dn, tb, "maria")
            assert found["matches"] == []
            assert found["note"].startswith(
                "No DN (user, queue, ring group, IVR, trunk...) has a name containing 'maria'."
            )
            active = _ask(tasks.active_calls, tb)
            assert active["items"] == []
            assert active["note"].startswith("No call is in progress right now")
            trunks = _ask(tasks.trunk_status, tb)
            assert trunks["summary"] == "0 of 0 trunks online"
            assert trunks["note"] == (
                "This PBX has no trunk (ListTrunk is empty): it cannot call outside."
            )
            backup = _ask(tasks.last_backup, tb)
            assert backup["backups"] == 0
            assert backup["note"].startswith("This PBX holds no backup.")
            groups = _ask(tasks.ring_groups, tb)
            assert groups["ring_groups"] == []
            assert groups["note"] == "This PBX has no ring group (ListRingGroup is empty)."
            history = _ask(tasks.call_history, tb, None, "last 7 days")
            assert history["total"] == 0
            assert history["searched"]["calls"] == "every call of the period"
            assert history["note"].startswith("No calls found in that period.")


@pytest.mark.parametrize(
    ("period_from", "period_to", "start", "end"),
    [
        ("today", None, "2026-03-10T00:00:00+00:00", "2026-03-11T00:00:00+00:00"),
        ("yesterday", "today", "2026-03-09T00:00:00+00:00", "2026-03-10T00:00:00+00:00"),
        ("this week", None, "2026-03-09T00:00:00+00:00", "2026-03-16T00:00:00+00:00"),
        ("Last  Week", None, "2026-03-02T00:00:00+00:00", "2026-03-09T00:00:00+00:00"),
        ("last 7 days", None, "2026-03-03T03:00:00+00:00", "2026-03-10T03:00:00+00:00"),
        ("2026-03-01", None, "2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00"),
        ("2026-03-01T08:00:00", "2026-03-01T09:30:00+01:00",
         "2026-03-01T08:00:00+00:00", "2026-03-01T08:30:00+00:00"),
    ],
)  # fmt: skip
def test_periods_in_the_pbxs_zone(
    tb: Toolbox, period_from: str, period_to: str | None, start: str, end: str
) -> None:
    """At NOW (Tuesday 10 March 2026, 03:00 in London): what each phrase covers."""
    from tcxkit.mcp.pbxclock import parse_period

    period = parse_period(tb, period_from, period_to, now=NOW).described()
    assert (period["from"], period["to"], period["time_zone"]) == (start, end, "Europe/London")
