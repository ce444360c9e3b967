"""``3cx events relay`` and ``replay`` over real HTTP: signed deliveries, a receiver that
is down, the dead-letter file, and the back-off schedule."""

from __future__ import annotations

import json
from pathlib import Path

import standardwebhooks

from tcxkit.events import Event
from tcxkit.events.relay import DeadLetters, Relay
from tcxkit.webhooks import WebhookSender

from .conftest import Cli, Pbx
from .receiver import SECRET, Receiver

TYPES = ("--type", "call.ended", "--type", "call.missed")


def _relay(tcx: Cli, receiver: Receiver, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    return tcx(
        "events", "relay", "--once", "--to", receiver.url, "--secret-env", "HOOK_SECRET",
        "--cursor", str(tmp_path / "cursor.sqlite"),
        "--dead-letter", str(tmp_path / "dead.jsonl"), *TYPES, *extra,
        env={"HOOK_SECRET": SECRET},
    )  # fmt: skip


def test_relay_delivers_signed_events_once(
    tcx: Cli, pbx: Pbx, receiver: Receiver, tmp_path: Path
) -> None:
    assert _relay(tcx, receiver, tmp_path)[0] == 0  # baseline
    missed = pbx.call("+441134960371", "800", answered=False)
    code, out, err = _relay(tcx, receiver, tmp_path)
    assert (code, out) == (0, ""), err
    assert [r["verified"] for r in receiver.requests] == [True, True]
    events = receiver.accepted()
    assert [e["type"] for e in events] == ["call.ended", "call.missed"]
    assert {e["data"]["call_id"] for e in events} == {missed}
    for request, event in zip(receiver.requests, events, strict=True):
        assert request["headers"]["webhook-id"] == event["id"]
        assert request["headers"]["content-type"] == "application/json"
        payload = standardwebhooks.Webhook(SECRET).verify(request["body"], request["headers"])
        assert payload == event
    assert _relay(tcx, receiver, tmp_path)[0] == 0
    assert len(receiver.requests) == 2  # nothing re-sent


def test_receiver_down_then_up_delivers_all_in_order(
    tcx: Cli, pbx: Pbx, receiver: Receiver, tmp_path: Path
) -> None:
    _relay(tcx, receiver, tmp_path)
    calls = [pbx.call("+4411349603" + str(70 + i), "102", answered=True) for i in range(3)]
    receiver.down = True
    code, _out, err = _relay(tcx, receiver, tmp_path)
    assert code == 10
    assert "Some events were not delivered; they wait in the cursor store" in err
    assert "failed (HTTP 503); attempt 2 in 1 s" in err
    assert receiver.accepted() == []
    receiver.down = False
    code, _, err = _relay(tcx, receiver, tmp_path)
    assert code == 0, err
    delivered = receiver.accepted()
    assert [e["data"]["call_id"] for e in delivered] == calls  # in order, none lost
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert ids[0] == ids[1]  # the failed one was re-sent with its id


def test_an_event_failing_too_long_is_parked_then_replayed(
    tcx: Cli, pbx: Pbx, receiver: Receiver, tmp_path: Path
) -> None:
    _relay(tcx, receiver, tmp_path)
    call = pbx.call("+441134960399", "103", answered=True)
    receiver.down = True
    code, _, err = _relay(tcx, receiver, tmp_path, "--park-after", "0")
    assert code == 0, err  # parked counts as handed over: the cursor moves on
    assert "parked in" in err and "`3cx events replay` re-sends it" in err
    dead = tmp_path / "dead.jsonl"
    assert oct(dead.stat().st_mode & 0o777) == "0o600"
    parked = [json.loads(line) for line in dead.read_text().splitlines()]
    assert [p["event"]["data"]["call_id"] for p in parked] == [call]
    assert parked[0]["error"] == "HTTP 503"

    args = ("events", "replay", "--to", receiver.url, "--secret-env", "HOOK_SECRET",
            "--dead-letter", str(dead))  # fmt: skip
    code, _, err = tcx(*args, env={"HOOK_SECRET": SECRET})
    assert code == 10
    assert "1 parked event(s) could not be delivered; they stay in" in err
    receiver.down = False
    code, _, err = tcx(*args, env={"HOOK_SECRET": SECRET})
    assert code == 0, err
    assert "1 parked event(s) delivered, 0 still failing" in err
    assert dead.read_text() == ""
    first, last = receiver.requests[0], receiver.requests[-1]
    assert first["headers"]["webhook-id"] == last["headers"]["webhook-id"]
    assert first["body"] == last["body"] and last["verified"]
    missing = tmp_path / "none" / "dead.jsonl"  # nothing parked yet: not an error
    code, _, err = tcx("events", "replay", "--to", receiver.url, "--dead-letter", str(missing))
    assert code == 0 and "0 parked event(s) delivered, 0 still failing" in err
    assert not missing.parent.exists()


def test_usage_errors(tcx: Cli, receiver: Receiver, tmp_path: Path) -> None:
    code, _, err = tcx("events", "relay", "--once")
    assert code == 2 and "Give the receiver as --to URL or --to-env VAR" in err
    code, _, err = tcx("events", "relay", "--once", "--to", receiver.url, "--secret-env", "NOPE")
    assert code == 2 and "the environment variable NOPE is not set or empty" in err
    code, _, err = tcx("events", "relay", "--once", "--to", "ftp://x", "--cursor", "c")
    assert code == 2 and "The webhook URL 'ftp://x' is not an http(s) URL" in err
    code, _, err = tcx(
        "events", "relay", "--once", "--to", "ftp://u:pw@x/T0K3N?k=S3C", "--cursor", "c"
    )
    assert code == 2 and "The webhook URL 'ftp://***@x/...' is not an http(s) URL" in err
    assert "T0K3N" not in err and "S3C" not in err and "pw" not in err
    code, _, err = tcx("events", "watch", "--once", "--since", "yesterday")
    assert code == 2 and "--since 'yesterday' is not a duration" in err
    code, _, err = tcx("events", "watch", "--once", "--since", "30d")
    assert code == 2 and "longer than 7 days" in err
    code, _, err = tcx("events", "watch", "--once", "--type", "call.exploded")
    assert code == 2 and "call.exploded" in err


def test_backoff_schedule_and_parking_with_a_clock(receiver: Receiver, tmp_path: Path) -> None:
    now = [0.0]
    receiver.down = True
    with WebhookSender(receiver.url, SECRET) as sender:
        relay = Relay(sender, DeadLetters(tmp_path / "d.jsonl"), park_after=100,
                      clock=lambda: now[0])  # fmt: skip
        event = Event("evt_x", "call.missed", "2026-01-01T00:00:00+00:00", "pbx", {})
        waits = []
        while not relay.deliver(event):
            waits.append(relay.seconds_to_retry())
            assert not relay.deliver(event)  # not due yet: nothing sent
            now[0] += relay.seconds_to_retry()
    assert waits == [1, 2, 4, 8, 16, 32, 60]
    assert len(receiver.requests) == 8 and relay.parked == 1


def test_without_a_secret_the_requests_are_unsigned_and_it_says_so(
    tcx: Cli, pbx: Pbx, receiver: Receiver, tmp_path: Path
) -> None:
    args = ("events", "relay", "--once", "--to", receiver.url, "--type", "call.ended",
            "--cursor", str(tmp_path / "c.sqlite"), "--dead-letter", str(tmp_path / "d"))  # fmt: skip
    tcx(*args)
    pbx.call("+441134960444", "101", answered=True)
    code, _, err = tcx(*args)
    assert code == 0
    assert "the webhooks go unsigned (no --secret-env)" in err
    [request] = receiver.requests
    assert "webhook-signature" not in request["headers"] and not request["verified"]
    assert request["headers"]["webhook-id"] == json.loads(request["body"])["id"]
