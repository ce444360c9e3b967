"""The traffic generator (emulator/domain/traffic.py) over real HTTP, on the manual clock:
a realistic mix, the same calls and outcomes for the same seed, bounded work, and the
command's ``--traffic``/``--seed`` refused with the fix when they make no sense."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tcxkit.cli.app import cli
from tcxkit.emulator import running
from tcxkit.emulator.cli import command

from ..emulators import own_config


def _run(seed: int, seconds: float = 60, rate: float = 2) -> dict[str, Any]:
    """What a demo PBX's generator did in its first ``seconds`` (manual clock)."""
    options = {"clock": "manual", "traffic": rate, "seed": seed}
    with running(own_config(data="demo", options=options)) as emu:
        with httpx.Client(base_url=emu.url, auth=emu.control_auth, timeout=60) as control:
            r = control.post("/emulator/clock", json={"advance": seconds})
            assert r.status_code == 200, r.text
            report: dict[str, Any] = r.json()["traffic"]
        logged = len(emu.state.extra["call_log"].all())
    report["happened"] = [{k: v for k, v in e.items() if k != "at"} for e in report["recent"]]
    report["logged"] = logged
    return report


def test_the_same_seed_makes_the_same_calls_and_outcomes() -> None:
    first, again, other = _run(7), _run(7), _run(8)
    assert first["happened"] == again["happened"]  # calls, parties, outcomes, offsets
    assert first["happened"] != other["happened"]
    assert first["seed"] == 7 and first["rate"] == 2
    calls = [e for e in first["happened"] if e["kind"] == "call"]
    # ~2 calls/s for 60 s, a contact centre's mix: every outcome, queues and ring groups.
    assert 90 <= first["calls"] <= 150 and first["refused"] == 0
    outcomes = Counter(e["outcome"] for e in calls)
    assert outcomes["answered"] > outcomes["abandoned"] > 0 and outcomes["missed"] > 0
    assert {"800", "801", "802"} & {e["to"] for e in calls}  # queues
    assert {"850", "851"} & {e["to"] for e in calls}  # ring groups
    changes = ("registrations", "agent_logins", "trunk_flaps", "backups", "backup_failures")
    assert sum(first[c] for c in changes) > 0
    assert first["logged"] > 0  # ended calls are in the call log


def test_calls_beyond_max_calls_are_refused_and_counted() -> None:
    options = {"clock": "manual", "traffic": 5, "seed": 1, "max_calls": 10}
    with running(own_config(data="demo", options=options)) as emu:
        r = httpx.post(emu.url + "/emulator/clock", json={"advance": 30}, auth=emu.control_auth)
        report = r.json()["traffic"]
        assert report["refused"] > 0
        assert len(emu.state.entity_set("ActiveCalls").all()) <= 10


def test_one_advance_may_not_bring_too_many_calls() -> None:
    options = {"clock": "manual", "traffic": 50, "seed": 1}
    with running(own_config(data="empty", options=options)) as emu:
        r = httpx.post(emu.url + "/emulator/clock", json={"advance": 3600}, auth=emu.control_auth)
        assert r.status_code == 400
        assert r.json()["error"]["message"] == (
            "At --traffic 50 calls/s, 3600 s is about 180000 calls in one request (at most "
            "20000); advance at most 400 s at a time."
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--traffic", "-1"], "Invalid value for '--traffic': '-1' is not a rate: give new calls"
                              " per second from 0 to 50, e.g. --traffic 0.5"),
        (["--traffic", "51"], "'51' is not a rate: give new calls per second from 0 to 50"),
        (["--traffic", "fast"], "'fast' is not a rate"),
        (["--traffic", "nan"], "'nan' is not a rate"),
        (["--traffic", "1", "--seed", "-3"], "Invalid value for '--seed': -3 is not in the range"),
        (["--traffic", "1", "--seed", "x"], "Invalid value for '--seed': 'x' is not a valid integer"),
        (["--max-calls", "0"], "Invalid value for '--max-calls': 0 is not in the range 1<=x<=1000"),
        (["--seed", "3"], "Error: --seed only applies with --traffic.\n"
                          "Hint: Give the rate too, e.g. --traffic 0.5 --seed 7."),
    ],
)  # fmt: skip
def test_nonsense_rates_and_seeds_are_refused_by_both_front_ends(
    args: list[str], message: str
) -> None:
    runner = CliRunner()
    alone = runner.invoke(command(), args, prog_name="python -m tcxkit.emulator")
    in_3cx = runner.invoke(cli, ["emulator", *args])
    for result in (alone, in_3cx):
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert all(option in _help() for option in ("--traffic", "--seed", "--max-calls"))


def _help() -> str:
    return CliRunner().invoke(command(), ["--help"]).output


def test_each_pbx_of_a_fleet_gets_its_own_seed() -> None:
    from tcxkit.emulator.fleet import fleet_configs

    configs = fleet_configs(3, own_config(options={"traffic": 1, "seed": 7}))
    assert [c.options["seed"] for c in configs] == [7, 8, 9]
    assert all(c.options["traffic"] == 1 for c in configs)
    assert "seed" not in fleet_configs(2, own_config(options={"traffic": 1}))[1].options


def test_the_flags_reach_the_pbx_options() -> None:
    from tcxkit.emulator.cli import _domain_options

    given = {"time_zone": None, "recordings": None, "traffic": 3.5, "seed": 9, "max_calls": 400}
    assert _domain_options(given) == {"traffic": 3.5, "seed": 9, "max_calls": 400}
    assert _domain_options({**given, "traffic": None, "seed": None, "max_calls": None}) == {}
