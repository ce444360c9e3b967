"""The action search: index build and time per query over the evaluation set.

    .venv/bin/python bench/bench_search.py [--rounds 5] [--release 20.0.10]

Measures, in this process, with the catalog already loaded:

* the index build (``index_for`` on a fresh catalog object), median of ``--rounds``;
* every request of ``tests/search_eval/requests.jsonl`` through
  ``ActionIndex.query(limit=10)``, each round with the per-word caches cleared, so
  every query pays for its typo and synonym look-ups as a first query would.

Per query it reports wall time and CPU time of the thread (``time.thread_time``):
on a shared machine the wall figure's tail is mostly time the process did not run
(a busy neighbour takes the core for a scheduler slice), the CPU figure is the
search's own cost.  The target is under 5 ms per query over the 601 actions.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.search_eval.evalset import load

from tcxkit.catalog import Catalog, catalog
from tcxkit.catalog.search import ActionIndex

__all__ = ["main"]


def _fresh(release: str) -> Catalog:
    """A new catalog object (the index is cached per catalog object)."""
    base = catalog(release)
    return Catalog(base.release, base._records, base.counts)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--release", default="20.0.10")
    args = ap.parse_args(argv)
    queries = [r.query for r in load()]
    builds: list[float] = []
    build_cpu: list[float] = []
    wall: list[float] = []
    cpu: list[float] = []
    index: ActionIndex | None = None
    for _ in range(args.rounds):
        cat = _fresh(args.release)
        list(cat)
        t, c = time.perf_counter(), time.thread_time()
        index = ActionIndex(cat)
        build_cpu.append(time.thread_time() - c)
        builds.append(time.perf_counter() - t)
        for q in queries:
            t, c = time.perf_counter(), time.thread_time()
            index.query(q, limit=10)
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - t)
    assert index is not None
    n = len(catalog(args.release))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{len(queries)} queries x {args.rounds} rounds over {n} actions (XAPI {args.release})")
    print(
        f"index build: median {statistics.median(builds) * 1e3:.0f} ms "
        f"(min {min(builds) * 1e3:.0f}, max {max(builds) * 1e3:.0f}); "
        f"CPU median {statistics.median(build_cpu) * 1e3:.0f} ms"
    )
    for name, xs in (("wall", wall), ("cpu", cpu)):
        print(
            f"per query ({name}): median {statistics.median(xs) * 1e3:.2f} ms, "
            f"p90 {_pct(xs, 0.9) * 1e3:.2f}, p99 {_pct(xs, 0.99) * 1e3:.2f}, "
            f"max {max(xs) * 1e3:.2f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
