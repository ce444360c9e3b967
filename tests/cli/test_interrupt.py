"""Ctrl-C: SIGINT to a process blocked on stdin exits 130 without a traceback."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from .conftest import BIN, Runner


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130_without_traceback(subprocess_run: Runner) -> None:
    """SIGINT while blocked reading --items from stdin (click turned it into 'aborted', 1).

    The child gets SIGINT's default disposition explicitly: when the suite itself runs as a
    background job of a non-interactive shell (``bash -c 'pytest ... & wait'``, as some CI
    runners do), SIGINT is inherited as *ignored*, CPython then installs no KeyboardInterrupt
    handler, the signal is dropped and the child exits 0 at end of input -- correct
    behaviour for a background job, but not what this test is about.
    """
    proc = subprocess.Popen(
        [str(BIN), "users", "get-user", "--items", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_run.env,
        cwd=subprocess_run.cwd,
        preexec_fn=_default_sigint,
    )
    # Wait (bounded) until the process sits in read(0, ...): its handlers are installed then.
    deadline = time.monotonic() + 60
    syscall = Path(f"/proc/{proc.pid}/syscall")
    while not syscall.read_text().startswith("0 0x0 "):
        assert time.monotonic() < deadline, "3cx never blocked on stdin"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == "3cx: interrupted."
    assert out == ""
