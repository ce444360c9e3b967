"""Wall and CPU time of a test directory in two trees, interleaved.

    python bench/bench_suite.py BASELINE_TREE [--tree .] [--tests tests/cli] [--rounds 2]

Each tree runs the tests with its own ``.venv`` (``.venv/bin/python -m pytest TESTS -q``);
the rounds alternate baseline and tree, so both see the same load on a shared machine.
CPU is user + system time of pytest and every child it waited for (console-script runs,
``python -m`` runs), read from ``getrusage(RUSAGE_CHILDREN)``: on a busy machine it moves
far less than wall time.  Used for the "Test suite" figures in docs/benchmarks.md, with a
clone of main as the baseline.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time
from pathlib import Path


def _run(tree: Path, tests: str) -> tuple[float, float, str]:
    """(wall s, CPU s, pytest's last line) of one run in ``tree``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(tree / ".venv/bin/python"), "-m", "pytest", tests, "-q", "-p", "no:cacheprovider"],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.strip().splitlines()
    return wall, cpu, lines[-1] if lines else f"exit {done.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="the other tree (e.g. a clone of main)")
    parser.add_argument("--tree", type=Path, default=Path("."), help="this tree")
    parser.add_argument("--tests", default="tests/cli")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "tree": args.tree.resolve()}
    print(f"{'round':>5} {'side':<8} {'wall s':>7} {'CPU s':>6} {'load':>5}  pytest")
    for n in range(1, args.rounds + 1):
        for side, tree in trees.items():
            wall, cpu, last = _run(tree, args.tests)
            load = os.getloadavg()[0]
            print(f"{n:>5} {side:<8} {wall:>7.1f} {cpu:>6.1f} {load:>5.1f}  {last}", flush=True)


if __name__ == "__main__":
    main()
