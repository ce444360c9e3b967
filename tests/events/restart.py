"""The restart drill: SIGKILL the relay at random points of a burst of calls; the
receiver, deduping by ``webhook-id``, must see every event exactly once.

Used by tests/events/test_restart.py (a small burst) and bench/bench_events_restart.py
(the issue's size: 500 events, 20 runs).  Each run: a baseline ``relay --once``, then a
relay that polls every 0.1 s while a thread makes the calls (half of them missed: two
events each); the relay is killed with SIGKILL as soon as the receiver has seen a
randomly chosen number of requests -- possibly between a delivery and its ack -- and
started again on the same cursor file.  Kill points are taken from the receiver's
count, so they land mid-burst on any machine, never by sleeping.
"""

from __future__ import annotations

import json
import random
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .receiver import SECRET, Receiver

#: Longest wait for the receiver to have everything once the burst is over, seconds.
SETTLE = 120.0


@dataclass
class DrillResult:
    expected: int  # distinct events the calls make
    requests: int  # POSTs the receiver got (duplicates included)
    unique: int  # distinct webhook-ids among the 2xx-answered ones
    kills: int
    points: list[int]  # the receiver counts the relay was killed at (fixed by the seed)
    all_verified: bool
    in_order: bool


def drill(tcx: Any, pbx: Any, receiver: Receiver, workdir: Path, *, calls: int, kills: int,
          seed: int) -> DrillResult:  # fmt: skip
    rng = random.Random(seed)
    args = ["events", "relay", "--to", receiver.url, "--secret-env", "HOOK_SECRET",
            "--cursor", str(workdir / "cursor.sqlite"), "--dead-letter",
            str(workdir / "dead.jsonl"), "--type", "call.ended", "--type", "call.missed"]  # fmt: skip
    code, _, err = tcx(*args, "--once", env={"HOOK_SECRET": SECRET})
    assert code == 0, err
    missed = [i % 2 == 0 for i in range(calls)]
    expected = calls + sum(missed)
    made: list[tuple[int, bool]] = []

    def burst() -> None:
        for i in range(calls):
            made.append((pbx.call(f"+44113496{i:04d}", "102", answered=not missed[i]), missed[i]))

    spawn_env = {"HOOK_SECRET": SECRET}
    log = (workdir / "relay.err").open("a")  # every relay's stderr, for a failure's message

    def start() -> Any:
        return tcx.spawn(*args, "--interval", "0.1", env=spawn_env, stderr=log)

    proc = start()
    maker = threading.Thread(target=burst)
    maker.start()
    points = sorted(rng.sample(range(1, expected), min(kills, expected - 1)))
    try:
        for point in points:
            running = proc  # a relay that exits fails the drill now, not after SETTLE
            assert receiver.wait_for(
                lambda r, n=point, p=running: len(r.requests) >= n or p.poll() is not None,
                SETTLE,
            ), point
            if proc.poll() is not None:
                log.flush()
                tail = (workdir / "relay.err").read_text()[-3000:]
                raise AssertionError(f"the relay exited with {proc.returncode}:\n{tail}")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc = start()
        maker.join()
        done = receiver.wait_for(lambda r: len(_unique(r)) >= expected, SETTLE)
        assert done, f"{len(_unique(receiver))} of {expected} events arrived"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        maker.join()
        log.close()
    want = {("call.ended", cid) for cid, _ in made} | {("call.missed", c) for c, m in made if m}
    got = _unique(receiver)
    assert {(e["type"], e["data"]["call_id"]) for e in got.values()} == want
    order = [e["data"]["call_id"] for e in got.values() if e["type"] == "call.ended"]
    return DrillResult(
        expected=expected,
        requests=len(receiver.requests),
        unique=len(got),
        kills=kills,
        points=points,
        # Every request answered 2xx verified; one cut short by a kill is refused (400).
        all_verified=all(r["verified"] for r in receiver.requests if r["status"] < 300),
        in_order=order == sorted(order),
    )


def _unique(receiver: Receiver) -> dict[str, dict[str, Any]]:
    """The accepted events by webhook-id, in order of first arrival (the dedupe)."""
    seen: dict[str, dict[str, Any]] = {}
    for r in list(receiver.requests):
        if r["status"] < 300:
            seen.setdefault(r["headers"]["webhook-id"], json.loads(r["body"]))
    return seen
