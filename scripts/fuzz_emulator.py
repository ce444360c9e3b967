#!/usr/bin/env python3
"""The deep Schemathesis pass over the emulator (the suite runs a bounded one).

For each seed, starts a fresh ``3cx emulator --data demo`` on a free port, fetches a
token and runs::

    schemathesis run <spec> --url <emulator>/xapi/v1 \\
        --checks not_a_server_error,response_schema_conformance \\
        -n 3 --workers 2 --no-shrink --seed <seed>

(all phases: examples, coverage, fuzzing with positive and negative cases, stateful),
then prints one summary line per seed and exits 1 if any run found a failure.

    python scripts/fuzz_emulator.py                   # seeds 1, 2, 3
    python scripts/fuzz_emulator.py --seeds 7 -n 10   # deeper
    python scripts/fuzz_emulator.py -- --phases=fuzzing  # extra schemathesis options

Neither the client secret nor the token appears on a command line: the emulator reads
its secret from ``TCX_EMULATOR_SECRET`` and Schemathesis its header from a config file
that names the environment variable ``TCX_FUZZ_TOKEN``.  Each run's full report is
written to ``<out>/seed-<n>.txt``.  About 5 minutes per seed on the 2-core development
machine.
"""

from __future__ import annotations

import argparse
import lzma
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = 'headers = { Authorization = "Bearer ${TCX_FUZZ_TOKEN}" }\n'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_emulator(port: int, secret: str, log: Path) -> subprocess.Popen[bytes]:
    import httpx

    env = {**os.environ, "TCX_EMULATOR_SECRET": secret}
    cmd = [sys.executable, "-m", "tcxkit", "emulator", "--port", str(port), "--data", "demo"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the emulator exited at start; see {log}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/emulator/health", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the emulator did not answer within 60 s")


def _token(port: int, secret: str) -> str:
    import httpx

    answer = httpx.post(
        f"http://127.0.0.1:{port}/connect/token",
        data={
            "client_id": "tcxkit-emulator",
            "client_secret": secret,
            "grant_type": "client_credentials",
        },
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _summary(report: str) -> str:
    failures = re.findall(r"❌ (ST\d+ [^:\n]+: \d+)", report)
    cases = re.search(r"(\d+) generated, (\d+) found", report)
    head = f"{cases.group(1)} cases" if cases else "no case count"
    return head + ("; " + ", ".join(failures) if failures else "; no failures")


def run_seed(seed: int, args: argparse.Namespace, spec: Path, work: Path) -> bool:
    port = _free_port()
    secret = secrets.token_urlsafe(24)
    proc = _start_emulator(port, secret, work / f"emulator-{seed}.log")
    try:
        env = {**os.environ, "TCX_FUZZ_TOKEN": _token(port, secret)}
        cmd = [
            shutil.which("schemathesis") or "schemathesis",
            "--config-file",
            str(work / "schemathesis.toml"),
            "run",
            str(spec),
            "--url",
            f"http://127.0.0.1:{port}/xapi/v1",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "-n",
            str(args.examples),
            "--workers",
            str(args.workers),
            "--no-shrink",
            "--seed",
            str(seed),
            *args.extra,
        ]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    finally:
        proc.terminate()
        proc.wait(10)
    report = done.stdout + done.stderr
    (args.out / f"seed-{seed}.txt").write_text(report, encoding="utf-8")
    print(f"seed {seed}: exit {done.returncode}; {_summary(report)}", flush=True)
    return done.returncode == 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("-n", "--examples", type=int, default=3, help="max examples per operation")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--release", default="20.0.10")
    p.add_argument("--out", type=Path, default=Path("fuzz-reports"), help="report directory")
    p.add_argument("extra", nargs="*", help="more schemathesis options (after --)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tcxkit-fuzz-") as tmp:
        work = Path(tmp)
        spec = work / f"xapi-{args.release}.yaml"
        spec.write_bytes(
            lzma.decompress((ROOT / f"specs/xapi-{args.release}.yaml.xz").read_bytes())
        )
        (work / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")
        results = [run_seed(seed, args, spec, work) for seed in args.seeds]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
