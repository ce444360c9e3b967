"""Live calls over real HTTP (emulator/domain/livecalls.py, emulator/timeline.py):
``MakeCall`` rings, is answered or not, ends and lands in the call history; ``DropCall``
hangs up; the manual clock moves only when ``POST /emulator/clock`` says so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit import Client
from tcxkit.calllog import call_log_params
from tcxkit.emulator import running
from tcxkit.errors import ApiError, ConfigurationError

from ..emulators import own_config

# Extension 100 has a registered phone, 101 has not (the demo's seeded registrations);
# queue 800's first registered agent is 108.
FROM, UNREGISTERED, QUEUE, AGENT = "100", "101", "800", "108"


class Pbx:
    """A manual-clock demo PBX: XAPI through the library, the clock through its endpoint."""

    def __init__(self, emu: Any, token_cache: Path) -> None:
        self.emu = emu
        self.xapi = Client(emu.url, emu.client_id, emu.client_secret, token_cache=token_cache)
        self.control = httpx.Client(base_url=emu.url, auth=emu.control_auth, timeout=30)

    def make_call(self, destination: str, dn: str = FROM) -> int:
        body = {"dn": dn, "destination": destination, "contact": None, "testCall": False}
        return int(self.xapi.call("MakeCall", body=body)["Result"]["CallId"])

    def status(self, call: int) -> str | None:
        rows = self.xapi.call("ListActiveCall", filter=f"Id eq {call}")["value"]
        return rows[0]["Status"] if rows else None

    def advance(self, seconds: float) -> dict[str, Any]:
        r = self.control.post("/emulator/clock", json={"advance": seconds})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def last_call(self, dn: str = FROM) -> list[dict[str, Any]]:
        """The call-log segments (``GetCallLogData``) of the newest call from ``dn``."""
        now = datetime.now(UTC)
        params = call_log_params(now - timedelta(days=1), now + timedelta(days=1))
        rows = self.xapi.call("GetCallLogData", **params, orderby="SegmentId desc", top=50,
                              filter=f"SourceDn eq '{dn}'")["value"]  # fmt: skip
        return sorted((r for r in rows if r["CallId"] == rows[0]["CallId"]),
                      key=lambda r: r["SegmentId"])  # fmt: skip


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pbx]:
    options = {"clock": "manual", "max_calls": 8}
    with running(own_config(data="demo", options=options)) as emu:
        pbx = Pbx(emu, tmp_path_factory.mktemp("live") / "token")
        yield pbx
        pbx.xapi.close()
        pbx.control.close()


def test_a_call_rings_then_talks_then_lands_in_the_call_history(pbx: Pbx) -> None:
    call = pbx.make_call(QUEUE)
    assert pbx.status(call) == "Ringing"
    pbx.advance(3.5)
    assert pbx.status(call) == "Ringing"  # rings for ring_seconds (4)
    pbx.advance(1)
    assert pbx.status(call) == "Talking"
    pbx.advance(29)
    assert pbx.status(call) == "Talking"  # talks for talk_seconds (30)
    pbx.advance(1)
    assert pbx.status(call) is None
    legs = pbx.last_call()
    assert [(r["DestinationDn"], r["Answered"]) for r in legs] == [(QUEUE, True), (AGENT, True)]
    assert legs[0]["RingingDuration"] == "PT4S" and legs[0]["TalkingDuration"] == "PT30S"


def test_nobody_answers_an_unregistered_phone_a_missed_call(pbx: Pbx) -> None:
    call = pbx.make_call(UNREGISTERED)
    pbx.advance(19.5)
    assert pbx.status(call) == "Ringing"
    pbx.advance(1)  # no_answer_seconds (20) are over
    assert pbx.status(call) is None
    [leg] = pbx.last_call()
    assert (leg["DestinationDn"], leg["Answered"], leg["RingingDuration"]) == (
        UNREGISTERED,
        False,
        "PT20S",
    )


def test_drop_call_hangs_up_a_ringing_call_abandoned_and_a_talking_one(pbx: Pbx) -> None:
    ringing = pbx.make_call("+441134960371")
    pbx.advance(2)
    pbx.xapi.call("DropCall", Id=ringing)
    assert pbx.status(ringing) is None
    [leg] = pbx.last_call()
    assert (leg["DestinationCallerId"], leg["Answered"], leg["RingingDuration"]) == (
        "+441134960371", False, "PT2S")  # fmt: skip
    talking = pbx.make_call("103")  # 103 has a registered phone
    pbx.advance(10)
    assert pbx.status(talking) == "Talking"
    pbx.xapi.call("DropCall", Id=talking)
    [leg] = pbx.last_call()
    assert (leg["DestinationDn"], leg["Answered"], leg["TalkingDuration"]) == ("103", True, "PT6S")
    with pytest.raises(ApiError) as err:  # dropped once: gone
        pbx.xapi.call("DropCall", Id=talking)
    assert err.value.status == 404
    assert (
        f"no active call {talking}; list them with ListActiveCall"
        in err.value.body["error"]["message"]
    )
    # A live call ends by itself or through DropCall, not through the injection endpoint.
    live = pbx.make_call(QUEUE)
    r = pbx.control.post(f"/emulator/calls/{live}/end", json={"answered": True})
    assert r.status_code == 409 and "hang it up with DropCall" in r.json()["error"]["message"]
    pbx.xapi.call("DropCall", Id=live)


@pytest.mark.parametrize(
    ("dn", "destination", "status", "message"),
    [
        ("999", "800", 404, "dn:\nWARNINGS.XAPI.NOT_FOUND (no extension '999')"),
        (UNREGISTERED, "800", 400, "dn:\nWARNINGS.INVALID (extension 101 has no registered phone)"),
        (FROM, "42", 404, "destination:\nWARNINGS.XAPI.NOT_FOUND (no DN '42'; an external number"),
        (FROM, FROM, 400, "destination:\nWARNINGS.INVALID (an extension cannot call itself)"),
        ("", "800", 400, "dn:\nWARNINGS.REQUIRED"),
        (FROM, "9" * 41, 400, "destination:\nWARNINGS.STRING_TOO_LONG (a DN or a phone number is"),
    ],
)
def test_a_call_that_cannot_be_made_is_refused_with_the_envelope(
    pbx: Pbx, dn: str, destination: str, status: int, message: str
) -> None:
    body = {"dn": dn, "destination": destination, "contact": None, "testCall": False}
    with pytest.raises(ApiError) as err:
        pbx.xapi.call("MakeCall", body=body)
    assert err.value.status == status
    assert message in err.value.body["error"]["message"]


def test_calls_beyond_max_calls_are_refused(pbx: Pbx) -> None:
    pbx.advance(3600)  # every earlier call has ended; the demo's 3 static rows remain
    made = [pbx.make_call(QUEUE) for _ in range(5)]  # max_calls 8
    with pytest.raises(ApiError) as err:
        pbx.make_call(QUEUE)
    assert err.value.status == 400
    assert (
        "destination:\nWARNINGS.LIMIT_REACHED (8 calls are in progress"
        in err.value.body["error"]["message"]
    )
    for call in made:
        pbx.xapi.call("DropCall", Id=call)
    pbx.make_call(QUEUE)  # room again


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"advance": "soon"}, 400, "Give 'advance' in seconds"),
        ({"advance": 0}, 400, "more than 0 and at most 3600 seconds"),
        ({"advance": 3601}, 400, "more than 0 and at most 3600 seconds"),
        ([1], 400, "Give 'advance' in seconds"),
        ({"advance": 1, "by": 2}, 400, "Send only 'advance'"),
    ],
)
def test_the_clock_refuses_nonsense(pbx: Pbx, body: Any, status: int, message: str) -> None:
    r = pbx.control.post("/emulator/clock", json=body)
    assert r.status_code == status and message in r.json()["error"]["message"]


def test_the_clock_needs_the_emulators_credentials(pbx: Pbx) -> None:
    r = httpx.post(pbx.emu.url + "/emulator/clock", json={"advance": 1})
    assert r.status_code == 401
    before = pbx.control.get("/emulator/clock").json()
    assert before["clock"] == "manual" and before["traffic"] is None


def test_on_the_real_clock_a_call_is_logged_as_soon_as_it_is_due(tmp_path: Path) -> None:
    """Real clock, zero durations: the next read of ActiveCalls already finds the call over
    (reads run what is due first), and the ticker task runs on the server's loop."""
    options = {"ring_seconds": 0, "talk_seconds": 0}
    with running(own_config(data="demo", options=options)) as emu:
        pbx = Pbx(emu, tmp_path / "token")
        call = pbx.make_call(QUEUE)
        assert pbx.status(call) is None
        assert [r["DestinationDn"] for r in pbx.last_call()] == [QUEUE, AGENT]
        assert pbx.control.get("/emulator/clock").json()["clock"] == "real"
        ticker = emu.app.middleware_stack
        while type(ticker).__name__ != "Ticker":
            ticker = ticker.app
        assert ticker.task is not None and not ticker.task.done()
        pbx.xapi.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ring_seconds": -1}, "options['ring_seconds'] must be a number from 0 to 3600"),
        ({"max_calls": 5000}, "options['max_calls'] must be a number from 1 to 1000"),
        ({"talk_seconds": "long"}, "options['talk_seconds'] must be a number"),
        ({"clock": "fast"}, "options['clock'] must be 'real' or 'manual'"),
        ({"traffic": -2}, "options['traffic'] must be calls per second from 0 to 50"),
        ({"traffic": float("inf")}, "options['traffic'] must be calls per second"),
        ({"traffic": 1, "seed": "x"}, "options['seed'] must be a whole number"),
    ],
)
def test_unusable_options_are_refused_at_start(options: dict[str, object], message: str) -> None:
    with (
        pytest.raises(ConfigurationError) as err,
        running(own_config(data="empty", options=options)),
    ):
        pass
    assert message in err.value.message
    assert err.value.hint


def test_call_ids_follow_segments_another_writer_added(pbx: Pbx) -> None:
    """The call log's top CallId is remembered between calls (no scan per call), and read
    again when someone else wrote segments since (here: a call injected and ended)."""
    pbx.make_call(QUEUE)
    pbx.advance(40)
    own = pbx.last_call()[0]["CallId"]
    injected = pbx.control.post("/emulator/calls", json={"from": "+441134960371", "to": "102"})
    ended = pbx.control.post(
        f"/emulator/calls/{injected.json()['Id']}/end", json={"answered": False}
    )
    assert ended.json()["CallId"] == own + 1
    pbx.make_call(QUEUE)
    pbx.advance(40)
    assert pbx.last_call()[0]["CallId"] == own + 2
