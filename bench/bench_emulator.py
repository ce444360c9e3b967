"""Emulator benchmarks: throughput, p99 latency and start-up, side by side with Prism.

    .venv/bin/python bench/bench_emulator.py [--scale 100000] [--duration 10]
        [--connections 16] [--no-prism] [--write-docs]

What it measures, and why this way:

* The server is one emulator process (``python -m tcxkit.emulator``, one uvicorn worker)
  on 127.0.0.1, with the demo company plus ``--scale`` call-log segments in a SQLite file
  in a temporary directory: the size a busy PBX's report pages run against.
* The load generator is ``wrk`` (Debian package ``wrk``) in its own process, one thread,
  a fixed duration per request: a C client, so the numbers are the server's and not the
  client's.  Three requests: a keyed read (``Peers(Number='100')``), a filtered and
  projected list (``Users?$filter=startswith(...)``) and a 100-row report page over the
  last seven days (``GetCallLogData``).
* Prism (``@stoplight/prism-cli``, installed by ``npm install`` in bench/prism/) mocks
  the same 20.0.10 spec and gets the same three requests from the same load generator,
  with a static bearer header: the usual alternative to an emulator, for comparison.
* Start-up: process start until the port accepts a connection (demo data, in memory),
  and ``create_app`` with the demo seed inside one fresh process.

Everything is bounded (fixed durations, fixed repeat counts, timeouts on every wait).
``--write-docs`` replaces the "## Emulator" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
PRISM_BIN = ROOT / "bench" / "prism" / "node_modules" / ".bin" / "prism"
DOCS = ROOT / "docs" / "benchmarks.md"
RELEASE = "20.0.10"
TARGET_RPS = 1000.0
TARGET_P99_MS = 50.0
TARGET_START_S = 1.0


@dataclass
class LoadResult:
    """One wrk run: throughput, latency percentiles and how many answers were not 2xx/3xx."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int


def requests_under_test() -> dict[str, str]:
    """The three request paths (relative to /xapi/v1); the report covers the last 7 days."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = (now - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Peers(Number='100')": "/Peers(Number='100')",
        "Users filtered list": (
            "/Users?$filter=startswith(LastName,'S')&$select=Number,FirstName,LastName&$top=50"
        ),
        "GetCallLogData 100 rows, 7 days": (
            f"/ReportCallLogData/Pbx.GetCallLogData(periodFrom={start},periodTo={end},"
            "sourceType=0,sourceFilter=null,destinationType=0,destinationFilter=null,"
            "callsType=0,callTimeFilterType=0,callTimeFilterFrom=null,callTimeFilterTo=null,"
            "hidePcalls=false)?$top=100"
        ),
    }


# -- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until 127.0.0.1:port accepts a connection (bounded by ``timeout``)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


@contextmanager
def serve(
    cmd: list[str],
    port: int,
    timeout: float,
    cwd: Path | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[float]:
    """Start a server process, yield its start-up time, stop it (terminate, then kill).

    Output goes to ``log`` (or nowhere), never to an unread pipe: a server that logs
    every request (Prism does) would block on a full pipe and look slow.
    """
    started = time.perf_counter()
    sink = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_for_port(port, proc, timeout)
        yield time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if log:
            sink.close()  # type: ignore[union-attr]


def token(base: str) -> str:
    """A bearer token from the emulator at ``base`` (its default client and secret)."""
    answer = httpx.post(
        f"{base}/connect/token",
        data={
            "client_id": "tcxkit-emulator",
            "client_secret": "emulator-secret",
            "grant_type": "client_credentials",
        },
        timeout=60,
    )
    return str(answer.json()["access_token"])


def emulator_cmd(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tcxkit.emulator", "--port", str(port), *extra]


# -- start-up ------------------------------------------------------------------------------

IN_PROCESS = """
import time
t0 = time.perf_counter()
from tcxkit.emulator import EmulatorConfig, create_app
t1 = time.perf_counter()
create_app(EmulatorConfig(data="demo"))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def startup(runs: int) -> dict[str, float]:
    """Median start-up figures over ``runs`` fresh processes."""
    to_port = []
    for _ in range(runs):
        port = free_port()
        with serve(emulator_cmd(port), port, timeout=30) as seconds:
            to_port.append(seconds)
    imports, creates = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", IN_PROCESS], capture_output=True, text=True, check=True
        )
        a, b = map(float, out.stdout.split())
        imports.append(a)
        creates.append(b)
    return {
        "process_to_port_s": statistics.median(to_port),
        "import_s": statistics.median(imports),
        "create_app_demo_s": statistics.median(creates),
    }


