"""What the emulator's live calls and traffic generator cost (docs/emulator.md, "Live calls
and traffic").

    PYTHONPATH=src .venv/bin/python bench/bench_emulator_traffic.py [--idle 10]

* the largest request ``POST /emulator/clock`` accepts at the top rate (50 calls/s,
  400 s: 20 000 generated calls) and a busy one (5 calls/s, 600 s), wall time over HTTP;
* the CPU the real clock's ticker takes on an idle PBX, and with ``--traffic 2``, over
  ``--idle`` seconds of wall time (this process's CPU time, the server thread's included).
"""

from __future__ import annotations

import argparse
import time

import httpx

from tcxkit.emulator import EmulatorConfig, running


def advance(rate: float, seconds: float) -> None:
    options = {"clock": "manual", "traffic": rate, "seed": 3, "max_calls": 1000}
    with (
        running(EmulatorConfig(options=options)) as emu,
        httpx.Client(base_url=emu.url, auth=emu.control_auth, timeout=600) as control,
    ):
        began = time.perf_counter()
        answer = control.post("/emulator/clock", json={"advance": seconds}).json()
        took = time.perf_counter() - began
    t = answer["traffic"]
    print(f"--traffic {rate:g}, advance {seconds:g} s: {took:.2f} s; calls {t['calls']}, "
          f"refused {t['refused']}, answered {t['answered']}, missed {t['missed']}, "
          f"abandoned {t['abandoned']}")  # fmt: skip


def idle(seconds: float, options: dict[str, object]) -> None:
    with running(EmulatorConfig(options=options)) as emu:
        httpx.get(emu.url + "/emulator/health")  # the first request starts the clock
        cpu = time.process_time()
        time.sleep(seconds)  # a benchmark measuring an interval, not a test waiting
        used = time.process_time() - cpu
    print(f"real clock {options or 'no traffic'}: {100 * used / seconds:.2f} % of a core")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()
    advance(50, 400)
    advance(5, 600)
    idle(args.idle, {})
    idle(args.idle, {"traffic": 2, "seed": 1})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
