"""Backup benchmark: one ``3cx backup run --fleet all`` over 20 emulated PBXs (#25).

    .venv/bin/python bench/bench_backup.py [--instances 20] [--mb 10] [--rounds 3]

The emulated PBXs (``running_fleet`` in a child process of their own) make
archives of about ``--mb`` MB each (``backup_extra_bytes``: incompressible bytes, so
the size is real on the wire and on disk) after ``backup_delay`` = 1 s, like a PBX
that takes a moment.  Each round runs the installed ``3cx`` in a fresh child process
that takes, downloads, verifies and stores every PBX's backup into a new local folder,
then ``3cx backup verify`` of that folder.  Reported: wall time and peak RSS of each
child (``wait4``), the MB streamed, and the median over the rounds.  Peak RSS against
the MB streamed is the point: archives are streamed through temporary files, never
held whole, so the run's memory should not grow with their size or number.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import machine
from bench_export import BIN, run_child

#: The emulated fleet runs in its own process: a child forked from a process holding 200 MB
#: of archives would report that memory as its own peak RSS (Linux keeps the high-water
#: mark across exec).
FLEET = """
import sys
from tcxkit.emulator import EmulatorConfig
from tcxkit.emulator.fleet import running_fleet
options = {"backup_delay": 1.0, "backup_extra_bytes": int(sys.argv[3])}
with running_fleet(int(sys.argv[2]), sys.argv[1], EmulatorConfig(data="demo", options=options)):
    print("ready", flush=True)
    sys.stdin.read()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--mb", type=float, default=10.0, help="archive size per PBX")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    extra = int(args.mb * (1 << 20))
    runs, verifies = [], []
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "fleet.toml"
        env = {"PATH": str(BIN.parent), "TCX_NO_KEYRING": "1", "HOME": tmp}
        if os.environ.get("PYTHONPATH"):  # a worktree's sources (PYTHONPATH=src)
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        fleet = subprocess.Popen(
            [sys.executable, "-c", FLEET, str(inventory), str(args.instances), str(extra)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert fleet.stdout is not None and fleet.stdin is not None
        try:
            assert fleet.stdout.readline().strip() == "ready"
            for n in range(args.rounds):
                store = Path(tmp) / f"store{n}"
                cmd = [str(BIN), "--inventory", str(inventory), "--fleet", "all"]
                cmd += ["backup", "run", "--to", str(store), "--quiet", "-o", "json"]
                runs.append(run_child(cmd, env))
                verifies.append(run_child([str(BIN), "backup", "verify", str(store)], env))
                size = sum(p.stat().st_size for p in store.rglob("*.zip"))
                shutil.rmtree(store)
        finally:
            fleet.stdin.close()
            fleet.wait(30)
    result = {
        "machine": machine(),
        "instances": args.instances,
        "mb_streamed": round(size / (1 << 20), 1),
        "run": _summary(runs),
        "verify": _summary(verifies),
    }
    print(json.dumps(result, indent=2))


def _summary(samples: list[dict[str, float]]) -> dict[str, float]:
    return {
        "wall_s_median": round(statistics.median(s["wall"] for s in samples), 2),
        "wall_s_range": [
            round(min(s["wall"] for s in samples), 2),
            round(max(s["wall"] for s in samples), 2),
        ],
        "peak_rss_mb_max": round(max(s["rss_mb"] for s in samples), 1),
    }


if __name__ == "__main__":
    main()
