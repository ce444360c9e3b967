"""The restart drill at the issue's size: 500 events per run, 20 runs, SIGKILL mid-burst.

    PYTHONPATH=src .venv/bin/python bench/bench_events_restart.py [--runs 20] [--calls 334] [--kills 5]

Each run (tests/events/restart.py): a fresh emulated PBX and receiver, a baseline, then
``3cx events relay --interval 0.1`` while ``--calls`` calls are made (every other one
missed: ~1.5 events per call, 334 calls = 501 events); the relay is killed with SIGKILL
``--kills`` times at random receiver counts and restarted on the same cursor.  Prints,
per run, the events expected, the requests the receiver got, the distinct ids it kept
(must equal expected), whether every signature verified (standardwebhooks) and whether
the order held; exits 1 if any run lost or duplicated an event after dedupe.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.emulators import own_config
from tests.events.conftest import Cli, Pbx
from tests.events.receiver import Receiver
from tests.events.restart import drill

from tcxkit.emulator import running


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--calls", type=int, default=334)
    ap.add_argument("--kills", type=int, default=5)
    a = ap.parse_args()
    bad = 0
    print("run  expected  requests  unique  verified  in_order  seconds")
    for run in range(a.runs):
        began = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp, running(own_config(data="demo")) as emu:
            work = Path(tmp)
            env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
            env.update(TCX_CONFIG_DIR=tmp, TCX_DATA_DIR=tmp, TCX_CACHE_DIR=tmp, TCX_NO_KEYRING="1")
            pbx = Pbx(emu)
            with Receiver() as receiver:
                r = drill(Cli(pbx.env(env), work), pbx, receiver, work,
                          calls=a.calls, kills=a.kills, seed=run)  # fmt: skip
        ok = r.unique == r.expected and r.all_verified and r.in_order
        bad += not ok
        print(f"{run:3d}  {r.expected:8d}  {r.requests:8d}  {r.unique:6d}  "
              f"{r.all_verified!s:8}  {r.in_order!s:8}  {time.perf_counter() - began:7.1f}")  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
