"""``3cx state pull`` speed: the demo PBX, and a PBX with 1 000 users.

    .venv/bin/python bench/bench_state.py [--users 1000] [--rounds 5]

Each PBX is an in-process emulator on a real port; the big one is the demo data
plus ``--users`` extra extensions (created with the emulator's own DN code, as the
demo's are, each in a department).  A round pulls every kind through
``tcxkit.state.pull`` on one ``AsyncClient`` (a warm token, as in a fleet run)
and renders the YAML; the figures are the median and range over the rounds, and
the share spent in YAML rendering.  Rounds alternate between the two PBXs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import machine

from tcxkit import AsyncClient
from tcxkit.emulator import EmulatorConfig, running
from tcxkit.state import dump_document, pull


def add_users(emu: Any, count: int) -> None:
    from tcxkit.emulator.domain.dns import create_dn
    from tcxkit.emulator.domain.numbering import KINDS

    state = emu.state
    groups = state.entity_set("Groups").all()
    with state.store.transaction():
        for i in range(count):
            number = str(2000 + i)
            group = groups[i % len(groups)]["Id"]
            create_dn(
                state,
                KINDS["Users"],
                {
                    "Number": number,
                    "FirstName": f"User{i}",
                    "LastName": "Bench",
                    "EmailAddress": f"user{i}@bench.example",
                    "Enabled": True,
                    "Groups": [{"GroupId": group, "Rights": {"RoleName": "users"}}],
                },
            )


async def one_pull(emu: Any) -> tuple[float, float, int]:
    async with AsyncClient(emu.url, emu.client_id, emu.client_secret, token_cache=False) as c:
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
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(machine())
    with running(EmulatorConfig(data="demo")) as demo, running(EmulatorConfig(data="demo")) as big:
        add_users(big, args.users)
        results: dict[str, list[tuple[float, float, int]]] = {"demo": [], "big": []}
        for _ in range(args.rounds):
            for name, emu in (("demo", demo), ("big", big)):
                results[name].append(asyncio.run(one_pull(emu)))
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
