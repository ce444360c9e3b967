"""Fixtures: an emulator on a real port and a runner for the installed ``3cx``.

Every test runs the console script in a subprocess, exactly as a user would,
with isolated config, data and token-cache directories.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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


class Runner:
    """``run("users", "list-user", ...)`` -> :class:`Result`; ``env`` adds variables."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        proc = subprocess.run(
            [str(BIN), *args],
            input=input,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def binary(self, *args: str) -> tuple[int, bytes]:
        """Exit code and raw stdout bytes (for file results written to ``--out -``)."""
        proc = subprocess.run(
            [str(BIN), *args], capture_output=True, env=self.env, cwd=self.cwd, timeout=120
        )
        return proc.returncode, proc.stdout


@pytest.fixture
def bare(dirs: dict[str, Path]) -> Runner:
    """No connection settings at all (the embedded default would start)."""
    return Runner(_base_env(dirs), dirs["work"])


@pytest.fixture
def run(emulator: Any, dirs: dict[str, Path]) -> Runner:
    """Connected to the test emulator through TCX_* variables."""
    env = _base_env(dirs)
    env.update(TCX_URL=emulator.url, TCX_CLIENT_ID=emulator.client_id, TCX_CLIENT_SECRET=SECRET)
    return Runner(env, dirs["work"])


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
