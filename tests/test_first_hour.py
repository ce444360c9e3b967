"""A newcomer's first hour, replayed: a fresh clone, README command 1, each walkthrough's start.

What a new user does, in order, with nothing configured (HOME, XDG and the working
directory in tmp, no ``TCX_*``, no ``PYTHONPATH``, this suite's venv off PATH):

1. ``git clone`` of this checkout's HEAD (committed files only, as CI and a user get them);
2. README command 1, read from README.md: the venv and the install, then the ``3cx`` command,
   not activated (``.venv/bin/3cx``): it answers from the built-in emulator, says so, and
   leaves it running;
3. ``. .venv/bin/activate`` (the venv's bin first on PATH), then the first commands of
   each walkthrough, read from its page: docs/cli.md's first three lines, docs/state.md's
   walkthrough without a PBX (``-p acme`` left out, the editor closed unchanged, so
   the plan must be empty), docs/fleet.md's fleet of five started and then used as its
   next block says, docs/emulator.md's emulator on a free port used by ``3cx``,
   docs/mcp.md's extra installed and its stdio server answering ``initialize``, and
   docs/client.md's imports;
4. the stop command the emulator's banner names, typed as printed: the emulator is gone.

The one substitution: the two installs (``python3 -m venv`` + ``pip install`` in README
command 1, ``pip install -e '.[mcp]'`` in docs/mcp.md) run through ``uv venv`` and ``uv pip
install`` with the same requirement and flags, from uv's cache: about 4 s instead of
about 35 s with pip and ensurepip, for the same hatchling editable build of the clone.
tests/packaging installs the built wheel the same way.  Left out: docs/airflow.md (an
Airflow cluster: tests/airflow) and the lines that start a server on a fixed port (5001,
8765): the emulator's ``--port 0`` line and the stdio server stand for them.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .cli.test_embedded import _alive
from .mcp.test_permissions import INIT, MCP_HEADERS
from .packaging.test_install import UV
from .test_doc_blocks import Block, blocks

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Newcomer:
    clone: Path
    env: dict[str, str]  # not activated: what a new shell has

    @property
    def bin(self) -> Path:
        return self.clone / ".venv" / "bin"

    def blocks(self, rel: str) -> list[Block]:
        """The blocks of a page as the clone has it (committed, as the user reads it)."""
        return blocks(rel, self.clone)

    def first_block(self, rel: str) -> str:
        return next(b.text for b in self.blocks(rel) if b.lang == "sh")

    def activated(self) -> dict[str, str]:
        """What ``. .venv/bin/activate`` changes."""
        path = f"{self.bin}{os.pathsep}{self.env['PATH']}"
        return {**self.env, "PATH": path, "VIRTUAL_ENV": str(self.clone / ".venv")}

    def sh(self, line: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """One command line typed into bash in the clone; it must exit 0 without a traceback."""
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=self.clone,
            env=env or self.activated(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        where = f"{line}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
        assert done.returncode == 0 and "Traceback" not in done.stdout + done.stderr, where
        return done


def _commands(text: str) -> list[str]:
    """The command lines of a shell block, comments dropped."""
    lines = (re.sub(r"\s+#.*$", "", ln).strip() for ln in text.splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def _readme_command_1(clone: Path) -> list[str]:
    """README command 1 as its three steps: make the venv, install, run."""
    text = (clone / "README.md").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("python3 -m venv"))
    steps = [s.strip() for s in line.split("&&")]
    assert len(steps) == 3 and steps[0] == "python3 -m venv .venv", steps
    assert steps[1].startswith(".venv/bin/pip install "), steps
    return steps


def _uv_pip_install(newcomer: Newcomer, pip_line: str) -> None:
    """``pip install ARGS`` as typed in a doc, run by uv with the same ARGS."""
    args = shlex.split(pip_line)
    assert args[:2] == ["pip", "install"] or args[0].endswith("/pip"), args
    args = args[2:]
    python = newcomer.bin / "python"
    subprocess.run(
        [UV, "pip", "install", "--python", str(python), *args],
        cwd=newcomer.clone,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture
def newcomer(tmp_path: Path) -> Newcomer:
    """A fresh clone and a new user's environment: nothing of this suite's."""
    assert UV, "uv is installed with the dev tools (scripts/test)"
    clone = tmp_path / "tcxkit"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    home = tmp_path / "home"
    suite_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != suite_bin)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TCX_", "XDG_", "PYTHON", "VIRTUAL_ENV", "UV_"))
    }
    env.update(HOME=str(home), PATH=path, COLUMNS="120", TCX_NO_KEYRING="1")
    for name in ("config", "data", "cache"):
        (home / f".{name}").mkdir(parents=True)
        env[f"XDG_{name.upper()}_HOME"] = str(home / f".{name}")
    return Newcomer(clone, env)


def _emulator_state(newcomer: Newcomer) -> dict[str, object]:
    state = Path(newcomer.env["XDG_DATA_HOME"]) / "tcxkit" / "emulator.json"
    return json.loads(state.read_text(encoding="utf-8"))


def test_first_hour(newcomer: Newcomer) -> None:
    _, install, run = _readme_command_1(newcomer.clone)  # the venv: `uv venv` (see the module doc)
    subprocess.run(
        [UV, "venv", "-q", "--python", sys.executable, ".venv"],
        cwd=newcomer.clone,
        env={**newcomer.env, "UV_PYTHON_DOWNLOADS": "never"},
        check=True,
        timeout=120,
    )
    _uv_pip_install(newcomer, install)
    pid = None
    try:
        first = newcomer.sh(run, env=newcomer.env)  # not activated yet
        assert sorted(p["Number"] for p in json.loads(first.stdout)) == ["100", "101"]
        assert "no PBX configured, using the built-in emulator" in first.stderr
        pid = _emulator_state(newcomer)["pid"]
        assert isinstance(pid, int) and _alive(pid)  # left running for the next commands
        stop = re.search(r"`([^`]*emulator stop)` stops it now", first.stderr)
        assert stop and stop[1] == ".venv/bin/3cx emulator stop", first.stderr  # as typed here

        _cli_walkthrough(newcomer)
        _state_walkthrough(newcomer)
        assert _emulator_state(newcomer)["pid"] == pid  # every command reused it
        _fleet_walkthrough(newcomer)
        _emulator_walkthrough(newcomer)
        _mcp_walkthrough(newcomer)
        imports = newcomer.blocks("docs/client.md")[0].text  # the page's first line
        newcomer.sh(f"python -c {shlex.quote(imports)}")

        stopped = newcomer.sh(stop[1], env=newcomer.env)
        assert f"stopped the background emulator (pid {pid}" in stopped.stderr
        assert not _alive(pid)
    finally:
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGTERM)


def _cli_walkthrough(newcomer: Newcomer) -> None:
    """docs/cli.md starts with finding actions: the first three lines of its first block
    (test_doc_blocks runs all of it)."""
    lines = _commands(newcomer.first_block("docs/cli.md"))[:3]
    assert lines[0] == "3cx actions", lines
    out = [newcomer.sh(line).stdout for line in lines]
    assert "peers retreive-peers-by-numbers" in out[0] and len(out[0].splitlines()) > 500


def _state_walkthrough(newcomer: Newcomer) -> None:
    """docs/state.md without a PBX: `-p acme` left out, as the page says; the editor
    closed unchanged, so the plan of what was just pulled is empty."""
    lines = _commands(newcomer.first_block("docs/state.md"))
    assert [ln.split()[:3] for ln in lines if ln.startswith("3cx")] == [
        ["3cx", "-p", "acme"]
    ] * 3, lines
    env = {**newcomer.activated(), "EDITOR": "true"}
    out = [newcomer.sh(ln.replace(" -p acme", ""), env=env) for ln in lines]
    assert "wrote acme.yaml" in out[0].stderr
    assert out[2].stdout == "No changes: the PBX matches the file.\n"


class Server:
    """A command that runs until stopped, started as a user would in a second terminal."""

    def __init__(self, line: str, newcomer: Newcomer, ready: str) -> None:
        self.proc = subprocess.Popen(
            ["bash", "-c", f"exec {line}"],
            cwd=newcomer.clone,
            env=newcomer.activated(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            self.ready = self._wait_for(re.compile(ready))
        except BaseException:
            self.stop()
            raise

    def _wait_for(self, ready: re.Pattern[str]) -> re.Match[str]:
        """Read its output until the line that says it serves (60 s at most)."""
        assert self.proc.stdout is not None
        self.seen: list[str] = []
        seen = self.seen
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 60
            while sel.select(timeout=max(0.0, deadline - time.monotonic())):
                seen.append(self.proc.stdout.readline())
                found = ready.search(seen[-1])
                if found:
                    return found
                if not seen[-1]:
                    break
        raise AssertionError(f"never said it serves: {''.join(seen)!r}")

    def stop(self, code: int = 0) -> str:
        """Ctrl-C, as its banner says: it ends at once with CODE and no traceback."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out = self.proc.communicate(timeout=60)[0] or ""
        assert self.proc.returncode == code and "Traceback" not in out, (self.proc.returncode, out)
        return out


