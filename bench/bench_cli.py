"""Start-up and call latency of the installed ``3cx`` (median of N subprocess runs).

    python bench/bench_cli.py [-n 15]

Measures ``3cx --help``, ``3cx actions``, one action call against an
emulator started in this process, and the same call against a closed port
(an unreachable PBX: exit 4).  Targets: help and actions <= 200 ms, the call
<= 400 ms, the unreachable PBX failing in < 1 s.  Byte code is compiled first (as ``pip install`` does), since
this environment may set PYTHONDONTWRITEBYTECODE.
"""

from __future__ import annotations

import argparse
import compileall
import os
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("3cx")
TARGETS_MS = {
    "3cx --help": 200,
    "3cx actions": 200,
    "3cx users list-user --top 1": 400,
    "unreachable PBX (exit 4)": 1000,
}
UNREACHABLE = "unreachable PBX (exit 4)"


def _closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _time(cmd: list[str], env: dict[str, str], n: int, expect: int = 0) -> list[float]:
    def once() -> float:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True)
        took = (time.perf_counter() - t0) * 1000
        if proc.returncode != expect:
            raise SystemExit(f"{cmd}: exit {proc.returncode}, expected {expect}: {proc.stderr!r}")
        return took

    once()  # warm the OS caches
    return [once() for _ in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="runs per command")
    args = parser.parse_args()

    import tcxkit
    from tcxkit.emulator import EmulatorConfig, running

    for root in {sysconfig.get_paths()["purelib"], str(Path(tcxkit.__file__).parent)}:
        compileall.compile_dir(root, quiet=1)

    with (
        tempfile.TemporaryDirectory() as tmp,
        running(EmulatorConfig(client_secret="bench")) as emu,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
        env.update(TCX_CONFIG_DIR=tmp, TCX_DATA_DIR=tmp, TCX_CACHE_DIR=tmp, TCX_NO_KEYRING="1")
        call_env = {
            **env,
            "TCX_URL": emu.url,
            "TCX_CLIENT_ID": emu.client_id,
            "TCX_CLIENT_SECRET": "bench",
        }
        down_env = {**call_env, "TCX_URL": f"http://127.0.0.1:{_closed_port()}"}
        rows = []
        for label, cmd, e in (
            ("3cx --help", [str(BIN), "--help"], env),
            ("3cx actions", [str(BIN), "actions"], env),
            (
                "3cx users list-user --top 1",
                [str(BIN), "users", "list-user", "--top", "1"],
                call_env,
            ),
            (UNREACHABLE, [str(BIN), "users", "list-user", "--top", "1"], down_env),
        ):
            times = _time(cmd, e, args.n, expect=4 if label == UNREACHABLE else 0)
            rows.append((label, statistics.median(times), min(times), max(times)))

    print(f"{'command':<30} {'median ms':>10} {'min':>7} {'max':>7} {'target':>7}  ok")
    ok = True
    for label, med, lo, hi in rows:
        target = TARGETS_MS[label]
        passed = med <= target
        ok &= passed
        print(
            f"{label:<30} {med:>10.0f} {lo:>7.0f} {hi:>7.0f} {target:>7}  {'yes' if passed else 'NO'}"
        )
    print(f"({args.n} runs each, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
