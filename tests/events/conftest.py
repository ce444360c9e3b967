"""Fixtures for the events tests: an emulated PBX of this module's own, a way to make
things happen on it (the emulator's control endpoints), a webhook receiver, and the
``3cx events`` command run in-process or as a child process.

The PBX is one per session (per xdist worker): tests take a baseline (a first poll) before they cause
changes, so each sees only its own; a fresh cursor per test (in ``tmp_path``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import tcxkit
from tcxkit import Client
from tcxkit.auth import TokenState
from tcxkit.cli.app import cli
from tcxkit.emulator import running
from tests.emulators import own_config

from .receiver import Receiver


class Pbx:
    """The emulated PBX plus its control endpoints (``/emulator/calls`` ...)."""

    def __init__(self, emu: Any) -> None:
        self.emu = emu
        self.url = emu.url
        self._http = httpx.Client(base_url=emu.url, auth=emu.control_auth, timeout=10)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = self._http.post(path, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def start_call(self, src: str, dst: str) -> int:
        return int(self.post("/emulator/calls", {"from": src, "to": dst})["Id"])

    def end_call(self, call: int, answered: bool, by: str | None = None) -> int:
        body: dict[str, Any] = {"answered": answered}
        if by is not None:
            body["by"] = by
        return int(self.post(f"/emulator/calls/{call}/end", body)["CallId"])

    def call(self, src: str, dst: str, answered: bool) -> int:
        """A whole call: starts and ends at once; returns its call-log CallId."""
        return self.end_call(self.start_call(src, dst), answered)

    def register(self, number: str, registered: bool) -> None:
        self.post(f"/emulator/users/{number}/registration", {"registered": registered})

    def agent(self, queue: str, number: str, logged_in: bool) -> None:
        """Queue agent ``number`` logs in or out (``queue.agent_logged_in``/``_out``)."""
        self.post(f"/emulator/queues/{queue}/agents/{number}", {"logged_in": logged_in})

    def trunk(self, number: str, online: bool) -> None:
        self.post(f"/emulator/trunks/{number}/online", {"online": online})

    def log(self, kind: str, message: str, **extra: Any) -> int:
        return int(
            self.post("/emulator/event-log", {"Type": kind, "Message": message, **extra})["Id"]
        )

    def health(self, change: dict[str, Any]) -> None:
        """What XAPI cannot set (``/emulator/pbx-health``): e.g. a backup that failed."""
        r = self._http.patch("/emulator/pbx-health", json=change)
        assert r.status_code == 200, r.text

    def fault(self, rule: dict[str, Any] | None) -> None:
        """Answer an operation with a status (``/emulator/faults``); None clears them all."""
        r = self._http.post("/emulator/faults", json=rule) if rule else self._http.delete("/emulator/faults")  # fmt: skip
        assert r.status_code in (200, 204), r.text

    def license(self, expires: str) -> None:
        self.post("/emulator/license", {"ExpirationDate": expires})

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {
            **base,
            "TCX_URL": self.emu.url,
            "TCX_CLIENT_ID": self.emu.client_id,
            "TCX_CLIENT_SECRET": self.emu.client_secret,
        }


@pytest.fixture(scope="session")
def pbx() -> Iterator[Pbx]:
    # Backups are listed as soon as they are made (a PBX takes a while: the poll waits).
    with running(
        own_config(data="demo", options={"backup_delay": 0, "time_zone": "Pacific/Honolulu"})
    ) as emu:
        yield Pbx(emu)


@pytest.fixture
def xapi(pbx: Pbx, tmp_path: Path) -> Iterator[Client]:
    """A library client of ``pbx``: changes made through XAPI itself."""
    emu = pbx.emu
    with Client(emu.url, emu.client_id, emu.client_secret, token_cache=tmp_path / "t") as c:
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


class Cli:
    """``3cx`` in-process (click's runner), isolated directories, connected to ``pbx``."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        wanted = {**self.env, **(env or {})}
        environment = {k: None for k in os.environ if k not in wanted} | wanted
        TokenState._memory.clear()
        with contextlib.chdir(self.cwd):
            result = CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    def spawn(
        self, *args: str, env: dict[str, str] | None = None, stderr: Any = subprocess.PIPE
    ) -> subprocess.Popen[str]:
        """``python -m tcxkit ARGS`` as a child process (stdout a pipe, line-buffered)."""
        # The tcxkit this test imported, whatever the child's working directory.
        src = str(Path(tcxkit.__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (src, self.env.get("PYTHONPATH")) if p)
        return subprocess.Popen(
            [sys.executable, "-u", "-m", "tcxkit", *args],
            env={**self.env, **(env or {}), "PYTHONPATH": path},
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )


@pytest.fixture
def tcx(pbx: Pbx, tmp_path: Path) -> Cli:
    dirs = {name: tmp_path / name for name in ("config", "data", "cache", "work")}
    for path in dirs.values():
        path.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("TCX_")}
    base.update(
        TCX_CONFIG_DIR=str(dirs["config"]),
        TCX_DATA_DIR=str(dirs["data"]),
        TCX_CACHE_DIR=str(dirs["cache"]),
        TCX_NO_KEYRING="1",
    )
    return Cli(pbx.env(base), dirs["work"])
