"""Terminal-only behaviour (pretty JSON, --all progress) and the foreground emulator."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

from .conftest import BIN, Runner


def _run_on_tty(runner: Runner, *args: str) -> tuple[int, str, str]:
    """Run with stdout and stderr on pseudo-terminals; returns (code, stdout, stderr)."""
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN), *args], stdout=out_slave, stderr=err_slave, env=runner.env, cwd=runner.cwd
    )
    os.close(out_slave)
    os.close(err_slave)
    chunks: dict[int, bytes] = {out_master: b"", err_master: b""}
    for fd in chunks:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not data:
                break
            chunks[fd] += data
        os.close(fd)
    code = proc.wait(timeout=60)
    return code, chunks[out_master].decode(), chunks[err_master].decode()


def test_pretty_json_and_progress_on_a_terminal(subprocess_run: Runner) -> None:
    code, out, err = _run_on_tty(
        subprocess_run, "users", "list-user", "--all", "--select", "Number"
    )
    assert code == 0, err
    assert out.startswith("[\r\n  {\r\n")  # indented (the tty turns \n into \r\n)
    assert re.search(r"3cx: fetched \d+ items\.", err)


def test_table_on_a_terminal_uses_rich(subprocess_run: Runner) -> None:
    code, out, err = _run_on_tty(
        subprocess_run, "users", "list-user", "-o", "table", "--select", "Number,FirstName"
    )
    assert code == 0, err
    assert "Number" in out and "Alice" in out


def test_foreground_emulator(run: Runner, dirs: dict[str, Path]) -> None:
    db = dirs["data"] / "fg.db"
    proc = subprocess.Popen(
        [
            str(BIN),
            "emulator",
            "--port",
            "0",
            "--db",
            str(db),
            "--release",
            "20.0.8",
            "--client-id",
            "fg",
            "--data",
            "demo",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**run.env, "TCX_EMULATOR_SECRET": "fg-secret"},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"emulating 3CX 20\.0\.8 at (http://127\.0\.0\.1:\d+)", line)
        assert m, line
        env = {"TCX_URL": m.group(1), "TCX_CLIENT_ID": "fg", "TCX_CLIENT_SECRET": "fg-secret"}
        r = run("users", "list-user", "--select", "Number", "--top", "1", env=env)
        assert r.code == 0, r.err
        r = run("doctor", env=env)
        assert "PBX 20.0.8" in r.out and "XAPI 20.0.8 catalog" in r.out
    finally:
        # SIGTERM, not SIGINT: a suite run as a background job inherits SIGINT as ignored.
        proc.terminate()
        proc.communicate(timeout=20)  # reaps it and closes the stderr pipe
    assert db.exists()
