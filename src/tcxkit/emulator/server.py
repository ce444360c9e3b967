"""Serve the emulator: blocking (:func:`run`) or in a background thread (:func:`running`).

``running()`` binds the socket itself (port 0 picks a free one), starts
uvicorn in a daemon thread and waits on an event set when uvicorn has
finished start-up, so callers never sleep or poll.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .config import EmulatorConfig

__all__ = ["RunningEmulator", "run", "running"]


@dataclass
class RunningEmulator:
    """A live emulator: where it listens, which credentials work, and its state."""

    url: str
    config: EmulatorConfig
    app: Any
    state: Any

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        return self.config.client_secret

    @property
    def control_auth(self) -> tuple[str, str]:
        """HTTP Basic credentials for the ``/emulator/*`` control endpoints
        (``httpx.get(url, auth=emu.control_auth)``)."""
        return (self.config.client_id, self.config.client_secret)

    @property
    def api_url(self) -> str:
        return self.url + "/xapi/v1"

    @property
    def store(self) -> Any:
        return self.state.store

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log (newest last), as ``GET /emulator/requests`` returns it."""
        return list(self.state.requests)

    def clear_requests(self) -> None:
        self.state.requests.clear()

    def expire_tokens(self) -> int:
        """Make every issued token expire now (the next API call gets 401)."""
        return self.state.tokens.expire_all()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        from ..errors import ConfigurationError

        raise ConfigurationError(
            f"The emulator cannot listen on {host}:{port}: {exc.strerror or exc}.",
            hint="Choose another port (--port), or 0 for any free one.",
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


#: Seconds an idle keep-alive connection stays open: nginx's default ``keepalive_timeout``,
#: which a PBX sits behind.  uvicorn's own default (5 s) is shorter than the idle pools of
#: common clients, which then race the server closing a connection they are reusing.
KEEP_ALIVE = 75


def _uvicorn_config(app: Any, **kwargs: Any) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE,
        **kwargs,
    )


def _publish(app: Any, config: EmulatorConfig, url: str) -> None:
    """Use the bound address in ``@odata.context`` unless a public URL was configured."""
    if not config.public_url:
        app.state.emulator.public_url = url


def _server(app: Any, **kwargs: Any) -> Any:
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn with a start-up event and no signal handlers (it runs in a thread)."""

        ready = threading.Event()

        def install_signal_handlers(self) -> None:  # uvicorn < 0.29
            return None

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            self.ready.set()

    server = _Server(_uvicorn_config(app, **kwargs))
    server.ready = threading.Event()
    return server


@contextmanager
def running(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    registry: Any = None,
) -> Iterator[RunningEmulator]:
    """Run an emulator in a background thread for the duration of the block.

    ``registry`` replaces the domain handlers (``Registry()`` = generic behaviour only).
    """
    from .app import create_app

    config = config or EmulatorConfig()
    app = create_app(config, reg=registry)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    server = _server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="tcxkit-emulator", daemon=True
    )
    thread.start()
    try:
        while not server.ready.wait(0.05):
            if not thread.is_alive():
                raise RuntimeError("The emulator server thread stopped during start-up.")
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound_port}"
        _publish(app, config, url)
        yield RunningEmulator(url, config, app, app.state.emulator)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.emulator.store.close()


def run(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 5001,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve an emulator in the foreground until interrupted (Ctrl-C).

    ``on_ready(url)`` is called once the socket is bound (useful with port 0).
    """
    import uvicorn

    from .app import create_app

    config = config or EmulatorConfig()
    app = create_app(config)
    sock = _bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    _publish(app, config, url)
    if on_ready is not None:
        on_ready(url)
    try:
        uvicorn.Server(_uvicorn_config(app)).run(sockets=[sock])
    finally:
        sock.close()
