"""Library benchmarks: start-up cost and per-call overhead against plain httpx.

    .venv/bin/python bench/bench_client.py [--calls 2000] [--runs 30]

1. ``import tcxkit`` and ``tcxkit.catalog()`` in fresh processes (median of N).
2. The same GET (``Peers(Number='100')``) against one local emulator (its own
   process), sent
   by a plain ``httpx.Client`` with a ready bearer token (the baseline) and by
   ``tcxkit.Client.call`` (validation, literal encoding, token reuse, response
   decoding), interleaved in rounds so both see the same server and machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

STARTUP = """
import time
from collections.abc import Iterator
from typing import Any
t0 = time.perf_counter()
import tcxkit
t1 = time.perf_counter()
tcxkit.catalog()
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""


# ``from tcxkit import Client`` three ways, in fresh processes: as shipped (httpx's command
# line deferred), as if the cli extra were not installed (click, rich and pygments cannot be
# imported, so httpx skips its command line by itself), and as before tcxkit._httpx
# (httpx imported first, which loads its command line whenever the cli extra is there).
_BLOCK_CLI = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('click', 'rich', 'pygments'):
            raise ImportError(name)
sys.meta_path.insert(0, Block())
"""
CLIENT_IMPORT = {
    "as shipped, cli extra installed": "",
    "without the cli extra": _BLOCK_CLI,
    "before (httpx imported plainly)": "import httpx\n",
}
_TIME_IMPORT = """
import sys, time
t0 = time.perf_counter()
{prelude}
from tcxkit import Client
t1 = time.perf_counter()
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & {{'click', 'rich', 'pygments'}})
print((t1 - t0) * 1000, len(sys.modules), ','.join(heavy) or '-')
"""


def client_import(runs: int) -> dict[str, dict[str, Any]]:
    """Median import time of ``Client`` per variant, interleaved run by run."""
    times: dict[str, list[float]] = {k: [] for k in CLIENT_IMPORT}
    info: dict[str, tuple[int, str]] = {}
    for _ in range(runs):
        for name, prelude in CLIENT_IMPORT.items():
            code = _TIME_IMPORT.format(prelude=prelude)
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout.split()
            times[name].append(float(out[0]))
            info[name] = (int(out[1]), out[2])
    return {
        name: {
            "median_ms": statistics.median(ts),
            "quartiles_ms": statistics.quantiles(ts, n=4)[::2],
            "modules": info[name][0],
            "heavy": info[name][1],
        }
        for name, ts in times.items()
    }


def compile_bytecode() -> None:
    """Byte code as ``pip install`` leaves it (this environment may not write it itself),
    so that fresh processes time imports, not compiling."""
    import compileall
    import sysconfig

    import tcxkit

    for root in {sysconfig.get_paths()["purelib"], os.path.dirname(tcxkit.__file__)}:
        compileall.compile_dir(root, quiet=1)


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


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    """The emulator in its own process, so the server never competes with the
    measured client for this process's GIL."""
    from bench_emulator import emulator_cmd, free_port, serve  # same folder

    port = free_port()
    with serve(emulator_cmd(port, "--data", "demo"), port, timeout=30):
        yield f"http://127.0.0.1:{port}"


