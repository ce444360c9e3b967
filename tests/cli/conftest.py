"""Fixtures: an emulator on a real port and runners for the ``3cx`` command line.

``run`` and ``bare`` run the CLI **in this process**, through the console
script's own entry point :func:`tcxkit.cli.main` (so the same mapping of
failures to messages and exit codes), with everything a fresh process would
give it: its own argv, environment (a copy of ours without any ``TCX_*``, plus
isolated config, data and cache directories), working directory, stdin (empty
unless ``input`` is given; never a terminal), stdout and stderr (bytes, decoded
as ``subprocess.run(text=True)`` would), and no tokens remembered from another
run (:class:`tcxkit.auth.TokenState` is per process).  What a run sets
process-wide, ``main`` undoes itself (debug mode, the HTTP log handler).  The
runner checks that each run left the environment, the working directory, signal
handlers, log handlers and levels, and the child processes as it found them (a
leak fails the test: fix it in the CLI, where programs that embed it would suffer
it too), then puts back the streams and its own environment and working directory.
New commands get all this from ``run``/``bare``; use the subprocess fixtures only
for a new kind of process boundary, and add it to the list below.

``subprocess_run`` and ``subprocess_bare`` run the installed console script in
a child process.  Only what needs a real process boundary uses them:

* start-up: the console script exists and runs (``--version``), ``python -m
  tcxkit``, and the import guard that keeps httpx/rich off the help path
  (test_basics.py, test_ux.py);
* exit codes as a shell sees them, one per path through ``main``: click's own
  usage error, 2 (test_basics.py); validation, 3; an API error, 7, also with
  ``--debug`` (traceback and HTTP log on the real stderr); a server error, 9
  (test_errors.py);
* stdin: ``--items -`` piped into the process (test_items.py);
* Ctrl-C: SIGINT to a process blocked on stdin exits 130 (test_ux.py);
* terminals: pseudo-terminals for pretty output, rich tables, progress and the
  delete confirmation (test_terminal.py, test_safe_writes.py);
* the embedded emulator's background process, which must outlive the ``3cx``
  process that started it (in-process, pytest would be its parent and keep it
  as a zombie) (test_embedded.py), and the foreground ``3cx emulator``;
* the OS keyring, whose backend a process picks once (test_profiles.py);
* a sample of action-page examples pasted into a shell (test_examples.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tcxkit.auth import TokenState
from tcxkit.cli import main
from tcxkit.emulator import EmulatorConfig, running

BIN = Path(sys.executable).with_name("3cx")
SECRET = "cli-test-secret-9f3k"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def lines(self) -> list[Any]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    config = EmulatorConfig(client_id="cli-tests", client_secret=SECRET, data="demo")
    with running(config) as emu:
        yield emu


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    d = {name: tmp_path / name for name in ("config", "data", "cache", "work")}
    for path in d.values():
        path.mkdir()
    return d


def _base_env(dirs: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
    env.update(
        TCX_CONFIG_DIR=str(dirs["config"]),
        TCX_DATA_DIR=str(dirs["data"]),
        TCX_CACHE_DIR=str(dirs["cache"]),
        TCX_NO_KEYRING="1",
        COLUMNS="200",
    )
    return env


def _text(data: bytes) -> str:
    """Bytes as ``subprocess.run(text=True)`` returns them (UTF-8, universal newlines)."""
    return data.decode().replace("\r\n", "\n").replace("\r", "\n")


class Runner:
    """``run("users", "list-user", ...)`` -> :class:`Result`; ``env`` adds variables."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        code, out, err = self._invoke(args, input, env)
        return Result(code, _text(out), _text(err))

    def binary(self, *args: str) -> tuple[int, bytes]:
        """Exit code and raw stdout bytes (for file results written to ``--out -``)."""
        code, out, _ = self._invoke(args, None, None)
        return code, out

    def _invoke(
        self, args: Sequence[str], input: str | None, env: dict[str, str] | None
    ) -> tuple[int, bytes, bytes]:
        """Exit status, stdout and stderr of one ``3cx`` call."""
        raise NotImplementedError


class ConsoleScript(Runner):
    """The installed console script in a child process."""

    def _invoke(
        self, args: Sequence[str], input: str | None, env: dict[str, str] | None
    ) -> tuple[int, bytes, bytes]:
        proc = subprocess.run(
            [str(BIN), *args],
            input=None if input is None else input.encode(),
            capture_output=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            timeout=120,
        )
        return proc.returncode, proc.stdout, proc.stderr


