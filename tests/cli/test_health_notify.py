"""``3cx health --notify``: one summary per run, POSTed to a real receiver on loopback,
signed as Standard Webhooks (checked with the independent ``standardwebhooks`` library),
only when something needs attention unless ``--notify-on always``; the receiver's URL
(which may hold a token) is never printed; an undelivered summary exits 4 after the
report, and the flags are checked before any PBX is asked."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import standardwebhooks

from tests.events.receiver import SECRET, Receiver

from .conftest import Runner

TOKEN = "T0KEN-in-the-url-5b1c"


def test_a_fleet_with_one_down_posts_one_signed_summary(
    run: Runner,
    three_one_down: Path,
) -> None:
    with Receiver() as receiver:
        env = {"HOOK_URL": f"{receiver.url}?token={TOKEN}", "HOOK_SECRET": SECRET}
        r = run("--inventory", str(three_one_down), "--fleet", "all", "health", "-o", "json",
                "--only", "disk_space,licence_expiry", "--notify-env", "HOOK_URL",
                "--notify-secret-env", "HOOK_SECRET", env={"DOWN_KEY": "k", **env})  # fmt: skip
    assert r.code == 10, r.err
    assert "3cx: summary sent to 127.0.0.1 (HTTP 204)." in r.err
    assert TOKEN not in r.out + r.err
    (request,) = receiver.requests
    body = standardwebhooks.Webhook(SECRET).verify(request["body"], request["headers"])
    assert body["status"] == "pass" and body["pbxs"] == []
    assert [u["pbx"] for u in body["unreachable"]] == ["down"]
    assert body["text"].splitlines()[0] == ("3CX health, 3 PBX(s): 1 PBX(s) not reachable.")
    assert body["text"].splitlines()[1].startswith("DOWN down: Cannot connect")


def test_healthy_sends_nothing_unless_always(run: Runner) -> None:
    with Receiver() as receiver:
        base = ("health", "--only", "disk_space", "-o", "json", "--notify", receiver.url)
        quiet = run(*base)
        assert quiet.code == 0, quiet.err
        assert "3cx: healthy; no summary sent to 127.0.0.1 (--notify-on problems)." in quiet.err
        assert receiver.requests == []
        sent = run(*base, "--notify-on", "always")
        assert sent.code == 0, sent.err
    (request,) = receiver.requests
    assert not request["verified"]  # unsigned without --notify-secret-env
    body = json.loads(request["body"])
    assert body["text"] == "3CX health, 1 PBX(s): every check passed."
    assert body["counts"]["pass"] == 1


def test_an_undelivered_summary_exits_4_after_the_report(run: Runner) -> None:
    with socket.socket() as sock:  # a port nobody serves
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    r = run("health", "--only", "disk_space", "-o", "json", "--notify-env", "HOOK",
            "--notify-on", "always", env={"HOOK": f"http://127.0.0.1:{port}/x?t={TOKEN}"})  # fmt: skip
    assert r.code == 4, r.err
    assert json.loads(r.out)["status"] == "pass"  # the report came first, whole
    assert "The health summary was not delivered to 127.0.0.1: ConnectError" in r.err
    assert "(3 attempts). The report above is complete." in r.err
    assert TOKEN not in r.out + r.err


def test_notify_flags_are_checked_before_any_pbx_is_asked(run: Runner) -> None:
    both = run("health", "--notify", "http://127.0.0.1:9/x", "--notify-env", "HOOK",
               env={"HOOK": "http://127.0.0.1:9/y"})  # fmt: skip
    assert both.code == 2
    assert "Give the receiver as --notify URL or --notify-env VAR, not both." in both.err
    unset = run("health", "--notify-env", "NOT_SET_ANYWHERE")
    assert unset.code == 2
    assert "--notify-env NOT_SET_ANYWHERE: the environment variable is not set or empty." in (
        unset.err
    )
    secret = run("health", "--notify", "http://127.0.0.1:9/x", "--notify-secret-env", "NOPE")
    assert secret.code == 2
    assert "--notify-secret-env NOPE: the environment variable NOPE is not set or empty." in (
        secret.err
    )