def per_call(calls: int, rounds: int = 40) -> dict[str, Any]:
    """Per-call time of tcxkit against plain httpx (the target's baseline) and against
    httpx with no cookie jar (what tcxkit's own HTTP client is: the honest residual)."""
    import httpx

    import tcxkit
    from tcxkit._httpx import LeanClient
    from tcxkit.emulator.config import EmulatorConfig

    defaults = EmulatorConfig()
    with emulator_process() as url:
        client = tcxkit.Client(url, defaults.client_id, defaults.client_secret, token_cache=False)
        number = client.call("ListPeer", top=1, select=["Number"])["value"][0]["Number"]
        token = client._core.tokens.token().access_token
        auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        plain, lean = httpx.Client(headers=auth), LeanClient(headers=auth)
        target = f"{url}/xapi/v1/Peers(Number='{number}')"

        def run_plain() -> None:
            r = plain.get(target)
            r.raise_for_status()
            r.json()

        def run_lean() -> None:
            r = lean.get(target)
            r.raise_for_status()
            r.json()

        def run_tcx() -> None:
            client.call("GetPeerByNumber", Number=number)

        sides = [run_plain, run_lean, run_tcx]
        for fn in sides:  # warm up all
            for _ in range(50):
                fn()
        per = calls // rounds
        totals = dict.fromkeys(sides, 0.0)
        ratios: dict[str, list[float]] = {"plain": [], "lean": []}
        for i in range(rounds):
            # Rotate which side goes first, so drift on the server cancels out;
            # the median of per-round ratios resists bursts of other load.
            spent = {}
            for fn in sides[i % 3 :] + sides[: i % 3]:
                t = time.perf_counter()
                for _ in range(per):
                    fn()
                spent[fn] = time.perf_counter() - t
                totals[fn] += spent[fn]
            ratios["plain"].append(spent[run_tcx] / spent[run_plain])
            ratios["lean"].append(spent[run_tcx] / spent[run_lean])
        n = per * rounds
        plain.close()
        lean.close()
        client.close()
    quartiles = {k: statistics.quantiles(v, n=4) for k, v in ratios.items()}
    return {
        "plain_httpx_us": totals[run_plain] / n * 1e6,
        "lean_httpx_us": totals[run_lean] / n * 1e6,
        "tcxkit_us": totals[run_tcx] / n * 1e6,
        "overhead_pct": (statistics.median(ratios["plain"]) - 1) * 100,
        "overhead_iqr_pct": ((quartiles["plain"][0] - 1) * 100, (quartiles["plain"][2] - 1) * 100),
        "overhead_total_pct": (totals[run_tcx] / totals[run_plain] - 1) * 100,
        "vs_lean_pct": (statistics.median(ratios["lean"]) - 1) * 100,
        "vs_lean_iqr_pct": ((quartiles["lean"][0] - 1) * 100, (quartiles["lean"][2] - 1) * 100),
        "calls_each": n,
    }


def in_memory_overhead(n: int = 20000) -> float:
    """Client CPU per call with no network and no server: tcxkit minus httpx with no
    cookie jar (as tcxkit's own client), both over the same in-memory transport -- what
    tcxkit's own logic costs, a steadier figure than the ratio."""
    import base64

    import httpx

    import tcxkit

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'none'})}.{b64({'exp': time.time() + 3600})}.sig"
    body = json.dumps({"Id": 6, "Number": "100", "Name": "Alice", "Type": "Extension"}).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": token, "expires_in": 3600})
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    transport = httpx.MockTransport(answer)
    client = tcxkit.Client(
        "http://pbx.test", "id", "key", transport=transport, token_cache=False, release="20.0.10"
    )
    from tcxkit._httpx import LeanClient

    plain = LeanClient(transport=transport, headers={"Authorization": f"Bearer {token}"})
    url = "http://pbx.test/xapi/v1/Peers(Number='100')"
    best = float("inf")
    for _ in range(3):  # best of three: the least disturbed run
        t = time.perf_counter()
        for _ in range(n):
            plain.get(url).json()
        base = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(n):
            client.call("GetPeerByNumber", Number="100")
        best = min(best, (time.perf_counter() - t - base) / n * 1e6)
    return best


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
    compile_bytecode()
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} Python {platform.python_version()}",
        **startup(args.runs),
        "client_import": client_import(args.runs),
        "prepare_us": prepare_only(),
        "in_memory_extra_us": in_memory_overhead(),
        **per_call(args.calls),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"machine                     {result['machine']}")
    print(f"import tcxkit (median)      {result['import_ms']:.1f} ms")
    print(f"catalog() load (median)     {result['catalog_ms']:.1f} ms   target <= 20 ms")
    for name, imp in result["client_import"].items():
        lo, hi = imp["quartiles_ms"]
        print(
            f"from tcxkit import Client    {imp['median_ms']:.1f} ms (quartiles {lo:.1f}-{hi:.1f}), "
            f"{imp['modules']} modules, click/rich/pygments: {imp['heavy']}  [{name}]"
        )
    print(f"prepare() one request       {result['prepare_us']:.1f} us")
    print(
        f"client CPU per call, no I/O {result['in_memory_extra_us']:.1f} us more than httpx (no jar)"
    )
    print(f"plain httpx GET             {result['plain_httpx_us']:.0f} us/call")
    print(f"httpx, no cookie jar        {result['lean_httpx_us']:.0f} us/call")
    print(f"tcxkit Client.call GET      {result['tcxkit_us']:.0f} us/call")
    lo, hi = result["overhead_iqr_pct"]
    print(
        f"overhead (median of rounds) {result['overhead_pct']:+.1f} %   target <= +5 %"
        f"   (quartiles {lo:+.1f} / {hi:+.1f} %, all calls {result['overhead_total_pct']:+.1f} %)"
    )
    lo, hi = result["vs_lean_iqr_pct"]
    print(
        f"vs httpx without cookie jar {result['vs_lean_pct']:+.1f} %   (quartiles {lo:+.1f} / {hi:+.1f} %)"
    )


if __name__ == "__main__":
    main()
