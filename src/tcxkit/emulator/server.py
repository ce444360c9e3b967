"""Serve the emulator: blocking (:func:`run`) or in a background thread (:func:`running`).

``running()`` binds the socket itself (port 0 picks a free one), starts
uvicorn in a daemon thread and waits on an event set when uvicorn has
finished start-up, so callers never sleep or poll.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..urls import is_loopback
from .config import EmulatorConfig
from .limits import EdgeLimits

__all__ = [
    "PortDispatch",
    "RunningEmulator",
    "check_exposure",
    "run",
    "run_many",
    "running",
    "running_many",
]


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


def _uvicorn_config(app: Any, limits: EdgeLimits | None = None, **kwargs: Any) -> Any:
    """uvicorn on its h11 protocol with nginx's limits (:mod:`.edge`); never httptools,
    which ``uvicorn[standard]`` would pick and which bounds no header."""
    import uvicorn

    from .edge import edge_protocol

    limits = limits or EdgeLimits()
    return uvicorn.Config(
        _Quiet(app),
        log_level="warning",
        access_log=False,
        lifespan="off",
        http=edge_protocol(limits),
        timeout_keep_alive=limits.keep_alive,
        **kwargs,
    )


class _Quiet:
    """ASGI wrapper: a client gone while its body was read is no error of the server's.

    Starlette raises ``ClientDisconnect`` from ``request.stream()`` when the client
    leaves (or the body timeout of :mod:`.edge` gives up on it); nothing is left to
    answer, so it ends the request instead of reaching uvicorn's error log.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.requests import ClientDisconnect

        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            return


def _publish(app: Any, config: EmulatorConfig, url: str) -> None:
    """Use the bound address in ``@odata.context`` unless a public URL was configured."""
    if not config.public_url:
        app.state.emulator.public_url = url


def _server(app: Any, listeners: list[Any], limits: EdgeLimits | None = None, **kw: Any) -> Any:
    import uvicorn

    from .listeners import serving

    class _Server(uvicorn.Server):
        """uvicorn with a start-up event and no signal handlers (it runs in a thread)."""

        ready = threading.Event()

        def install_signal_handlers(self) -> None:  # uvicorn < 0.29
            return None

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            serving(self, listeners)
            self.ready.set()

    server = _Server(_uvicorn_config(app, limits, **kw))
    server.ready = threading.Event()
    return server


class PortDispatch:
    """One ASGI app for several emulated PBXs: each connection goes to the instance behind
    the port it came in on (``scope["server"]``), so N PBXs share one event loop."""

    def __init__(self, apps: dict[int, Any]) -> None:
        self.apps = apps

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        port: int = (scope.get("server") or (None, 0))[1]
        app = self.apps.get(port)
        if app is None:  # cannot happen for a socket we bound; answer rather than hang
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no emulated PBX here"})
            return
        await app(scope, receive, send)


def check_exposure(configs: list[EmulatorConfig], host: str) -> str | None:
    """Refuse to listen off loopback with the documented default secret; else the
    warning to show when listening off loopback (the emulator speaks plain HTTP).

    Called before anything is bound, so a refused start never opens a socket.
    """
    if is_loopback(host):
        return None
    from .config import DEFAULT_SECRET, SECRET_ENV

    if any(c.client_secret == DEFAULT_SECRET for c in configs):
        from ..errors import ConfigurationError

        raise ConfigurationError(
            f"The emulator will not listen on {host} with the default API key "
            f"({DEFAULT_SECRET!r} is documented, so anyone who can reach it has full access).",
            hint=f"Set a key of your own: export {SECRET_ENV}=... or --client-secret-file "
            "PATH, or listen on 127.0.0.1.",
        )
    return (
        f"warning: the emulator listens on {host} over plain HTTP: the API key and the "
        "tokens cross the network unencrypted. Put it behind a TLS proxy, or keep it on "
        "127.0.0.1."
    )


def _url(host: str, sock: socket.socket) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{sock.getsockname()[1]}"


def _bind_all(host: str, port: int, n: int) -> list[socket.socket]:
    """``n`` listening sockets: ports ``port .. port+n-1``, or any free ones for port 0."""
    socks: list[socket.socket] = []
    try:
        for i in range(n):
            socks.append(_bind(host, port + i if port else 0))
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def _listeners(apps: list[Any], socks: list[socket.socket]) -> list[Any]:
    """One :class:`~.listeners.Listener` per PBX, kept in its state (an update takes its
    port away and gives it back)."""
    from .listeners import Listener

    found = [Listener(sock) for sock in socks]
    for app, listener in zip(apps, found, strict=True):
        app.state.emulator.extra["listener"] = listener
    return found


def _asgi(apps: list[Any], socks: list[socket.socket]) -> Any:
    if len(apps) == 1:
        return apps[0]
    return PortDispatch({s.getsockname()[1]: a for s, a in zip(socks, apps, strict=True)})


def _close(socks: list[socket.socket], apps: list[Any]) -> None:
    """Close the sockets bound, and any an update bound again, then the stores."""
    from .listeners import listener_of

    for sock in socks:
        sock.close()
    for app in apps:
        listener = listener_of(app.state.emulator)
        if listener is not None:
            listener.close()
        app.state.emulator.store.close()


