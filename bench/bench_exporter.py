"""Exporter benchmark: ``3cx exporter`` over 20 or 100 emulated PBXs.

    .venv/bin/python bench/bench_exporter.py [--instances 20] [--scrapes 20]

One emulator process serves ``--instances`` PBXs; ``3cx --fleet all exporter`` starts
over them.  Measured:

* **cold**: from the exporter's start to its announcement, i.e. every metric family
  read once on every PBX (the cache is filled before the port is announced, so this is
  what the first scrape costs; a scrape never reads a PBX itself);
* **cached scrape**: ``GET /metrics`` (median and worst of ``--scrapes``) and its size;
* **requests per PBX**: the first PBX's request log during the cold fill, and its
  growth per cached scrape (0 unless a family's interval ends meanwhile).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import machine
from bench_fleet import emulated_fleet


def _pbx_requests(log: str, auth: tuple[str, str]) -> int:
    """Token and XAPI requests the PBX has answered (not the log's own reads)."""
    entries = httpx.get(log, auth=auth).json()
    return sum(1 for e in entries if e["path"].startswith(("/xapi/", "/connect/")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=20)
    ap.add_argument("--scrapes", type=int, default=20)
    args = ap.parse_args()
    with emulated_fleet(args.instances) as (tmp, startup, inventory, _, first, key):
        auth = (first["client_id"], key)
        log = first["url"] + "/emulator/requests"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
        env.update(TCX_CONFIG_DIR=tmp, TCX_DATA_DIR=tmp, TCX_CACHE_DIR=tmp,
                   TCX_NO_KEYRING="1")  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tcxkit", "--inventory", str(inventory), "--fleet",
             "all", "exporter", "--listen", "127.0.0.1:0"],
            stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            cold = time.perf_counter() - started
            url = line.split()[3]
            filled = _pbx_requests(log, auth)
            times, size = [], 0
            for _ in range(args.scrapes):
                t = time.perf_counter()
                r = httpx.get(url)
                times.append(time.perf_counter() - t)
                size = len(r.content)
                assert r.status_code == 200
            after = _pbx_requests(log, auth)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out = {
        "machine": machine(), "instances": args.instances, "emulator_start_s": startup,
        "cold_s": round(cold, 3), "scrape_median_s": round(statistics.median(times), 4),
        "scrape_max_s": round(max(times), 4), "metrics_bytes": size,
        "requests_per_pbx_cold": filled,
        "requests_per_pbx_per_cached_scrape": (after - filled) / args.scrapes,
    }  # fmt: skip
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
