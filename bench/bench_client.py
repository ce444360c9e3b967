"""Library benchmarks: start-up cost and per-call overhead against plain httpx.

    .venv/bin/python bench/bench_client.py [--calls 2000] [--runs 30]

1. ``import tcxkit`` and ``tcxkit.catalog()`` in fresh processes (median of N).
2. The same GET (``Peers(Number='100')``) against one local emulator, sent
   by a plain ``httpx.Client`` with a ready bearer token (the baseline) and by
   ``tcxkit.Client.call`` (validation, literal encoding, token reuse, response
   decoding), interleaved in rounds so both see the same server and machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

STARTUP = """
import time
t0 = time.perf_counter()
import tcxkit
t1 = time.perf_counter()
tcxkit.catalog()
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""


def startup(runs: int) -> dict[str, float]:
    imports, loads = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True
        )
        a, b = map(float, out.stdout.split())
        imports.append(a)
        loads.append(b)
    return {"import_ms": statistics.median(imports), "catalog_ms": statistics.median(loads)}


def per_call(calls: int, rounds: int = 10) -> dict[str, float]:
    import httpx

    import tcxkit
    from tcxkit.emulator import EmulatorConfig, running

    with running(EmulatorConfig(data="demo")) as server:
        client = tcxkit.Client(
            server.url, server.client_id, server.client_secret, token_cache=False
        )
        number = client.call("ListPeer", top=1, select=["Number"])["value"][0]["Number"]
        token = client._core.tokens.token().access_token
        plain = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        url = f"{server.url}/xapi/v1/Peers(Number='{number}')"

        def run_plain() -> None:
            r = plain.get(url)
            r.raise_for_status()
            r.json()

        def run_tcx() -> None:
            client.call("GetPeerByNumber", Number=number)

        for fn in (run_plain, run_tcx):  # warm up both
            for _ in range(50):
                fn()
        per = calls // rounds
        t_plain = t_tcx = 0.0
        for _ in range(rounds):
            t = time.perf_counter()
            for _ in range(per):
                run_plain()
            t_plain += time.perf_counter() - t
            t = time.perf_counter()
            for _ in range(per):
                run_tcx()
            t_tcx += time.perf_counter() - t
        n = per * rounds
        plain.close()
        client.close()
    return {
        "plain_httpx_us": t_plain / n * 1e6,
        "tcxkit_us": t_tcx / n * 1e6,
        "overhead_pct": (t_tcx / t_plain - 1) * 100,
        "calls_each": n,
    }


def prepare_only(n: int = 20000) -> float:
    """The pure-Python part of a call (validation + encoding), no I/O."""
    from tcxkit import catalog
    from tcxkit.pipeline import prepare

    cat = catalog()
    action = cat.require("RetreivePeersByNumbers")
    t = time.perf_counter()
    for _ in range(n):
        prepare(action, {"peers_request": {"DnNumbers": [1234, 5678]}}, cat)
    return (time.perf_counter() - t) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} Python {platform.python_version()}",
        **startup(args.runs),
        "prepare_us": prepare_only(),
        **per_call(args.calls),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"machine                     {result['machine']}")
    print(f"import tcxkit (median)      {result['import_ms']:.1f} ms")
    print(f"catalog() load (median)     {result['catalog_ms']:.1f} ms   target <= 20 ms")
    print(f"prepare() one request       {result['prepare_us']:.1f} us")
    print(f"plain httpx GET             {result['plain_httpx_us']:.0f} us/call")
    print(f"tcxkit Client.call GET      {result['tcxkit_us']:.0f} us/call")
    print(f"overhead                    {result['overhead_pct']:+.1f} %   target <= +10 %")


if __name__ == "__main__":
    main()
