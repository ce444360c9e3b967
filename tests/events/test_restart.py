"""SIGKILL the relay mid-burst: the receiver, deduping by webhook-id, sees each event
exactly once (tests/events/restart.py; the full-size drill is bench/bench_events_restart.py)."""

from __future__ import annotations

from pathlib import Path

from .conftest import Cli, Pbx
from .receiver import Receiver
from .restart import drill


def test_killed_relay_loses_and_repeats_nothing(
    tcx: Cli, pbx: Pbx, receiver: Receiver, tmp_path: Path
) -> None:
    result = drill(tcx, pbx, receiver, tmp_path, calls=30, kills=3, seed=23)
    assert result.unique == result.expected == 45
    assert result.points == [2, 6, 19]  # the seed fixes where it dies: the same every run
    assert result.requests >= result.unique  # a kill between delivery and ack re-sends
    assert result.all_verified
    assert result.in_order
