"""``3cx mcp``: start-up to the first tool answer, and the cost of a call over the library.

    python bench/bench_mcp.py [--starts 7] [--rounds 20] [--per 25]

1. Start-up: spawn ``3cx mcp`` (stdio) with the MCP SDK's client, initialise, and time
   until the first ``search_actions`` answer arrives (median of ``--starts``).  For
   scale, the same for ``python -c "import mcp.server.mcpserver"`` (the SDK's import).
2. Per call: ``GetPeerByNumber`` three ways against one emulator in its own process,
   interleaved per round: ``tcxkit.Client.call`` (the library), ``Toolbox.call`` (what
   the MCP tool adds in-process: policy, redaction, budget) and ``call_action`` through
   a running ``3cx mcp`` over stdio (adds the SDK: JSON-RPC, argument validation, a
   worker thread).  Overheads are medians of per-round differences; CPU time per call
   (this process plus the server process, from /proc) is given too, as it moves less
   than wall time on a busy machine.
Targets: start-up < 1 s, per-call overhead < 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_export import cli_env

BIN = Path(sys.executable).with_name("3cx")


async def _first_answer(env: dict[str, str]) -> float:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    t0 = time.perf_counter()
    async with Client(StdioServerParameters(command=str(BIN), args=["mcp"], env=env)) as c:
        r = await c.call_tool("search_actions", {"query": "peers by numbers"})
        elapsed = time.perf_counter() - t0
        assert not r.is_error
    return elapsed


def startup(env: dict[str, str], n: int) -> dict[str, float]:
    firsts = [asyncio.run(_first_answer(env)) for _ in range(n + 1)][1:]  # first warms caches
    imports = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import mcp.server.mcpserver"], check=True)
        imports.append(time.perf_counter() - t0)
    cpu = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, mcp.server.mcpserver; "
            "r = resource.getrusage(resource.RUSAGE_SELF); print(r.ru_utime + r.ru_stime)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "first_answer_s": statistics.median(firsts),
        "first_answer_min_s": min(firsts),
        "sdk_import_s": statistics.median(imports),
        "sdk_import_cpu_s": float(cpu.stdout),
    }


async def per_call(env: dict[str, str], url: str, cid: str, secret: str, rounds: int, per: int):
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    import tcxkit
    from tcxkit.mcp.audit import AuditLog, Where
    from tcxkit.mcp.policy import Policy
    from tcxkit.mcp.service import Toolbox

    lib = tcxkit.Client(url, cid, secret, token_cache=False)
    tb = Toolbox(
        tcxkit.Client(url, cid, secret, token_cache=False),
        Policy(),
        AuditLog(Path(env["TCX_DATA_DIR"]) / "audit.jsonl", Where(url, None, "bench")),
        32 * 1024,
    )
    params = StdioServerParameters(command=str(BIN), args=["mcp"], env=env)
    async with Client(params) as c:
        args = {"action": "GetPeerByNumber", "params": {"Number": "100"}}

        def run_lib() -> None:
            lib.call("GetPeerByNumber", Number="100")

        def run_tb() -> None:
            tb.call("GetPeerByNumber", {"Number": "100"})

        async def run_mcp() -> None:
            r = await c.call_tool("call_action", args)
            assert not r.is_error

        for _ in range(30):  # warm-up: tokens, release, connections
            run_lib()
            run_tb()
            await run_mcp()
        server = _server_pid()
        spent: dict[str, list[float]] = {"lib": [], "toolbox": [], "mcp": []}
        cpu: dict[str, float] = {"lib": 0.0, "toolbox": 0.0, "mcp": 0.0}
        order = ["lib", "toolbox", "mcp"]
        for i in range(rounds):
            for side in order[i % 3 :] + order[: i % 3]:  # rotate who goes first
                t, c0 = time.perf_counter(), _cpu(os.getpid()) + _cpu(server)
                for _ in range(per):
                    if side == "mcp":
                        await run_mcp()
                    else:
                        (run_lib if side == "lib" else run_tb)()
                spent[side].append((time.perf_counter() - t) / per * 1000)
                cpu[side] += _cpu(os.getpid()) + _cpu(server) - c0
    lib.close()
    tb.client.close()
    diff_tb = [t - x for t, x in zip(spent["toolbox"], spent["lib"], strict=True)]
    diff_mcp = [m - x for m, x in zip(spent["mcp"], spent["lib"], strict=True)]
    q = statistics.quantiles(diff_mcp, n=4)
    return {
        "lib_ms": statistics.median(spent["lib"]),
        "toolbox_ms": statistics.median(spent["toolbox"]),
        "mcp_ms": statistics.median(spent["mcp"]),
        "toolbox_over_ms": statistics.median(diff_tb),
        "mcp_over_ms": statistics.median(diff_mcp),
        "mcp_over_iqr_ms": (q[0], q[2]),
        "calls_each": rounds * per,
        "cpu_ms": {k: v / (rounds * per) * 1000 for k, v in cpu.items()},
    }


def _server_pid() -> int:
    """The ``3cx mcp`` child the SDK's stdio client started (Linux: read /proc)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[1] == me and b"mcp" in cmd:
            return int(stat.parent.name)
    raise RuntimeError("3cx mcp server process not found")


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (both sides of the pipe count).

    This process: ``getrusage`` (microseconds); the server: /proc (clock ticks, 10 ms,
    so its share is only accurate summed over many calls).
    """
    if pid == os.getpid():
        import resource

        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per", type=int, default=25)
    args = parser.parse_args()

    from bench_emulator import emulator_cmd, free_port, serve  # same folder

    import tcxkit
    from tcxkit.emulator.config import EmulatorConfig

    for root in {sysconfig.get_paths()["purelib"], str(Path(tcxkit.__file__).parent)}:
        compileall.compile_dir(root, quiet=1)
    d = EmulatorConfig()
    port = free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve(emulator_cmd(port, "--data", "demo"), port, timeout=60),
    ):
        url = f"http://127.0.0.1:{port}"
        env = cli_env(url, tmp, d.client_id, d.client_secret)
        s = startup(env, args.starts)
        c = asyncio.run(per_call(env, url, d.client_id, d.client_secret, args.rounds, args.per))
    load = os.getloadavg()
    print(f"machine load average (1, 5, 15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(
        f"start-up to first tool answer: median {s['first_answer_s'] * 1000:.0f} ms "
        f"(min {s['first_answer_min_s'] * 1000:.0f} ms; target < 1000 ms)"
    )
    print(
        f"  of which the SDK import alone: {s['sdk_import_s'] * 1000:.0f} ms wall, "
        f"{s['sdk_import_cpu_s'] * 1000:.0f} ms CPU"
    )
    print(
        f"GetPeerByNumber, {c['calls_each']} calls each: library {c['lib_ms']:.2f} ms, "
        f"Toolbox {c['toolbox_ms']:.2f} ms, MCP call_action {c['mcp_ms']:.2f} ms"
    )
    print(f"  tcxkit's MCP layer (policy, redaction, budget): {c['toolbox_over_ms']:+.2f} ms/call")
    lo, hi = c["mcp_over_iqr_ms"]
    print(
        f"  whole MCP round trip over the library: {c['mcp_over_ms']:+.2f} ms/call "
        f"(IQR {lo:.2f}..{hi:.2f}; target < 5 ms)"
    )
    cm = c["cpu_ms"]
    print(
        f"  CPU per call (this process + the server; the emulator's excluded): library "
        f"{cm['lib']:.2f} ms, Toolbox {cm['toolbox']:.2f} ms, MCP {cm['mcp']:.2f} ms "
        f"({cm['mcp'] - cm['lib']:+.2f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
