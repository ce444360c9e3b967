"""Deep pages and throughput: this tree against a baseline tree, interleaved in one run.

    .venv/bin/python bench/bench_paging.py --baseline /tmp/base/src [--rounds 3]
        [--scale 100000] [--duration 5] [--connections 16]

``--baseline`` is the ``src`` directory of another checkout (for instance
``git archive <commit> | tar -x -C /tmp/base``); it runs with this interpreter and its
installed dependencies, only ``tcxkit`` comes from there.  Each round starts one
emulator of each tree in turn (demo company plus ``--scale`` call-log segments in a
SQLite file) and measures, on the same machine state:

* the time of one 100-row ``CallHistoryView`` page at ``$skip`` 0, 50 000 and 100 000
  (median of ``--repeats`` requests each, over one keep-alive connection, the skips
  interleaved), measured by the client: HTTP and JSON included;
* a full export: every row, 100 per page (the largest ``$top`` a set accepts), by ``$skip``;
* the three ``wrk`` loads of ``bench_emulator.py`` (same requests, ``-t1``);
* in one fresh process per tree (no HTTP, so a busy machine blurs it less): the store's
  answer to the same page at each skip, median of ``--repeats`` x 10 calls, and a page
  by page walk over all rows (what an export costs the server).

The machine may be shared: the figures are medians over rounds with their spread, and
only ratios measured in the same round are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import (  # the sibling benchmark's helpers, same folder
    emulator_cmd,
    free_port,
    requests_under_test,
    serve,
    token,
    wrk,
)

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
SKIPS = (0, 50_000, 100_000)
PAGE = 100
EXPORT_PAGE = 100  # the largest $top an ordinary set accepts


def _pages(client: httpx.Client, repeats: int) -> dict[int, float]:
    """Median ms of one page per skip; the skips take turns so drift hits all alike."""
    times: dict[int, list[float]] = {skip: [] for skip in SKIPS}
    for _ in range(repeats):
        for skip in SKIPS:
            began = time.perf_counter()
            r = client.get("/CallHistoryView", params={"$top": PAGE, "$skip": skip})
            times[skip].append((time.perf_counter() - began) * 1000)
            r.raise_for_status()
    return {skip: statistics.median(values) for skip, values in times.items()}


def _export(client: httpx.Client) -> tuple[float, int]:
    """Seconds to read every call-history row by $skip pages, and the rows read."""
    began = time.perf_counter()
    rows = skip = 0
    while True:
        r = client.get("/CallHistoryView", params={"$top": EXPORT_PAGE, "$skip": skip})
        r.raise_for_status()
        got = len(r.json()["value"])
        rows += got
        skip += got
        if got < EXPORT_PAGE:
            return time.perf_counter() - began, rows


IN_PROCESS = """
import json, statistics, sys, time
from tcxkit.emulator import EmulatorConfig, create_app
from tcxkit.emulator.domain.calls import call_history_set
from tcxkit.emulator.odata import parse_query
skips, repeats, page = json.loads(sys.argv[1])
state = create_app(EmulatorConfig(data="demo", scale=int(sys.argv[2]))).state.emulator
es = call_history_set(state)
def one(skip):
    began = time.perf_counter()
    es.query(parse_query({"$top": str(page), "$skip": str(skip)}), order=("StartTime",))
    return (time.perf_counter() - began) * 1000
times = {s: [] for s in skips}
for _ in range(repeats):
    for s in skips:
        times[s].append(one(s))
out = {f"in-process page ms at $skip={s:,}": statistics.median(v) for s, v in times.items()}
total = len(es)
began = time.perf_counter()
for skip in range(0, total, page):
    es.query(parse_query({"$top": str(page), "$skip": str(skip)}), order=("StartTime",))
out[f"in-process walk over {total:,} rows, s"] = time.perf_counter() - began
print(json.dumps(out))
"""


def in_process(src: Path, args: argparse.Namespace) -> dict[str, float]:
    """The store's page times in a fresh process of the tree at ``src`` (no HTTP)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    spec = json.dumps([list(SKIPS), args.repeats * 10, PAGE])
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, spec, str(args.scale)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(src: Path, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """One emulator from ``src``: page times, export time and wrk throughput."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    port = free_port()
    db = tmp / f"pbx-{port}.sqlite"
    cmd = emulator_cmd(port, "--scale", str(args.scale), "--db", str(db))
    out: dict[str, float] = {}
    with serve(cmd, port, timeout=600, env=env):
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token(base)}"}
        with httpx.Client(base_url=f"{base}/xapi/v1", headers=headers, timeout=60) as client:
            client.get("/CallHistoryView", params={"$top": 1}).raise_for_status()
            for skip, ms in _pages(client, args.repeats).items():
                out[f"page ms at $skip={skip:,}"] = ms
            seconds, rows = _export(client)
            out[f"export of {rows:,} rows, s"] = seconds
        for name, path in requests_under_test().items():
            load = wrk(f"{base}/xapi/v1{path}", headers, args.duration, args.connections)
            out[f"{name} req/s"] = load.rps
    db.unlink(missing_ok=True)
    out.update(in_process(src, args))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, required=True, help="src/ of the baseline tree")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=15, help="requests per skip and round")
    ap.add_argument("--scale", type=int, default=100_000)
    ap.add_argument("--duration", type=int, default=5, help="seconds of wrk load per request")
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args(argv)
    trees = {"baseline": args.baseline.resolve(), "this tree": ROOT / "src"}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="tcxkit-paging-") as tmp:
        for n in range(args.rounds):
            order = list(trees.items()) if n % 2 == 0 else list(trees.items())[::-1]
            for name, src in order:
                runs[name].append(measure(src, args, Path(tmp)))
                print(f"round {n + 1} {name}: {runs[name][-1]}", flush=True)
    print()
    print("| Figure | Baseline median (min-max) | This tree median (min-max) | Ratio |")
    print("|---|---:|---:|---:|")
    for figure in runs["baseline"][0]:
        cells = []
        medians = []
        for name in trees:
            values = [run[figure] for run in runs[name]]
            medians.append(statistics.median(values))
            cells.append(f"{medians[-1]:,.2f} ({min(values):,.2f}-{max(values):,.2f})")
        print(f"| {figure} | {cells[0]} | {cells[1]} | {medians[1] / medians[0]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
