"""The built-in emulator as the default PBX: started on demand, then reused.

With no profile and no TCX_* variables every command talks to a local
emulator, so ``3cx`` works out of the box.  The first run starts it as a
background process on a free 127.0.0.1 port, with its database in the user
data directory (demo data on the first start), and records pid, URL and
credentials in a state file (mode 0600); later runs reuse it while it answers.
It stops by itself after ``idle_timeout`` seconds without a request (15 min
by default; ``TCX_EMULATOR_IDLE_TIMEOUT`` or ``idle_timeout`` under
``[emulator]`` in config.toml; 0 = never), and ``3cx emulator stop`` ends it
at once.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config.profiles import data_dir
from ..errors import ConfigurationError, TcxError
from ..private_files import open_private

__all__ = [
    "EmbeddedEmulator",
    "command_name",
    "describe",
    "ensure_running",
    "idle_text",
    "read_state",
    "running_state",
    "stop",
    "stops_text",
]

START_TIMEOUT = 30.0
CLIENT_ID = "tcxkit-emulator"
IDLE_TIMEOUT = 900.0  # seconds without a request before the background emulator stops


@dataclass
class EmbeddedEmulator:
    pid: int
    url: str
    port: int
    client_id: str
    client_secret: str
    db: str
    log: str
    idle_timeout: float = IDLE_TIMEOUT


def _state_path() -> Path:
    return data_dir() / "emulator.json"


def read_state() -> EmbeddedEmulator | None:
    path = _state_path()
    try:
        return EmbeddedEmulator(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write_state(state: EmbeddedEmulator) -> None:
    path = _state_path()
    with open_private(path, "w", what="embedded emulator state", encoding="utf-8") as fh:
        json.dump(asdict(state), fh)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lock():  # type: ignore[no-untyped-def]
    from filelock import FileLock

    directory = data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return FileLock(str(directory / "emulator.lock"), timeout=START_TIMEOUT + 10)


def running_state() -> EmbeddedEmulator | None:
    """The background emulator's state when it is up and answering, else None."""
    state = read_state()
    if state and _alive(state.pid) and _answers(state.port):
        return state
    return None


def idle_text(seconds: float) -> str:
    """``15 min`` / ``90 s`` / ``never`` for notices and status lines."""
    if seconds <= 0:
        return "never"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:g} s"


def stops_text(state: EmbeddedEmulator) -> str:
    """When it stops by itself, for the notice, ``emulator status`` and ``doctor``."""
    if state.idle_timeout <= 0:
        return "never stops by itself (idle timeout 0)"
    return f"stops after {idle_text(state.idle_timeout)} without requests"


def command_name() -> str:
    """``3cx`` as the user can type it: the path they ran when ``3cx`` is not on PATH.

    Right after ``pip install`` into a venv that is not activated (README command 1),
    ``3cx`` alone is "command not found"; notes that name a next command say
    ``.venv/bin/3cx emulator stop`` then.
    """
    import shutil

    ran = sys.argv[0] if sys.argv else ""
    if Path(ran).name != "3cx":
        return "3cx"  # python -m tcxkit.cli, or embedded in another program
    found = shutil.which("3cx")
    if found and Path(found).resolve() == Path(ran).resolve():
        return "3cx"
    return ran


def describe(state: EmbeddedEmulator) -> str:
    """One line for ``3cx emulator status`` and ``3cx doctor``."""
    return (
        f"{state.url} (pid {state.pid}, db {state.db}; {stops_text(state)}; "
        f"`{command_name()} emulator stop` ends it)"
    )


def idle_timeout() -> float:
    """Seconds: TCX_EMULATOR_IDLE_TIMEOUT > config.toml ``[emulator] idle_timeout`` > 900."""
    from ..config.profiles import _config_path, load_config

    raw: object = os.environ.get("TCX_EMULATOR_IDLE_TIMEOUT") or None
    where = "TCX_EMULATOR_IDLE_TIMEOUT"
    if raw is None:
        raw = load_config().emulator.get("idle_timeout")
        where = f"{_config_path()} [emulator] idle_timeout"
    if raw is None:
        return IDLE_TIMEOUT
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = -1.0
    if value < 0:
        raise ConfigurationError(
            f"{where}: {raw!r} is not a number of seconds >= 0.",
            hint="Example: 900 (15 min); 0 keeps the emulator running until `3cx emulator stop`.",
        )
    return value


def ensure_running() -> tuple[EmbeddedEmulator, bool]:
    """The running background emulator, started if needed; ``(state, started_now)``."""
    with _lock():
        state = running_state()
        if state is not None:
            return state, False
        return _start(read_state()), True


def _start(previous: EmbeddedEmulator | None) -> EmbeddedEmulator:
    directory = data_dir()
    db = directory / "emulator.db"
    log = directory / "emulator.log"
    secret = previous.client_secret if previous else secrets.token_urlsafe(24)
    port = _free_port()
    idle = idle_timeout()
    first = not db.exists()
    cmd = [
        sys.executable,
        "-m",
        "tcxkit",
        "emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(db),
        "--data",
        "demo" if first else "keep",
        "--client-id",
        CLIENT_ID,
        "--idle-timeout",
        f"{idle:g}",
    ]
    env = {**os.environ, "TCX_EMULATOR_SECRET": secret}
    for var in ("TCX_URL", "TCX_CLIENT_ID", "TCX_CLIENT_SECRET", "TCX_PROFILE"):
        env.pop(var, None)
    with open(log, "ab") as logfh:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=logfh,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise TcxError(
                f"The built-in emulator exited at start (status {proc.returncode}).",
                hint=f"See its log: {log}. Or connect a real PBX with `3cx login`.",
            )
        if _answers(port, 0.2):
            state = EmbeddedEmulator(
                pid=proc.pid,
                url=f"http://127.0.0.1:{port}",
                port=port,
                client_id=CLIENT_ID,
                client_secret=secret,
                db=str(db),
                log=str(log),
                idle_timeout=idle,
            )
            _write_state(state)
            return state
        time.sleep(0.05)
    proc.terminate()
    raise TcxError(
        f"The built-in emulator did not answer within {START_TIMEOUT:.0f} s.",
        hint=f"See its log: {log}.",
    )


def stop() -> EmbeddedEmulator | None:
    """Stop the background emulator recorded in the state file; None if none ran."""
    with _lock():
        state = read_state()
        if state is None:
            return None
        _state_path().unlink(missing_ok=True)
        if not _alive(state.pid):
            return None
        if not _is_our_emulator(state.pid):
            raise ConfigurationError(
                f"Process {state.pid} recorded as the emulator is something else now; "
                "not stopping it.",
                hint="The stale state file was removed.",
            )
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(state.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(state.pid):
            os.kill(state.pid, signal.SIGKILL)
        return state


def _is_our_emulator(pid: int) -> bool:
    """Guard against a recycled pid: the command line must be our emulator."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the state file
    return b"tcxkit" in cmdline and b"emulator" in cmdline
