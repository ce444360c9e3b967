"""A fleet watched by one process: CPU, memory and detection delay of ``3cx --fleet all
events watch`` over ``--instances`` emulated PBXs (issue #23: 100 PBXs at a 10 s interval).

    PYTHONPATH=src .venv/bin/python bench/bench_events_fleet.py [--instances 100] [--interval 10] [--seconds 60]

One emulator process serves the PBXs (``python -m tcxkit.emulator --instances N``).  The
watcher runs as a child (``--type trunk.down``); after its first round, each PBX's first
trunk is taken down once, at a random moment of ``--seconds``, through the emulator's
control endpoint, and the time from that request to the event's line on the watcher's
stdout is its detection delay.  Prints the watcher's CPU (share of one core over the
measured period), its peak RSS, and the delays' p50/p99/max; exits 1 if an event is
missing or repeated.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import emulator_cmd
from bench_fleet import fleet_server

from tcxkit.config.inventory import load_inventory, resolve_secret


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--all-sources", action="store_true",
                    help="Poll every source (the delay is still trunk.down's).")  # fmt: skip
    a = ap.parse_args()
    rng = random.Random(23)
    src = str(Path(__file__).resolve().parents[1] / "src")
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "fleet.toml"
        cmd = emulator_cmd(0, "--instances", str(a.instances), "--inventory-out", str(inventory))
        with fleet_server(cmd, inventory, Path(tmp) / "emulator.log") as startup:
            targets = load_inventory(inventory)
            env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
            env.update(TCX_CONFIG_DIR=tmp, TCX_DATA_DIR=tmp, TCX_CACHE_DIR=tmp,
                       TCX_NO_KEYRING="1",
                       PYTHONPATH=os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p))  # fmt: skip
            watch = subprocess.Popen(
                [sys.executable, "-m", "tcxkit", "--inventory", str(inventory), "--fleet", "all",
                 "events", "watch", "--interval", str(a.interval),
                 *([] if a.all_sources else ["--type", "trunk.down"])],
                env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
            arrived: dict[str, list[float]] = {}

            def read() -> None:
                assert watch.stdout is not None
                for line in watch.stdout:
                    event = json.loads(line)
                    if event["type"] == "trunk.down":
                        arrived.setdefault(event["pbx"], []).append(time.monotonic())

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            time.sleep(a.interval * 1.5)  # the first round: baselines of every PBX
            cpu0, t0 = _cpu_seconds(watch.pid), time.monotonic()
            plan = sorted((rng.uniform(0, a.seconds), t) for t in targets)
            caused: dict[str, float] = {}
            rss = _rss_mb(watch.pid)
            for at, target in plan:
                time.sleep(max(0.0, t0 + at - time.monotonic()))  # the planned moment
                auth = (target.client_id, resolve_secret(target))
                httpx.post(f"{target.url}/emulator/trunks/10000/online", json={"online": False},
                           auth=auth)  # fmt: skip
                caused[target.name] = time.monotonic()
                rss = max(rss, _rss_mb(watch.pid))
            time.sleep(a.interval + 2)  # the last change's poll and its line
            cpu = (_cpu_seconds(watch.pid) - cpu0) / (time.monotonic() - t0)
            rss = max(rss, _rss_mb(watch.pid))
            watch.terminate()
            watch.wait()
    delays = sorted(arrived[n][0] - caused[n] for n in caused if n in arrived)
    missing = len(caused) - len(delays)
    repeated = sum(len(v) - 1 for v in arrived.values())

    def rank(q: float) -> float:  # nearest-rank percentile: always one of the delays
        return delays[min(len(delays) - 1, max(0, math.ceil(q * len(delays)) - 1))]

    which = "every source" if a.all_sources else "trunks only"
    print(f"{a.instances} PBXs (emulator start-up {startup:.1f} s), {which}, interval "
          f"{a.interval:g} s, {a.seconds:g} s measured")  # fmt: skip
    print(f"watcher CPU {cpu * 100:.1f} % of one core, peak RSS {rss:.0f} MB")
    print(f"detection delay p50 {rank(0.5):.2f} s, p99 {rank(0.99):.2f} s, max {delays[-1]:.2f} s; "
          f"missing {missing}, repeated {repeated}")  # fmt: skip
    return 1 if missing or repeated else 0


if __name__ == "__main__":
    sys.exit(main())
