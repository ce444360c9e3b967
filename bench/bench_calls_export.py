"""Call export benchmark: ``3cx calls export`` against the raw paginated read of the same legs.

    .venv/bin/python bench/bench_calls_export.py [--scale 100000] [--small 10000] [--rounds 3]

One emulator process holds the demo company plus ``--scale`` legs of the contact-centre
mix (``--call-mix contact-centre``: queues, agents, transfers, overflow); its start-up
time (generation and bulk insert) is reported.  Each side runs in a fresh process writing
to /dev/null, over the same period (every leg):

* **raw read**: ``Client.call("GetCallLogData", ...)`` pages of ``$top=20000`` with
  ``$skip`` and ``$count`` over the whole period, the export's ``$select``, ``json.dumps``
  per row -- what a script that trusts the PBX does (no windows, no checks);
* **paginate $top=100**: ``Client.paginate`` over the same, in the client's usual pages;
* **3cx calls export --legs** and **3cx calls export** (logical calls, legs nested): the
  windows, the count checks, the stitching, a checkpoint file per window (``--into``).

Rounds are interleaved with the order rotating; figures are medians, ratios per round.
Memory: the peak RSS (``wait4``) of ``3cx calls export`` on a second emulator with
``--small`` legs, on the large one, and on the large one's last seven days: it is bounded
by the window (at most two windows of half the report cap in memory: the one being
written and the next, fetched meanwhile), not by the period -- and, with ``--cap 2000``
on both emulators, flat: the same peak for the small and the large one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import emulator_cmd, free_port, machine, serve
from bench_export import BIN, CLIENT_ID, SECRET, cli_env, count_rows, run_child

#: The report cap of the flat-memory runs (small and large emulator alike).
FLAT_CAP = 2000

# The head both library-side readers share: the arguments, and GetCallLogData's parameters
# over the period (``count`` is added by the reader that asks for it).
READ_HEAD = """
import json, sys
from datetime import datetime
from tcxkit import Client
from tcxkit.calllog import call_log_params
from tcxkit.exports.legs import SELECT
base, cid, secret, start, end = sys.argv[1:6]
out = sys.stdout
params = dict(call_log_params(datetime.fromisoformat(start), datetime.fromisoformat(end),
    hide_pcalls=False), select=list(SELECT))
"""

RAW_READ = (
    READ_HEAD
    + """
with Client(base, cid, secret, token_cache=False) as pbx:
    skip = 0
    while True:
        page = pbx.call("GetCallLogData", top=20000, skip=skip, count=True, **params)
        rows = page["value"]
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\\n")
        skip += len(rows)
        if len(rows) < 20000:
            break
"""
)

PAGED_READ = (
    READ_HEAD
    + """
with Client(base, cid, secret, token_cache=False) as pbx:
    for row in pbx.paginate("GetCallLogData", page_size=100, **params):
        out.write(json.dumps(row, ensure_ascii=False) + "\\n")
"""
)


def period() -> tuple[str, str]:
    end = time.time() + 7200
    start = end - 30 * 86400
    fmt = "%Y-%m-%dT%H:00:00+00:00"
    return time.strftime(fmt, time.gmtime(start)), time.strftime(fmt, time.gmtime(end))


def week_start(end: str) -> str:
    """Seven days before ``end`` (the same form)."""
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(end) - timedelta(days=7)).isoformat()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=int, default=100_000, help="legs added, large emulator")
    ap.add_argument("--small", type=int, default=10_000, help="legs added, small emulator")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    start, end = period()
    with tempfile.TemporaryDirectory(prefix="tcxkit-calls-") as tmp, ExitStack() as stack:
        urls, startup = {}, {}
        for label, scale in (("small", args.small), ("large", args.scale)):
            port = free_port()
            db = str(Path(tmp) / f"{label}.sqlite")
            cmd = emulator_cmd(
                port, "--scale", str(scale), "--call-mix", "contact-centre", "--db", db
            )
            startup[label] = stack.enter_context(serve(cmd, port, timeout=600))
            urls[label] = f"http://127.0.0.1:{port}"
        legs = {label: count_rows(url) for label, url in urls.items()}
        print("legs:", legs, "start-up s:", startup, file=sys.stderr)
        large, env = urls["large"], cli_env(urls["large"], tmp)
        export = [str(BIN), "calls", "export", "--from", start, "--to", end, "--tz", "UTC"]
        n = 0

        def into() -> list[str]:
            nonlocal n
            n += 1
            return ["--into", str(Path(tmp) / f"out{n}.jsonl")]

        sides = {
            "raw read": lambda: [
                sys.executable,
                "-c",
                RAW_READ,
                large,
                CLIENT_ID,
                SECRET,
                start,
                end,
            ],
            "paginate $top=100": lambda: [
                sys.executable,
                "-c",
                PAGED_READ,
                large,
                CLIENT_ID,
                SECRET,
                start,
                end,
            ],
            "calls export --legs": lambda: [*export, "--legs", *into()],
            "calls export": lambda: [*export, *into()],
        }
        run_child([sys.executable, "-c", RAW_READ, large, CLIENT_ID, SECRET, start, end], env)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        names = list(sides)
        for i in range(args.rounds):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                runs[name].append(run_child(sides[name](), env))
                print(f"round {i + 1} {name}: {runs[name][-1]}", file=sys.stderr)
        memory = {
            label: run_child([*export, *into()], cli_env(url, tmp))["rss_mb"]
            for label, url in urls.items()
        }
        week = [*export[:4], week_start(end), *export[5:]]
        memory["large, last 7 days"] = run_child([*week, *into()], env)["rss_mb"]
        # Flat: with the cap fixed, the peak is the same for 13 000 legs and 100 000.
        for label, url in urls.items():
            capped = [*export, "--cap", str(FLAT_CAP), *into()]
            memory[f"{label}, --cap {FLAT_CAP}"] = run_child(capped, cli_env(url, tmp))["rss_mb"]
    result = {
        "machine": machine(),
        "legs": legs,
        "startup_s": startup,
        "sides": {
            name: {
                "wall_s": statistics.median(r["wall"] for r in rs),
                "cpu_s": statistics.median(r["cpu"] for r in rs),
                "rss_mb": statistics.median(r["rss_mb"] for r in rs),
                "legs_per_s": legs["large"] / statistics.median(r["wall"] for r in rs),
            }
            for name, rs in runs.items()
        },
        "ratio_vs_raw": {
            name: statistics.median(
                r["wall"] / b["wall"] for r, b in zip(runs[name], runs["raw read"], strict=True)
            )
            for name in names[1:]
        },
        "peak_rss_calls_export_mb": memory,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"legs: {legs}; emulator start-up {startup}; {args.rounds} rounds; {result['machine']}")
    for name, s in result["sides"].items():
        ratio = result["ratio_vs_raw"].get(name)
        print(
            f"{name:<22} {s['wall_s']:7.2f} s wall {s['cpu_s']:6.2f} s CPU {s['rss_mb']:6.1f} MB "
            f"{s['legs_per_s']:8.0f} legs/s" + (f"  x{ratio:.2f} of the raw read" if ratio else "")
        )
    print("peak RSS of calls export: " + ", ".join(f"{k} {v:.1f} MB" for k, v in memory.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
