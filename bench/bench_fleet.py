"""Fleet benchmark: one read action (or a whole ``state plan``) over 20 emulated PBXs
against the same over one.

    .venv/bin/python bench/bench_fleet.py [--instances 20] [--rounds 5] [--top 100]
    .venv/bin/python bench/bench_fleet.py --workload state [--instances 20] [--rounds 5]

``--workload state`` pulls the first PBX's whole configuration (every kind ``3cx state pull``
writes) and times ``3cx state plan`` of that file on one PBX and with ``--fleet all``
(the demo PBXs are alike, so every plan finds no change and exits 0).

One emulator process serves ``--instances`` PBXs (``python -m tcxkit.emulator
--instances N``: one event loop, a port, a database and a random key each).  Each
round runs, in a fresh process writing to /dev/null, ``3cx users list-user --top N
-o jsonl`` three ways -- on one PBX without ``--fleet`` (the baseline), ``--fleet
FIRST`` and ``--fleet all`` -- and the same read through the library
(``Fleet.call`` on one PBX and on all, in one child each).  Rounds are interleaved,
the order rotating every round, so every side sees the same server and other load;
a warm-up round (tokens fetched and cached) is not counted.  The figure is the
median of the per-round ratios to the one-PBX run, with their range.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import emulator_cmd, machine
from bench_export import BIN, run_child

LIBRARY = """
import asyncio, sys
from tcxkit import Fleet
from tcxkit.fleet import load_inventory, select

async def main():
    targets = select(load_inventory(sys.argv[1]), sys.argv[2])
    async with Fleet(targets) as fleet:
        results = await fleet.call("ListUser", top=int(sys.argv[3]))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    for r in results:
        sys.stdout.write(f"{r.pbx} {len(r.value['value'])}\\n")

