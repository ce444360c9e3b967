"""One emulated PBX's listening port, which an update takes away and gives back.

A real PBX installing an update restarts its services: while they are down nothing
listens on its port, so a client's connection is *refused* (``ECONNREFUSED``), not
answered.  :class:`Listener` does that for one port of the emulator's server:
:meth:`Listener.stop` closes the listening socket (and the idle connections on that
port; one with a request under way closes after its answer), and :meth:`Listener.start`
binds the same port again (``SO_REUSEADDR``, so connections of the old listener still in
``TIME_WAIT`` do not stand in the way) and serves it on the same event loop.  With
``--instances N`` every PBX has its own listener, so only the updated one goes away.

:meth:`Listener.start` binds and listens before it returns, whatever thread calls it: a
connection made right after is queued by the kernel and served once the loop takes the
socket over, so a test that moves the clock and then connects needs no wait.  A port
taken by another process meanwhile is said in the log and reported (``False``); the
caller tries again later (:mod:`.updates` does, on the PBX's clock) and the other
PBXs are not touched.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import threading
from typing import Any

__all__ = ["Listener", "listener_of", "serving"]

_log = logging.getLogger("tcxkit.emulator")
#: Connections the kernel queues for a listener not yet accepting (as :func:`.server._bind`).
BACKLOG = 2048


class Listener:
    """The listening socket of one emulated PBX on the emulator's uvicorn server."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.host, self.port = sock.getsockname()[:2]
        self.family = sock.family
        self.listening = True
        self._lock = threading.Lock()
        self._server: Any = None  # the uvicorn server, once it serves
        self._aserver: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def serve(self, server: Any, aserver: asyncio.AbstractServer) -> None:
        """Called on the loop once uvicorn serves ``aserver`` on this socket."""
        self._server, self._aserver = server, aserver
        self._loop = asyncio.get_running_loop()

    # -- away -----------------------------------------------------------------------
    def stop(self) -> None:
        """Stop listening (from any thread; done on the loop before it answers anything
        else): new connections are refused, open ones close once idle."""
        with self._lock:
            if not self.listening or self._loop is None:
                return
            self.listening = False
        if _on(self._loop):
            self._stop()
        else:
            self._loop.call_soon_threadsafe(self._stop)

    def _stop(self) -> None:
        if self._aserver is not None:
            self._aserver.close()  # closes the listening socket: the port refuses
        for conn in list(self._server.server_state.connections):
            if (getattr(conn, "server", None) or ("", 0))[1] == self.port:
                conn.shutdown()  # idle: closed now; busy: after its answer

    # -- back -----------------------------------------------------------------------
    def start(self) -> bool:
        """Listen on the port again (from any thread); False, said in the log, when it
        cannot (the port was taken meanwhile, or the server has stopped)."""
        with self._lock:
            if self.listening:
                return True
            try:
                sock = self._bind()
            except OSError as exc:
                _log.warning(
                    "The emulated PBX on port %s cannot listen again after its update: %s "
                    "(another process took the port?). It stays away and tries again.",
                    self.port, exc.strerror or exc,
                )  # fmt: skip
                return False
            try:
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._adopt, sock)
            except (AssertionError, RuntimeError):  # the server has stopped meanwhile
                sock.close()
                _log.warning("The emulator has stopped; port %s stays closed.", self.port)
                return False
            self.sock, self.listening = sock, True
            return True

    def _bind(self) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(BACKLOG)
        except OSError:
            sock.close()
            raise
        return sock

    def _adopt(self, sock: socket.socket) -> None:
        """On the loop: serve ``sock`` (kept, so the task is not collected half-way)."""
        self._task = asyncio.get_running_loop().create_task(self._serve(sock))

    async def _serve(self, sock: socket.socket) -> None:
        server = self._server
        factory = functools.partial(
            server.config.http_protocol_class,
            config=server.config,
            server_state=server.server_state,
            app_state=server.lifespan.state,
        )
        try:
            aserver = await asyncio.get_running_loop().create_server(factory, sock=sock)
        except OSError as exc:  # not expected of a bound socket; said, never raised
            _log.warning("Port %s cannot be served again: %s", self.port, exc)
            return
        old, self._aserver = self._aserver, aserver
        # uvicorn closes the servers in this list when it shuts down.
        server.servers[:] = [aserver if s is old else s for s in server.servers]

    def close(self) -> None:
        """The server has ended: close whatever socket is left."""
        self.sock.close()


def _on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def listener_of(state: Any) -> Listener | None:
    """The listener of the PBX whose state this is (None when no server of ours serves
    it, e.g. an app driven in-process)."""
    found = state.extra.get("listener")
    return found if isinstance(found, Listener) else None


def serving(server: Any, listeners: list[Listener]) -> None:
    """After uvicorn's start-up on the listeners' sockets (in their order): tell each
    which asyncio server serves it."""
    for listener, aserver in zip(listeners, server.servers, strict=True):
        listener.serve(server, aserver)
