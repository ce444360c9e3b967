"""httpcore's network I/O on asyncio's own streams, for :class:`~tcxkit.AsyncClient`.

httpcore reaches the network through anyio, which wraps every read and write in a
cancel scope (``fail_after``), asks which event loop runs on each call and rebuilds a
socket's attributes whenever the pool asks whether an idle connection is still usable.
On a fleet run that is a quarter of the client's CPU per request (docs/benchmarks.md,
fleet).  Under asyncio the same work is a stream read or write under
``asyncio.timeout``; under any other loop (trio, through anyio) httpcore's own
backend is used, so nothing changes there.

Errors are httpcore's, raised from the original exception as anyio's backend does,
so httpx maps them to the same ``httpx`` errors and the cause chain (an
``ssl.SSLError`` saying the server spoke plain HTTP) is still there to read.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

__all__ = ["AsyncioBackend"]


@contextmanager
def _mapped(timeout_error: type[Exception], other: type[Exception]) -> Iterator[None]:
    try:
        yield
    except TimeoutError as exc:
        raise timeout_error(exc) from exc
    except (OSError, EOFError, ssl.SSLError) as exc:
        raise other(exc) from exc


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
                async with asyncio.timeout(timeout):
                    await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except BaseException:
            self._writer.close()
            raise
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of every idle connection the pool might reuse
            return self._reader.at_eof() or _readable(self._socket())
        if info == "socket":
            return self._socket()
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        return None

    def _socket(self) -> Any:
        return self._writer.get_extra_info("socket")


def _readable(sock: Any) -> bool:
    """Whether a read would not block (data, or the peer's close): an idle connection
    that is readable is not reused.  A socket already gone counts as readable."""
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


def _on_asyncio() -> bool:
    import sniffio

    try:
        return sniffio.current_async_library() == "asyncio"
    except sniffio.AsyncLibraryNotFoundError:
        return False


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """asyncio streams under asyncio; httpcore's own backend under any other loop."""

    def __init__(self) -> None:
        self._other = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if not _on_asyncio():
            return await self._other.connect_tcp(host, port, timeout, local_address, socket_options)
        local = (local_address, 0) if local_address else None
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, local_addr=local)
        return _configured(_Stream(reader, writer), socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if not _on_asyncio():
            return await self._other.connect_unix_socket(path, timeout, socket_options)
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        return _configured(_Stream(reader, writer), socket_options)

    async def sleep(self, seconds: float) -> None:
        if not _on_asyncio():
            return await self._other.sleep(seconds)
        await asyncio.sleep(seconds)


def _configured(stream: _Stream, options: Iterable[Any] | None) -> _Stream:
    """Set the caller's socket options (asyncio's TCP sockets already have TCP_NODELAY)."""
    sock = stream.get_extra_info("socket")
    for option in options or ():
        sock.setsockopt(*option)
    return stream


def use_asyncio_streams(transport: Any) -> None:
    """Give httpx's default async transport this backend (a transport of the caller's,
    or an httpx whose transport is built otherwise, is left as it is)."""
    pool = getattr(transport, "_pool", None)
    if type(pool) is httpcore.AsyncConnectionPool and hasattr(pool, "_network_backend"):
        pool._network_backend = AsyncioBackend()
