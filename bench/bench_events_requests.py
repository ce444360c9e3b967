"""Requests per minute that ``3cx events watch`` costs a PBX, per source, at default intervals.

    PYTHONPATH=src .venv/bin/python bench/bench_events_requests.py [--seconds 120] [--users 0]

Starts a demo PBX (``--users N`` adds N users, to see the users source page), runs
``3cx events watch`` against it for ``--seconds`` with every source at its own default
interval, then reads the emulator's request log and prints requests per minute per XAPI
path (token requests apart).  docs/events.md's table of sources states the expected
figures; docs/benchmarks.md keeps the measured ones.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from tcxkit.emulator import EmulatorConfig, running

SOURCE_OF = {
    "/xapi/v1/ActiveCalls": "active calls",
    "/xapi/v1/ReportCallLogData": "call log",
    "/xapi/v1/Users": "users",
    "/xapi/v1/Trunks": "trunks",
    "/xapi/v1/Backups": "backups",
    "/xapi/v1/LicenseStatus": "licence",
    "/xapi/v1/EventLogs": "event log",
    "/connect/token": "(token)",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--users", type=int, default=0)
    a = ap.parse_args()
    src = str(Path(__file__).resolve().parents[1] / "src")
    with tempfile.TemporaryDirectory() as tmp, running(EmulatorConfig(data="demo")) as emu:
        if a.users:
            with httpx.Client(base_url=emu.url, auth=emu.control_auth) as http:
                token = http.post("/connect/token", data={
                    "grant_type": "client_credentials", "client_id": emu.client_id,
                    "client_secret": emu.client_secret}).json()["access_token"]  # fmt: skip
                for i in range(a.users):
                    http.post("/xapi/v1/Users", headers={"Authorization": f"Bearer {token}"},
                              json={"FirstName": "Bench", "LastName": f"User{i}",
                                    "EmailAddress": f"b{i}@example.com"})  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
        env.update(TCX_URL=emu.url, TCX_CLIENT_ID=emu.client_id,
                   TCX_CLIENT_SECRET=emu.client_secret, TCX_CONFIG_DIR=tmp, TCX_DATA_DIR=tmp,
                   TCX_CACHE_DIR=tmp, TCX_NO_KEYRING="1",
                   PYTHONPATH=os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p))  # fmt: skip
        httpx.delete(emu.url + "/emulator/requests", auth=emu.control_auth)
        proc = subprocess.Popen([sys.executable, "-m", "tcxkit", "events", "watch"], env=env,
                                stdout=subprocess.DEVNULL, cwd=tmp)  # fmt: skip
        began = time.monotonic()
        time.sleep(a.seconds)  # the measured period itself
        proc.send_signal(signal.SIGINT)
        proc.wait()
        minutes = (time.monotonic() - began) / 60
        log = httpx.get(emu.url + "/emulator/requests", auth=emu.control_auth).json()
    counts: Counter[str] = Counter()
    for entry in log:
        path = entry["path"]
        counts[next((s for p, s in SOURCE_OF.items() if path.startswith(p)), path)] += 1
    print(f"{a.seconds:.0f} s, demo PBX + {a.users} users; requests per minute:")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {name:14s} {n / minutes:6.1f}")
    total = sum(n for name, n in counts.items() if name != "(token)")
    print(f"  {'all sources':14s} {total / minutes:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
