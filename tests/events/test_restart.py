"""SIGKILL the relay mid-burst: the receiver, deduping by webhook-id, sees each event
exactly once (tests/events/restart.py).  The suite runs two small drills whose kill points
are fixed by their seeds (early, and late in the burst); the issue's size -- 500 events,
20 runs -- is bench/bench_events_restart.py (figures in docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Cli, Pbx
from .receiver import Receiver
from .restart import drill


@pytest.mark.parametrize(("seed", "points"), [(23, [2, 6, 19]), (24, [12, 25, 38])])
def test_killed_relay_loses_and_repeats_nothing(
    tcx: Cli, pbx: Pbx, receiver: Receiver, tmp_path: Path, seed: int, points: list[int]
) -> None:
    result = drill(tcx, pbx, receiver, tmp_path, calls=30, kills=3, seed=seed)
    assert result.unique == result.expected == 45
    assert result.points == points  # the seed fixes where it dies: the same every run
    assert result.requests >= result.unique  # a kill between delivery and ack re-sends
    assert result.all_verified
    assert result.in_order
