"""``3cx state plan|apply|pull --fleet``: the drift report and roll-outs over emulated PBXs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcxkit.emulator import EmulatorConfig
from tcxkit.emulator.fleet import running_fleet
from tcxkit.fleet import PbxTarget, SecretRef, dump_inventory

from .conftest import Runner

STANDARD = """\
parameters:
  MSP_STANDARD:
    Value: "v1"
groups:
  NightShift: {}
"""


@pytest.fixture
def fleet3(tmp_path: Path) -> Iterator[Any]:
    """Three demo PBXs of this test's own: the tests here write to them."""
    with running_fleet(3, tmp_path / "fleet.toml", EmulatorConfig(data="demo")) as fleet:
        yield fleet


@pytest.fixture
def standard(dirs: dict[str, Path]) -> str:
    """The MSP's standard, in the directory the CLI runs in (relative: short cells)."""
    (dirs["work"] / "standard.yaml").write_text(STANDARD)
    return "standard.yaml"


def _state(run: Runner, fleet: Any, selector: str, *args: str) -> Any:
    return run("--inventory", str(fleet.inventory), "--fleet", selector, "state", *args)


def test_plan_over_the_fleet_is_the_drift_report(run: Runner, fleet3: Any, standard: str) -> None:
    first = _state(run, fleet3, "pbx01", "apply", standard, "--yes", "-o", "json")
    assert first.code == 0, first.err
    assert first.json() == [{"pbx": "pbx01", "applied": 2, "failed_at": None, "not_attempted": 0}]
    r = _state(run, fleet3, "all", "plan", standard, "-o", "table")
    assert r.code == 2, r.err
    assert [line.split() for line in r.out.splitlines()] == [
        ["pbx", "create", "update", "delete", "file", "error"],
        ["pbx01", "0", "0", "0", standard],
        ["pbx02", "2", "0", "0", standard],
        ["pbx03", "2", "0", "0", standard],
    ]
    data = _state(run, fleet3, "us", "plan", standard, "-o", "json").json()
    assert [
        (row["pbx"], [(c["kind"], c["key"], c["op"]) for c in row["changes"]]) for row in data
    ] == [("pbx02", [("parameters", "MSP_STANDARD", "create"), ("groups", "NightShift", "create")])]


def test_apply_rolls_out_to_every_pbx_once(run: Runner, fleet3: Any, standard: str) -> None:
    dry = _state(run, fleet3, "all", "apply", standard, "--dry-run", "-o", "jsonl")
    assert dry.code == 0, dry.err  # the drift report, and exit 0 as every --dry-run
    assert [(x["pbx"], x["create"]) for x in dry.lines()] == [
        ("pbx01", 2), ("pbx02", 2), ("pbx03", 2)
    ]  # fmt: skip
    refused = _state(run, fleet3, "all", "apply", standard)
    assert refused.code == 2
    assert "apply 6 creates, 0 updates, 0 deletes to 3 PBXs (pbx01, pbx02, pbx03)" in refused.err
    assert "not confirmed, nothing was sent" in refused.err
    r = _state(run, fleet3, "all", "apply", standard, "--yes", "-o", "jsonl")
    assert r.code == 0, r.err
    assert [(x["pbx"], x["applied"]) for x in r.lines()] == [
        ("pbx01", 2), ("pbx02", 2), ("pbx03", 2)
    ]  # fmt: skip
    again = _state(run, fleet3, "all", "apply", standard, "--yes", "-o", "jsonl")
    assert [(x["pbx"], x["applied"]) for x in again.lines()] == [
        ("pbx01", 0), ("pbx02", 0), ("pbx03", 0)
    ]  # fmt: skip
    assert _state(run, fleet3, "all", "plan", standard).code == 0


def test_one_pbx_down_the_others_are_planned_exit_10(
    run: Runner, fleet3: Any, standard: str, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = PbxTarget("down", f"http://127.0.0.1:{port}", "x", SecretRef("env", "DOWN_KEY"))
    inventory = tmp_path / "with-down.toml"
    inventory.write_text(dump_inventory([*fleet3.targets, down]))
    r = run(
        "--inventory", str(inventory), "--fleet", "all", "state", "plan", standard,
        "-o", "jsonl", env={"DOWN_KEY": "k-never-shown"},
    )  # fmt: skip
    assert r.code == 10, r.err
    rows = r.lines()
    assert [(x["pbx"], x.get("create")) for x in rows] == [
        ("pbx01", 2), ("pbx02", 2), ("pbx03", 2), ("down", None)
    ]  # fmt: skip
    assert rows[3]["error"]["exit_code"] == 4
    assert "1 of 4 PBXs failed (down: " in r.err
    assert "k-never-shown" not in r.out + r.err


def test_pull_writes_a_file_per_pbx_and_plan_reads_them(
    run: Runner, fleet3: Any, dirs: dict[str, Path]
) -> None:
    pattern = "state/{pbx}.yaml"
    no_name = _state(run, fleet3, "all", "pull", "--only", "groups", "-f", "one.yaml")
    assert no_name.code == 2
    assert "state pull --fleet writes one file per PBX: name them with {pbx} in -f." in no_name.err
    r = _state(run, fleet3, "eu", "pull", "--only", "groups,parameters", "-f", pattern)
    assert r.code == 0, r.err
    assert [line.split()[:2] for line in r.out.splitlines()[1:]] == [
        ["pbx01", pattern.replace("{pbx}", "pbx01")],
        ["pbx03", pattern.replace("{pbx}", "pbx03")],
    ]
    text = (dirs["work"] / "state" / "pbx03.yaml").read_text()
    assert text.startswith("# 3cx state pull of pbx03 (http://127.0.0.1:")
    assert "\n  Engineering:\n" in text  # a whole group, as the PBX answers it
    again = _state(run, fleet3, "eu", "pull", "--only", "groups", "-f", pattern)
    assert again.code != 0 and "exist; nothing was pulled." in again.err
    plan = _state(run, fleet3, "eu", "plan", pattern)
    assert plan.code == 0, plan.out + plan.err


def test_a_missing_pbx_file_is_that_pbx_error_row_exit_10(
    run: Runner, fleet3: Any, dirs: dict[str, Path]
) -> None:
    (dirs["work"] / "customers").mkdir()
    for name in ("pbx01", "pbx03"):
        (dirs["work"] / "customers" / f"{name}.yaml").write_text(STANDARD)
    r = _state(run, fleet3, "all", "plan", "customers/{pbx}.yaml", "-o", "jsonl")
    assert r.code == 10, r.err
    rows = r.lines()
    assert [(x["pbx"], x.get("create"), x["file"]) for x in rows] == [
        ("pbx01", 2, "customers/pbx01.yaml"),
        ("pbx02", None, "customers/pbx02.yaml"),
        ("pbx03", 2, "customers/pbx03.yaml"),
    ]
    assert "customers/pbx02.yaml" in rows[1]["error"]["message"]
    assert rows[1]["error"]["exit_code"] == 3
    assert "1 of 3 PBXs failed (pbx02: " in r.err
    shared = _state(run, fleet3, "all", "plan", "missing.yaml")
    assert shared.code == 3  # one file for every PBX: the run stops, as for one PBX
    assert "missing.yaml" in shared.err
