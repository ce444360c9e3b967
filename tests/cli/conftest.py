"""Fixtures: an emulator on a real port and runners for the ``3cx`` command line.

``run`` and ``bare`` run the CLI **in this process** through click's ``CliRunner``
on the root group, whose ``main`` is the console script's (so the same mapping of
failures to messages and exit codes), with its own argv, environment (a copy of
ours without any ``TCX_*``, plus isolated config, data and cache directories),
working directory, stdin (empty unless ``input`` is given; never a terminal),
stdout and stderr (bytes, decoded as ``subprocess.run(text=True)`` would), and no
tokens remembered from another run (:class:`tcxkit.auth.TokenState` is per
process).  The CLI keeps a run's state in click's context (``ctx.obj``,
``ctx.meta``), so nothing is left for a next run to find.  New commands get all
this from ``run``/``bare``; use the subprocess fixtures only for a new kind of
process boundary, and add it to the list below.

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
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tcxkit.auth import TokenState
from tcxkit.cli.app import cli
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
    """The same calls through click's :class:`~click.testing.CliRunner` (see the module doc)."""

    def _invoke(
        self, args: Sequence[str], input: str | None, env: dict[str, str] | None
    ) -> tuple[int, bytes, bytes]:
        wanted = {**self.env, **(env or {})}
        # CliRunner sets what it is given and unsets what maps to None: exactly ``wanted``.
        environment = {k: None for k in os.environ if k not in wanted} | wanted
        TokenState._memory.clear()  # a new process remembers no token
        with contextlib.chdir(self.cwd):
            result = CliRunner().invoke(
                cli, list(args), input=input or "", env=environment, catch_exceptions=False
            )
        return result.exit_code, result.stdout_bytes, result.stderr_bytes


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


@pytest.fixture
def three_one_down(tcx_fleet: Any, tmp_path: Path) -> Path:
    """An inventory of pbx01 and pbx02 of the emulated fleet, and "down", whose port
    refuses connections (its key from $DOWN_KEY): a fleet with one PBX that cannot be read."""
    import socket

    from tcxkit.fleet import PbxTarget, SecretRef, dump_inventory

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = PbxTarget("down", f"http://127.0.0.1:{port}", "x", SecretRef("env", "DOWN_KEY"))
    path = tmp_path / "fleet.toml"
    path.write_text(dump_inventory([*tcx_fleet.targets[:2], down]))
    os.chmod(path, 0o600)
    return path
