"""``3cx state pull`` speed: the demo PBX, and a PBX with 1 000 users.

    .venv/bin/python bench/bench_state.py [--users 1000] [--rounds 7]

Each PBX is an emulator in its own process (``python -m tcxkit.emulator``, demo
data), so the server does not share the benchmark's interpreter; the big one gets
``--users`` extra extensions through XAPI (``CreateUser``, each in a department).
A round pulls every kind with ``tcxkit.state.pull`` on one ``AsyncClient`` (a warm
token, as in a fleet run) and renders the YAML.  Rounds alternate between the two
PBXs; the figures are the median and range over the rounds, and the median share
spent rendering YAML.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import emulator_cmd, free_port, machine, serve

from tcxkit import AsyncClient
from tcxkit.state import dump_document, pull

CLIENT_ID, SECRET = "tcxkit-emulator", "emulator-secret"


def _client(url: str) -> AsyncClient:
    return AsyncClient(url, CLIENT_ID, SECRET, token_cache=False, release="20.0.10")


async def add_users(url: str, count: int) -> None:
    async with _client(url) as c:
        groups = [g["Id"] async for g in c.paginate("ListGroup")]

        async def one(i: int) -> None:
            body = {
                "Number": str(2000 + i),
                "FirstName": f"User{i}",
                "LastName": "Bench",
                "EmailAddress": f"user{i}@bench.example",
                "Enabled": True,
                "Groups": [{"GroupId": groups[i % len(groups)], "Rights": {"RoleName": "users"}}],
            }
            await c.call("CreateUser", body=body)

        for start in range(0, count, 20):
            await asyncio.gather(*(one(i) for i in range(start, min(count, start + 20))))


async def one_pull(url: str) -> tuple[float, float, int]:
    async with _client(url) as c:
        await c.authenticate()
        began = time.perf_counter()
        doc = await pull(c)
        pulled = time.perf_counter()
        text = dump_document(doc)
        done = time.perf_counter()
    return done - began, done - pulled, text.count("\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    print(machine())
    with ExitStack() as stack:
        urls = {}
        for name in ("demo", "big"):
            port = free_port()
            stack.enter_context(serve(emulator_cmd(port), port, timeout=60))
            urls[name] = f"http://127.0.0.1:{port}"
        asyncio.run(add_users(urls["big"], args.users))
        results: dict[str, list[tuple[float, float, int]]] = {"demo": [], "big": []}
        for _ in range(args.rounds):
            for name, url in urls.items():
                results[name].append(asyncio.run(one_pull(url)))
    for name, rows in results.items():
        totals = [r[0] for r in rows]
        yaml_share = statistics.median(r[1] / r[0] for r in rows)
        label = "demo PBX" if name == "demo" else f"demo + {args.users} users"
        print(
            f"{label}: pull {statistics.median(totals) * 1000:.0f} ms "
            f"(range {min(totals) * 1000:.0f}-{max(totals) * 1000:.0f}), "
            f"YAML {yaml_share:.0%} of it, {rows[0][2]} lines"
        )


if __name__ == "__main__":
    main()