asyncio.run(main())
"""


def state_sides(inventory: Path, state_file: Path, first: str) -> dict[str, list[str]]:
    plan = ["state", "plan", str(state_file)]
    fleet = [str(BIN), "--inventory", str(inventory), "--fleet"]
    return {
        "3cx state plan, one PBX (no --fleet)": [str(BIN), *plan],
        "3cx --fleet first state plan": [*fleet, first, *plan],
        "3cx --fleet all state plan": [*fleet, "all", *plan],
    }


def sides(inventory: Path, top: int, first: str) -> dict[str, list[str]]:
    read = ["users", "list-user", "--top", str(top), "-o", "jsonl"]
    fleet = [str(BIN), "--inventory", str(inventory), "--fleet"]
    lib = [sys.executable, "-c", LIBRARY, str(inventory)]
    return {
        "3cx, one PBX (no --fleet)": [str(BIN), *read],
        "3cx --fleet first": [*fleet, first, *read],
        "3cx --fleet all": [*fleet, "all", *read],
        "Fleet.call, one PBX": [*lib, first, str(top)],
        "Fleet.call, all": [*lib, "all", str(top)],
    }


@contextmanager
def fleet_server(cmd: list[str], inventory: Path, log: Path) -> Iterator[float]:
    """Start the emulated fleet (free ports), yield its start-up time once the inventory
    is written (the sockets listen by then), stop it."""
    started = time.perf_counter()
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
        try:
            while not inventory.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"emulator exited ({proc.returncode}): {log.read_text()}")
                time.sleep(0.05)
            yield time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@contextmanager
def emulated_fleet(instances: int) -> Iterator[tuple[str, float, Path, str, dict[str, str], str]]:
    """``instances`` emulated PBXs with their inventory in a temporary directory: yield
    that directory, the start-up time, the inventory, and the first PBX's name, inventory
    entry and secret (whatever the names' width: pbx01 below 100 instances, pbx001 at 100)."""
    import tomllib

    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "fleet.toml"
        cmd = emulator_cmd(0, "--instances", str(instances), "--inventory-out", str(inventory))
        with fleet_server(cmd, inventory, Path(tmp) / "emulator.log") as startup:
            name, first = next(iter(tomllib.loads(inventory.read_text())["pbx"].items()))
            key = (Path(tmp) / first["secret_file"]).read_text().strip()
            yield tmp, startup, inventory, name, first, key


def first_pbx_env(tmp: str, first: dict[str, str], key: str) -> dict[str, str]:
    """The children's environment: ``3cx`` pointed at the first PBX, settings and tokens
    in ``tmp``.  As installed: byte-code caches used (PYTHONDONTWRITEBYTECODE, set on some
    machines, would compile every module on every run and pad the one-PBX side)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TCX_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        TCX_URL=first["url"], TCX_CLIENT_ID=first["client_id"], TCX_CLIENT_SECRET=key,
        TCX_CONFIG_DIR=tmp, TCX_DATA_DIR=tmp, TCX_CACHE_DIR=tmp, TCX_NO_KEYRING="1",
    )  # fmt: skip
    return env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--workload", choices=("read", "state"), default="read")
    args = ap.parse_args()
    with emulated_fleet(args.instances) as (tmp, startup, inventory, name, first, key):
        env = first_pbx_env(tmp, first, key)
        if args.workload == "state":
            state_file = Path(tmp) / f"{name}.yaml"
            run_child([str(BIN), "state", "pull", "-f", str(state_file)], env)
            todo = state_sides(inventory, state_file, name)
        else:
            todo = sides(inventory, args.top, name)
        for command in todo.values():  # warm-up: tokens fetched and cached
            run_child(command, env)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in todo}
        names = list(todo)
        loads = [os.getloadavg()[0]]
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                runs[name].append(run_child(todo[name], env))
            loads.append(os.getloadavg()[0])
    report(runs, args, startup, loads)


def _ratios(
    samples: list[dict[str, float]], ref: list[dict[str, float]], what: str = "wall"
) -> str:
    """Median (range) of the per-round ratios: each round's sides ran one after the other,
    so each ratio compares runs that saw the same load."""
    r = [s[what] / b[what] for s, b in zip(samples, ref, strict=True)]
    return f"{statistics.median(r):.2f} ({min(r):.2f}-{max(r):.2f})"


def report(
    runs: dict[str, list[dict[str, float]]],
    args: argparse.Namespace,
    startup: float,
    loads: list[float],
) -> None:
    """Per side: medians, and the median (range) of per-round ratios to two baselines: the
    same read on one PBX without --fleet, and on one PBX through the same fleet path."""
    if args.workload == "state":
        one = {"3cx": runs["3cx state plan, one PBX (no --fleet)"]}
        same = {"3cx": runs["3cx --fleet first state plan"]}
    else:
        one = {"3cx": runs["3cx, one PBX (no --fleet)"], "Fleet.call": runs["Fleet.call, one PBX"]}
        same = {"3cx": runs["3cx --fleet first"], "Fleet.call": runs["Fleet.call, one PBX"]}
    out = {"machine": machine(), "instances": args.instances, "rounds": args.rounds,
           "top": args.top, "emulator_startup_s": round(startup, 2), "samples": runs,
           "load_average_1min": loads}  # fmt: skip
    what = "state plan" if args.workload == "state" else f"ListUser $top={args.top}"
    print(f"{args.rounds} interleaved rounds; 1-minute load average "
          f"{min(loads):.1f}-{max(loads):.1f} ({os.cpu_count()} CPUs)")  # fmt: skip
    print(f"| {args.instances} PBXs, {what} | wall (median) | CPU (median) "
          "| wall / one PBX | wall / one PBX, same path | CPU / one PBX |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for name, samples in runs.items():
        kind = name.split(" ")[0].rstrip(",")
        wall = statistics.median(s["wall"] for s in samples)
        cpu = statistics.median(s["cpu"] for s in samples)
        print(f"| {name} | {wall:.2f} s | {cpu:.2f} s | {_ratios(samples, one[kind])} "
              f"| {_ratios(samples, same[kind])} "
              f"| {_ratios(samples, one[kind], 'cpu')} |")  # fmt: skip
    print(json.dumps(out), file=sys.stderr)


if __name__ == "__main__":
    main()