# -- load ----------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, headers: dict[str, str], duration: int, connections: int) -> LoadResult:
    """Run wrk once against ``url`` and parse its --latency report."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    n_err = sum(int(x) for x in re.findall(r"\d+", errs.group(0))) if errs else 0
    return LoadResult(rps, p50, p99, total, int(non.group(1)) if non else 0, n_err)


def probe(base: str, paths: dict[str, str], headers: dict[str, str]) -> dict[str, str]:
    """One request per path before the load: status and a short description of the body."""
    seen = {}
    with httpx.Client(headers=headers, timeout=60) as client:
        for name, path in paths.items():
            r = client.get(base + path)
            note = f"{r.status_code}"
            if r.headers.get("content-type", "").startswith("application/json"):
                body = r.json()
                if isinstance(body, dict) and isinstance(body.get("value"), list):
                    note += f", {len(body['value'])} rows"
            seen[name] = note
    return seen


def load_all(
    base: str, paths: dict[str, str], headers: dict[str, str], duration: int, connections: int
) -> dict[str, LoadResult]:
    return {name: wrk(base + path, headers, duration, connections) for name, path in paths.items()}


# -- report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = []
    if shutil.which("wrk"):  # other benchmarks share this description without wrk
        wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    return {
        "date": dt.date.today().isoformat(),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "wrk": " ".join(wrk_version[:2]) if wrk_version else "wrk",
    }


def table(
    emu: dict[str, LoadResult], prism: dict[str, LoadResult] | None, notes: dict[str, str]
) -> str:
    head = "| Request | Emulator req/s | Emulator p50 / p99 ms |"
    rule = "|---|---:|---:|"
    if prism is not None:
        head += " Prism req/s | Prism p50 / p99 ms | Prism answer |"
        rule += "---:|---:|---|"
    rows = [head, rule]
    for name, r in emu.items():
        row = f"| `{name}` | {r.rps:,.0f} | {r.p50_ms:.1f} / {r.p99_ms:.1f} |"
        if prism is not None:
            p = prism[name]
            row += f" {p.rps:,.0f} | {p.p50_ms:.1f} / {p.p99_ms:.1f} | {notes.get(name, '')} |"
        rows.append(row)
    return "\n".join(rows)


BEGIN = "<!-- bench_emulator.py: generated figures begin -->"
END = "<!-- bench_emulator.py: generated figures end -->"


def write_docs(figures: str) -> None:
    """Put this run's figures into docs/benchmarks.md, keeping everything else.

    Only the text between the BEGIN/END markers of the "## Emulator" section is
    replaced, so the hand-written analysis around it survives re-runs.  Without
    markers, a new "## Emulator" section is appended.
    """
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{figures.strip()}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Emulator\n\n" + block + "\n"
    DOCS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=100_000, help="extra call-log segments")
    ap.add_argument("--duration", type=int, default=10, help="seconds of load per request")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections")
    ap.add_argument("--startup-runs", type=int, default=5, help="fresh processes to time")
    ap.add_argument("--no-prism", action="store_true", help="skip the Prism comparison")
    ap.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args(argv)

    if shutil.which("wrk") is None:
        print("error: wrk is not installed; install it with: apt-get install wrk", file=sys.stderr)
        return 2
    if not args.no_prism and not PRISM_BIN.exists():
        print(
            f"error: Prism is not installed at {PRISM_BIN}; run `npm install` in bench/prism/ "
            "or pass --no-prism",
            file=sys.stderr,
        )
        return 2

    info = machine()
    paths = requests_under_test()
    print("machine:", json.dumps(info))
    start = startup(args.startup_runs)
    print("start-up:", json.dumps({k: round(v, 3) for k, v in start.items()}))

    with tempfile.TemporaryDirectory(prefix="tcxkit-bench-") as tmp:
        port = free_port()
        db = Path(tmp) / "pbx.sqlite"
        cmd = emulator_cmd(port, "--scale", str(args.scale), "--db", str(db))
        with serve(cmd, port, timeout=300) as scaled_start:
            base = f"http://127.0.0.1:{port}"
            headers = {"Authorization": f"Bearer {token(base)}"}
            emu_notes = probe(base + "/xapi/v1", paths, headers)
            print(f"emulator with {args.scale} segments up in {scaled_start:.1f} s:", emu_notes)
            emu = load_all(base + "/xapi/v1", paths, headers, args.duration, args.connections)

        prism = None
        prism_notes: dict[str, str] = {}
        prism_start = 0.0
        if not args.no_prism:
            from tcxkit.catalog import load_spec

            spec_file = Path(tmp) / "xapi-20.0.10.json"
            spec_file.write_text(json.dumps(load_spec(RELEASE)))
            port = free_port()
            cmd = [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec_file)]
            log = Path(tmp) / "prism.log"
            with serve(cmd, port, timeout=180, cwd=PRISM_BIN.parent, log=log) as prism_start:
                # The spec's server URL is relative (/xapi/v1) and Prism serves the paths
                # at the root, so Prism gets them without the prefix.
                base = f"http://127.0.0.1:{port}"
                headers = {"Authorization": "Bearer static-bench-token"}
                prism_notes = probe(base, paths, headers)
                print(f"prism up in {prism_start:.1f} s:", prism_notes)
                prism = load_all(base, paths, headers, args.duration, args.connections)

    result = table(emu, prism, prism_notes)
    print()
    print(result)
    missed = [n for n, r in emu.items() if r.rps < TARGET_RPS or r.p99_ms > TARGET_P99_MS]
    print()
    print(
        f"targets: >= {TARGET_RPS:.0f} req/s and p99 < {TARGET_P99_MS:.0f} ms per request; "
        f"start-up < {TARGET_START_S:.0f} s. Missed: {missed or 'none'}"
    )
    errors = {n: (r.non_2xx, r.errors) for n, r in emu.items() if r.non_2xx or r.errors}
    if errors:
        print("emulator non-2xx / socket errors:", errors)

    if args.write_docs:
        write_docs(
            render(info, args, start, scaled_start, prism_start, emu_notes, prism_notes, result)
        )
        print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0


def render(
    info: dict[str, str],
    args: argparse.Namespace,
    start: dict[str, float],
    scaled_start: float,
    prism_start: float,
    emu_notes: dict[str, str],
    prism_notes: dict[str, str],
    result: str,
) -> str:
    """The generated part of the docs section (figures of this run)."""
    lines = [
        f"Measured {info['date']} with `bench/bench_emulator.py` on {info['nproc']} x "
        f"{info['cpu']}, Python {info['python']}, {info['os']}, load from {info['wrk']} "
        f"(`-t1 -c{args.connections} -d{args.duration}s`, a separate process). The server is "
        "one emulator process (one uvicorn worker) on 127.0.0.1 with the demo company plus "
        f"{args.scale:,} call-log segments in a SQLite file; Prism "
        "(`@stoplight/prism-cli` 5, `prism mock`, static examples) serves the same 20.0.10 "
        "spec with a static bearer header. Both share the machine with the load generator.",
        "",
        result,
        "",
        "Answers before the load (emulator): "
        + "; ".join(f"`{k}` {v}" for k, v in emu_notes.items())
        + ".",
        "",
        "Start-up (median of "
        f"{args.startup_runs} fresh processes, demo data, in memory): process start until the "
        f"port accepts connections **{start['process_to_port_s']:.2f} s**; in one process, "
        f"importing the emulator {start['import_s']:.2f} s and `create_app` with the demo "
        f"seed **{start['create_app_demo_s']:.2f} s**. With {args.scale:,} extra segments "
        f"the port opens after {scaled_start:.1f} s"
        + (f"; Prism needs {prism_start:.1f} s to load the spec." if prism_start else "."),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
