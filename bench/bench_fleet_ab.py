"""A/B of ``3cx state plan`` over a fleet: an earlier commit against this tree, one run.

    .venv/bin/python bench/bench_fleet_ab.py --base ab89ec2 [--instances 99] [--rounds 5]

Exports ``src/`` of ``--base`` (``git archive``) into a temporary folder and runs, in a
fresh child each, ``python -m tcxkit.cli state plan FILE`` on the first PBX and
``--inventory F --fleet all state plan FILE`` over all of them -- with ``PYTHONPATH``
pointing at the base's ``src`` or at this tree's.  One emulator process (this tree's)
serves every side; the four sides run in rotating order every round after a warm-up
round (tokens cached, byte-code compiled), so both trees see the same server and load.

Per tree: the medians, the wall and CPU ratio ``--fleet all`` / one PBX (median and range
of the per-round ratios, as bench_fleet.py reports it) and the client CPU per extra PBX,
``(all - one) / (N - 1)``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_export import run_child
from bench_fleet import emulated_fleet, first_pbx_env

ROOT = Path(__file__).resolve().parent.parent


def export_src(rev: str, into: Path) -> Path:
    """``src/`` of ``rev`` under ``into`` (a commit, as it was committed)."""
    archive = into / "base.tar"
    with open(archive, "wb") as out:
        subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "base", filter="data")
    return into / "base" / "src"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the commit to compare against")
    ap.add_argument("--instances", type=int, default=99)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with emulated_fleet(args.instances) as (tmp, _startup, inventory, name, first, key):
        trees = {"base " + args.base: export_src(args.base, Path(tmp)), "this tree": ROOT / "src"}
        env = first_pbx_env(tmp, first, key)
        cli = [sys.executable, "-m", "tcxkit.cli"]
        state_file = Path(tmp) / f"{name}.yaml"
        run_child(
            [*cli, "state", "pull", "-f", str(state_file)], {**env, "PYTHONPATH": str(ROOT / "src")}
        )
        plan = ["state", "plan", str(state_file)]
        sides = {}
        for tree, src in trees.items():
            tree_env = {**env, "PYTHONPATH": str(src)}
            sides[(tree, "one")] = ([*cli, *plan], tree_env)
            sides[(tree, "all")] = (
                [*cli, "--inventory", str(inventory), "--fleet", "all", *plan],
                tree_env,
            )
        for cmd, side_env in sides.values():  # warm-up
            run_child(cmd, side_env)
        runs: dict[tuple[str, str], list[dict[str, float]]] = {s: [] for s in sides}
        order = list(sides)
        loads = [os.getloadavg()[0]]
        for r in range(args.rounds):
            for side in order[r % len(order) :] + order[: r % len(order)]:
                runs[side].append(run_child(*sides[side]))
            loads.append(os.getloadavg()[0])
    report(runs, list(trees), args, loads)


def _spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def report(
    runs: dict[tuple[str, str], list[dict[str, float]]],
    trees: list[str],
    args: argparse.Namespace,
    loads: list[float],
) -> None:
    print(
        f"{args.rounds} interleaved rounds, {args.instances} PBXs; 1-minute load average "
        f"{min(loads):.1f}-{max(loads):.1f} ({os.cpu_count()} CPUs)"
    )
    print(
        "| tree | one PBX wall / CPU | `--fleet all` wall / CPU | wall / one PBX "
        "| CPU / one PBX | client CPU per extra PBX |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for tree in trees:
        one, every = runs[(tree, "one")], runs[(tree, "all")]
        med = {
            k: {w: statistics.median(s[w] for s in v) for w in ("wall", "cpu")}
            for k, v in (("one", one), ("all", every))
        }
        wall = [a["wall"] / o["wall"] for a, o in zip(every, one, strict=True)]
        cpu = [a["cpu"] / o["cpu"] for a, o in zip(every, one, strict=True)]
        extra = [
            (a["cpu"] - o["cpu"]) / (args.instances - 1) * 1000
            for a, o in zip(every, one, strict=True)
        ]
        print(
            f"| {tree} | {med['one']['wall']:.2f} s / {med['one']['cpu']:.2f} s "
            f"| {med['all']['wall']:.2f} s / {med['all']['cpu']:.2f} s | {_spread(wall)} "
            f"| {_spread(cpu)} | {_spread(extra)} ms |"
        )


if __name__ == "__main__":
    main()