def _build(configs: list[EmulatorConfig], registry: Any = None) -> list[Any]:
    """One app per config; on failure the stores already opened are closed again."""
    from .app import create_app

    apps: list[Any] = []
    try:
        for config in configs:
            apps.append(create_app(config, reg=registry))
    except BaseException:
        for app in apps:
            app.state.emulator.store.close()
        raise
    return apps


@contextmanager
def running_many(
    configs: list[EmulatorConfig],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    registry: Any = None,
) -> Iterator[list[RunningEmulator]]:
    """Run several independent emulated PBXs (own data, credentials, port) on one server
    thread and event loop, for the duration of the block."""
    check_exposure(configs, host)
    apps = _build(configs, registry)
    socks: list[socket.socket] = []
    try:
        socks = _bind_all(host, port, len(apps))
        server = _server(_asgi(apps, socks), _listeners(apps, socks), configs[0].edge)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": socks}, name="tcxkit-emulator", daemon=True
        )
        thread.start()
        try:
            while not server.ready.wait(0.05):
                if not thread.is_alive():
                    raise RuntimeError("The emulator server thread stopped during start-up.")
            found = []
            for app, config, sock in zip(apps, configs, socks, strict=True):
                _publish(app, config, _url(host, sock))
                state = app.state.emulator  # its config is the app's own copy
                found.append(RunningEmulator(_url(host, sock), state.config, app, state))
            yield found
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        _close(socks, apps)


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
    with running_many([config or EmulatorConfig()], host, port, registry=registry) as found:
        yield found[0]


def _foreground_server(
    config: Any, on_started: Callable[[], None] | None, listeners: list[Any]
) -> Any:
    """uvicorn's server that says when it serves: after its start-up, when its signal
    handlers are installed. Announcing earlier (just after binding) left a window in
    which a Ctrl-C reached the process before uvicorn could handle it, and the server
    then never stopped."""
    import uvicorn

    from .listeners import serving

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            serving(self, listeners)
            if on_started is not None and not self.should_exit:
                on_started()

    return Server(config)


class _IdleWatch:
    """ASGI wrapper that notes the last request, and a watchdog that stops the server.

    The CLI's background emulator must not outlive its use by hours; a
    request in flight counts as activity until it ends. The clock starts at the
    first request: the command that started the emulator is still on its way
    (importing, reading its settings) and must find it running, however short the
    idle time and however slow the machine. Unused, it stops after
    ``max(idle, FIRST_REQUEST_GRACE)``.
    """

    FIRST_REQUEST_GRACE = 60.0

    def __init__(self, app: Any, idle: float) -> None:
        self.app = app
        self.idle = idle
        self.last = time.monotonic() + max(idle, self.FIRST_REQUEST_GRACE) - idle
        self.active = 0
        self.stopped_idle = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.active += 1
        self.last = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
            self.last = time.monotonic()

    def watch(self, server: Any, done: threading.Event) -> None:
        while True:
            left = self.last + self.idle - time.monotonic()
            if left <= 0 and not self.active:
                self.stopped_idle = True
                server.should_exit = True
                return
            # Wake at least every ``idle`` seconds: a request may have moved ``last``
            # (it only moves forward), so the deadline is worked out again.
            if done.wait(min(max(left, 0.05), self.idle)):
                return


def run(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 5001,
    *,
    on_ready: Callable[[str], None] | None = None,
    idle_timeout: float | None = None,
) -> bool:
    """Serve an emulator in the foreground until interrupted (Ctrl-C).

    ``on_ready(url)`` is called once the server serves (useful with port 0): its
    Ctrl-C handling is in place by then, so a caller may stop it as soon as it hears.
    With ``idle_timeout`` (seconds) it also stops after that long without a
    request; returns True when it stopped for that reason.
    """
    ready = None if on_ready is None else (lambda urls: on_ready(urls[0]))
    return run_many(
        [config or EmulatorConfig()], host, port, on_ready=ready, idle_timeout=idle_timeout
    )


def run_many(
    configs: list[EmulatorConfig],
    host: str = "127.0.0.1",
    port: int = 5001,
    *,
    on_ready: Callable[[list[str]], None] | None = None,
    idle_timeout: float | None = None,
) -> bool:
    """Serve one or more emulated PBXs in the foreground (ports ``port``, ``port+1``...)."""
    warning = check_exposure(configs, host)  # before anything is built or bound
    if warning:
        print(warning, file=sys.stderr, flush=True)
    apps = _build(configs)
    socks: list[socket.socket] = []
    try:
        socks = _bind_all(host, port, len(apps))
        urls = [_url(host, sock) for sock in socks]
        for app, config, url in zip(apps, configs, urls, strict=True):
            _publish(app, config, url)
        asgi = _asgi(apps, socks)
        watch = _IdleWatch(asgi, idle_timeout) if idle_timeout else None
        server = _foreground_server(
            _uvicorn_config(watch or asgi, configs[0].edge),
            on_started=None if on_ready is None else (lambda: on_ready(urls)),
            listeners=_listeners(apps, socks),
        )
        done = threading.Event()
        if watch is not None:
            threading.Thread(
                target=watch.watch, args=(server, done), name="tcxkit-idle", daemon=True
            ).start()
        try:
            server.run(sockets=socks)
        finally:
            done.set()
    finally:
        _close(socks, apps)
    return bool(watch and watch.stopped_idle)