def _fleet_walkthrough(newcomer: Newcomer) -> None:
    """docs/fleet.md: the fleet of five in a second terminal, then its next block, line by line."""
    start, then = [b.text for b in newcomer.blocks("docs/fleet.md") if b.lang == "sh"][:2]
    (line,) = _commands(start)
    fleet = Server(line, newcomer, r"emulating 5 PBXs .* Ctrl-C stops them")
    try:
        out = [newcomer.sh(ln) for ln in _commands(then)]
        assert "DELETE" in out[0].stdout + out[0].stderr  # the dry run shows the request
    finally:
        fleet.stop()


def _emulator_walkthrough(newcomer: Newcomer) -> None:
    """docs/emulator.md: the emulator on any free port (the page's --port 0 line), used by 3cx."""
    line = next(
        ln for ln in _commands(newcomer.first_block("docs/emulator.md")) if "--port 0" in ln
    )
    emulator = Server(line, newcomer, r"at (http://127\.0\.0\.1:\d+) \(client id '([^']+)'")
    try:
        env = {
            **newcomer.activated(),
            "TCX_URL": emulator.ready[1],
            "TCX_CLIENT_ID": emulator.ready[2],
            "TCX_CLIENT_SECRET": "emulator-secret",  # the default its banner names
        }
        users = newcomer.sh("3cx users list-user --select Number", env=env)
        assert json.loads(users.stdout) == []  # --data empty
    finally:
        emulator.stop()


