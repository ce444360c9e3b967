"""Export benchmarks: ``3cx ... --all`` against a hand-written httpx loop, and its memory.

    .venv/bin/python bench/bench_export.py [--scale 100000] [--small 10000] [--rounds 3]

1. Speed: every row of ``CallHistoryView`` (the demo's 3 000 plus ``--scale`` generated
   ones) as JSON Lines, exported three ways against one emulator process, each in a
   fresh process writing to /dev/null: a hand-written ``httpx`` loop (token once,
   ``$top=100&$skip=N`` pages, ``json.dumps`` per row), ``tcxkit.Client.paginate`` with
   the same per-row write, and ``3cx call-history-view list-call-history-view --all -o
   jsonl`` (masking, encoding, batched writes).  Rounds are interleaved, the order
   rotating every round, so all sides see the same server and the same other load; the
   figure is the median of the per-round ratios, with their range.
2. Memory: peak RSS (``ru_maxrss`` of that one child, from ``wait4``) of ``--all -o json``
   on a small emulator (``--small`` extra rows) and on the large one: a streamed export
   stays flat.
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
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import emulator_cmd, free_port, machine, serve

CLIENT_ID, SECRET = "tcxkit-emulator", "emulator-secret"
BIN = Path(sys.executable).with_name("3cx")
CLI_ARGS = ["call-history-view", "list-call-history-view", "--all"]

HTTPX_LOOP = """
import json, sys, httpx
base = sys.argv[1]
out = sys.stdout
with httpx.Client(base_url=base, timeout=60) as http:
    token = http.post("/connect/token", data={"client_id": sys.argv[2],
                      "client_secret": sys.argv[3], "grant_type": "client_credentials"}).json()["access_token"]
    http.headers["Authorization"] = "Bearer " + token
    skip = 0
    while True:
        r = http.get("/xapi/v1/CallHistoryView", params={"$top": "100", "$skip": str(skip)})
        r.raise_for_status()
        rows = r.json()["value"]
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\\n")
        skip += len(rows)
        if len(rows) < 100:
            break
"""

LIBRARY_LOOP = """
import json, sys
from tcxkit import Client
out = sys.stdout
with Client(*sys.argv[1:4], token_cache=False) as pbx:
    for row in pbx.paginate("ListCallHistoryView"):
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\\n")
"""


def run_child(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time, CPU seconds and peak RSS (MB) of one child writing to /dev/null."""
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {err.decode()[-500:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


def cli_env(url: str, tmp: str, client_id: str = CLIENT_ID, secret: str = SECRET) -> dict[str, str]:
    """A `3cx` environment pointed at ``url``, its settings and tokens kept in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
    env.update(
        TCX_URL=url,
        TCX_CLIENT_ID=client_id,
        TCX_CLIENT_SECRET=secret,
        TCX_CONFIG_DIR=tmp,
        TCX_DATA_DIR=tmp,
        TCX_CACHE_DIR=tmp,
        TCX_NO_KEYRING="1",
    )
    return env


def count_rows(url: str) -> int:
    import httpx

    token = httpx.post(
        f"{url}/connect/token",
        data={"client_id": CLIENT_ID, "client_secret": SECRET, "grant_type": "client_credentials"},
    ).json()["access_token"]
    r = httpx.get(
        f"{url}/xapi/v1/CallHistoryView",
        params={"$top": "1", "$count": "true"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return int(r.json()["@odata.count"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=100_000, help="extra rows, large emulator")
    ap.add_argument("--small", type=int, default=10_000, help="extra rows, small emulator")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="tcxkit-export-") as tmp, ExitStack() as stack:
        urls = {}
        for label, scale in (("small", args.small), ("large", args.scale)):
            port = free_port()
            db = str(Path(tmp) / f"{label}.sqlite")
            cmd = emulator_cmd(port, "--scale", str(scale), "--db", db)
            stack.enter_context(serve(cmd, port, timeout=600))
            urls[label] = f"http://127.0.0.1:{port}"
        rows = {label: count_rows(url) for label, url in urls.items()}
        print("rows:", rows, file=sys.stderr)
        large, env = urls["large"], cli_env(urls["large"], tmp)
        sides = {
            "httpx loop": [sys.executable, "-c", HTTPX_LOOP, large, CLIENT_ID, SECRET],
            "Client.paginate": [sys.executable, "-c", LIBRARY_LOOP, large, CLIENT_ID, SECRET],
            "3cx --all -o jsonl": [str(BIN), *CLI_ARGS, "-o", "jsonl"],
        }
        # Warm the server's caches and the token once per side.
        run_child([str(BIN), *CLI_ARGS, "--top", "100", "-o", "jsonl"], env)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        names = list(sides)
        for i in range(args.rounds):
            order = names[i % len(names) :] + names[: i % len(names)]
            for name in order:
                runs[name].append(run_child(sides[name], env))
                print(f"round {i + 1} {name}: {runs[name][-1]}", file=sys.stderr)
        ratios = {
            name: [
                r["wall"] / b["wall"] for r, b in zip(runs[name], runs["httpx loop"], strict=True)
            ]
            for name in names[1:]
        }
        memory = {}
        for label, url in urls.items():
            memory[label] = run_child([str(BIN), *CLI_ARGS, "-o", "json"], cli_env(url, tmp))[
                "rss_mb"
            ]
        memory["large jsonl"] = statistics.median(r["rss_mb"] for r in runs["3cx --all -o jsonl"])

    result = {
        "machine": machine(),
        "rows": rows,
        "rounds": args.rounds,
        "sides": {
            name: {
                "wall_s": statistics.median(r["wall"] for r in rs),
                "cpu_s": statistics.median(r["cpu"] for r in rs),
                "rss_mb": statistics.median(r["rss_mb"] for r in rs),
            }
            for name, rs in runs.items()
        },
        "ratio_vs_httpx": {
            name: {"median": statistics.median(rs), "min": min(rs), "max": max(rs)}
            for name, rs in ratios.items()
        },
        "peak_rss_json_mb": memory,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"rows: {rows}; {args.rounds} interleaved rounds; {result['machine']}")
    for name, s in result["sides"].items():
        ratio = result["ratio_vs_httpx"].get(name)
        spread = (
            f"  x{ratio['median']:.3f} ({ratio['min']:.3f}-{ratio['max']:.3f})" if ratio else ""
        )
        print(
            f"{name:<22} {s['wall_s']:7.2f} s wall {s['cpu_s']:7.2f} s CPU "
            f"{s['rss_mb']:6.1f} MB{spread}"
        )
    print(
        "peak RSS of 3cx --all -o json: " + ", ".join(f"{k} {v:.1f} MB" for k, v in memory.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