class InProcess(Runner):
    """The same calls through :func:`tcxkit.cli.main` in this process (see the module doc)."""

    def _invoke(
        self, args: Sequence[str], input: str | None, env: dict[str, str] | None
    ) -> tuple[int, bytes, bytes]:
        stdin = _stream((input or "").encode())
        stdout, stderr = _stream(), _stream()
        TokenState._memory.clear()  # a new process remembers no token
        with (
            _environment({**self.env, **(env or {})}),
            contextlib.chdir(self.cwd),
            _streams(stdin, stdout, stderr),
        ):
            before = _process_state()
            try:
                main(list(args))
                code = 0  # (main always exits; a process would end 0 if it returned)
            except SystemExit as exc:
                code = _exit_status(exc, stderr)
            _assert_left_as_found(before, _process_state(), args)
        return code, _bytes(stdout), _bytes(stderr)


def _process_state() -> dict[str, Any]:
    """Process-wide state a run could change; a process loses it at exit, ``main`` must not."""
    loggers = ("", "tcxkit", "tcxkit.http")
    return {
        "environment": dict(os.environ),
        "working directory": os.getcwd(),
        "signal handlers": [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)],
        "log handlers": [list(logging.getLogger(name).handlers) for name in loggers],
        "log levels": [logging.getLogger(name).level for name in loggers],
        # A process a run leaves behind would be pytest's child (a zombie once it ends):
        # the embedded emulator is tested through subprocess_bare.
        "child processes": _children(),
    }


def _children() -> set[int]:
    """Pids of this process's children (Linux /proc; empty elsewhere)."""
    pids: set[int] = set()
    for task in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids.update(int(pid) for pid in task.read_text().split())
    return pids


def _assert_left_as_found(
    before: dict[str, Any], after: dict[str, Any], args: Sequence[str]
) -> None:
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"`3cx {' '.join(args)}` left process-wide state changed: {changed}"


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    """A text stream over bytes, like a piped standard stream (``.buffer`` included)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


def _bytes(stream: io.TextIOWrapper) -> bytes:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


def _exit_status(exc: SystemExit, stderr: io.TextIOWrapper) -> int:
    """The status the interpreter would exit with for ``sys.exit(exc.code)``."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=stderr)
    return 1


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """``os.environ`` is exactly ``env`` for the call, ours again afterwards."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _streams(
    stdin: io.TextIOWrapper, stdout: io.TextIOWrapper, stderr: io.TextIOWrapper
) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


@pytest.fixture
def bare(dirs: dict[str, Path]) -> Runner:
    """No connection settings at all (the embedded default would start), in-process."""
    return InProcess(_base_env(dirs), dirs["work"])


@pytest.fixture
def run(emulator: Any, dirs: dict[str, Path]) -> Runner:
    """Connected to the test emulator through TCX_* variables, in-process."""
    env = _base_env(dirs)
    env.update(TCX_URL=emulator.url, TCX_CLIENT_ID=emulator.client_id, TCX_CLIENT_SECRET=SECRET)
    return InProcess(env, dirs["work"])


@pytest.fixture
def subprocess_bare(bare: Runner) -> Runner:
    """``bare``'s settings through the installed console script (process-boundary tests)."""
    return ConsoleScript(bare.env, bare.cwd)


@pytest.fixture
def subprocess_run(run: Runner) -> Runner:
    """``run``'s settings through the installed console script (process-boundary tests)."""
    return ConsoleScript(run.env, run.cwd)


class Faults:
    """Injects statuses through the emulator's ``/emulator/faults`` admin endpoint."""

    def __init__(self, url: str, auth: tuple[str, str]) -> None:
        self.url = url + "/emulator/faults"
        self.auth = auth

    def __setitem__(self, operation: str, status: int) -> None:
        import httpx

        r = httpx.post(self.url, json={"operation": operation, "status": status}, auth=self.auth)
        r.raise_for_status()

    def clear(self) -> None:
        import httpx

        httpx.delete(self.url, auth=self.auth).raise_for_status()


@pytest.fixture
def faults(emulator: Any) -> Iterator[Faults]:
    """``faults["ListUser"] = 403`` makes the emulator answer that action with 403."""
    f = Faults(emulator.url, emulator.control_auth)
    f.clear()
    yield f
    f.clear()