def _mcp_walkthrough(newcomer: Newcomer) -> None:
    """docs/mcp.md: install the extra as its first line says, then the stdio server answers."""
    install, stdio = _commands(newcomer.first_block("docs/mcp.md"))[:2]
    assert install.startswith("pip install ") and stdio == "3cx mcp", (install, stdio)
    _uv_pip_install(newcomer, install)
    done = subprocess.run(
        ["bash", "-c", stdio],
        cwd=newcomer.clone,
        env=newcomer.activated(),
        input=json.dumps(INIT) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    answer = json.loads(done.stdout.splitlines()[0])
    assert answer["id"] == 1 and "tools" in answer["result"]["capabilities"], answer
    # The HTTP line on any free port (the page's 8765 is fixed), with the token it names.
    (http,) = [ln for ln in _commands(newcomer.first_block("docs/mcp.md")) if ln.endswith(" 8765")]
    server = Server(http.replace(" 8765", " 0"), newcomer, r"streamable HTTP at (http://\S+)")
    try:
        token_file = re.search(r"kept in (\S+\.token)", "".join(server.seen))
        assert token_file, server.seen  # a new user's first HTTP server makes the token
        token = Path(token_file[1]).read_text(encoding="utf-8").strip()
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
        reply = httpx.post(server.ready[1], json=INIT, headers=headers, timeout=60)
        assert reply.status_code == 200 and '"serverInfo"' in reply.text, reply.text
        assert httpx.post(server.ready[1], json=INIT, timeout=60).status_code == 401
    finally:
        server.stop(130)  # `3cx` exits 130 when interrupted (docs/cli.md)
