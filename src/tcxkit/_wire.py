"""HTTP/1.1 on asyncio streams for :class:`~tcxkit.AsyncClient`'s whole requests.

Why it exists: a fleet run sends thousands of small requests, and httpcore's pool
spends about 0.3 ms of CPU on each (its per-request state machines, h11's event
objects, the pool's assignment loop over every connection) -- more than half of a
``state plan``'s client CPU per PBX (docs/benchmarks.md, issue #20, fourth pass).
This module sends the same bytes and reads the same answer with a fraction of that.

What it covers, and nothing more: HTTP/1.1 (and HTTP/1.0 answers), a request whose body
is in memory, an answer read whole (``Content-Length``, ``chunked`` or up to the close),
keep-alive connections per origin, and the limits and timeouts httpx was given (the
number of connections, of idle ones and how long they stay idle; connect, read, write
and pool timeouts, the read timeout counted from the last byte as httpcore counts it).
Anything else -- HTTP/2, a proxy, a Unix socket, a local address, socket options, connect
retries, another event loop than asyncio, streamed downloads -- stays with httpcore
(:meth:`WirePool.for_pool` says no, and ``LeanAsyncClient.send_whole`` falls back).

Errors are httpcore's exception classes with httpcore's wording where it has one, so
httpx's own table maps them to the same ``httpx`` errors, and tcxkit decides as before
whether a request may have left the machine (only connect and pool failures say it did
not). Header names and values are checked before anything is written, as h11 checks
them (no CR, LF, NUL, VT or FF, no blank at either end: a token or a key from elsewhere
cannot split a request).  The answer is read by :mod:`tcxkit._wire_read` to h11's grammar
with its head bounded (100 KiB, as httpcore bounds it); that module lists where it
deliberately differs.  A connection is kept only when its answer was read whole, framed
by its length or chunks, with nothing after it, and neither side said ``close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import sys
import time
from typing import Any

import httpcore

from ._asyncnet import _mapped, _readable
from ._wire_read import MAX_HEAD, WireAnswer, comma_values, left_over, read_answer

__all__ = ["MAX_HEAD", "WireAnswer", "WirePool"]

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
#: A header value h11 would send: no NUL, CR, LF, VT or FF, no blanks at either end.
_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")


class _Conn:
    """One connection: its streams, and when it became idle."""

    __slots__ = ("idle_since", "origin", "reader", "writer")

    def __init__(
        self, origin: tuple[bytes, str, int], reader: asyncio.StreamReader, w: Any
    ) -> None:
        self.origin = origin
        self.reader = reader
        self.writer = w
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float | None) -> bool:
        """Whether an idle connection may carry another request: not expired, not closed
        or closing by either side, nothing unasked-for waiting to be read."""
        if expiry is not None and now - self.idle_since > expiry:
            return False
        if self.writer.is_closing() or self.reader.at_eof() or left_over(self.reader):
            return False
        return not _readable(self.writer.get_extra_info("socket"))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # its event loop is gone: nothing to tell
            self.writer.close()


class WirePool:
    """Keep-alive HTTP/1.1 connections of one client, by origin (see the module doc)."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None,
        max_connections: int,
        max_keepalive: int,
        keepalive_expiry: float | None,
    ) -> None:
        self._ssl = ssl_context
        self._max = max_connections
        self._max_idle = min(max_keepalive, max_connections)
        self._expiry = keepalive_expiry
        self._idle: dict[tuple[bytes, str, int], list[_Conn]] = {}
        self._idle_count = 0
        self._active = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def for_pool(cls, pool: Any) -> WirePool | None:
        """A wire pool with the settings of httpcore's ``pool``, or None when that pool
        was asked for something only httpcore does (see the module doc)."""
        if type(pool) is not httpcore.AsyncConnectionPool:
            return None
        wants = getattr(pool, "__dict__", {})
        plain = (
            wants.get("_proxy") is None
            and wants.get("_http1", False) is True
            and wants.get("_http2", True) is False
            and wants.get("_retries", 1) == 0
            and wants.get("_local_address", 1) is None
            and wants.get("_uds", 1) is None
            and not wants.get("_socket_options", 1)
        )
        if not plain or "_max_connections" not in wants:
            return None
        return cls(
            ssl_context=wants.get("_ssl_context"),
            max_connections=wants["_max_connections"],
            max_keepalive=wants.get("_max_keepalive_connections", sys.maxsize),
            keepalive_expiry=wants.get("_keepalive_expiry"),
        )

    async def request(
        self,
        method: bytes,
        origin: tuple[bytes, str, int],
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> WireAnswer:
        """Send one request and read its whole answer (httpcore's exceptions on failure)."""
        head = _request_head(method, target, headers)
        await self._take_slot(timeouts.get("pool"))
        try:
            conn = self._idle_conn(origin) or await self._connect(origin, timeouts.get("connect"))
            try:
                unsent = await _send_request(conn, head, body, timeouts)
                answer, keep = await read_answer(conn.reader, method, timeouts.get("read"))
            except BaseException:
                conn.close()
                raise
            self._put_back(conn, keep and unsent is None and not _says_close(headers))
            return answer
        finally:
            self._active -= 1
            assert self._slots is not None
            self._slots.release()

    async def _take_slot(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first use, or a new event loop: start afresh
            self._drop_idle()
            self._loop, self._slots = loop, asyncio.Semaphore(min(self._max, 2**31))
        assert self._slots is not None
        if self._slots.locked():
            try:
                async with asyncio.timeout(timeout):
                    await self._slots.acquire()
            except TimeoutError as exc:
                raise httpcore.PoolTimeout(exc) from exc
        else:
            await self._slots.acquire()
        self._active += 1

    def _idle_conn(self, origin: tuple[bytes, str, int]) -> _Conn | None:
        """The most recently used idle connection to ``origin`` still usable (stale ones
        closed on the way), making room under the connection limit otherwise."""
        stack = self._idle.get(origin)
        now = time.monotonic()
        while stack:
            conn = stack.pop()
            self._idle_count -= 1
            if conn.usable(now, self._expiry):
                return conn
            conn.close()
        while self._idle_count and self._idle_count + self._active > self._max:
            self._close_oldest_idle()
        return None

    def _close_oldest_idle(self) -> None:
        oldest = min((s for s in self._idle.values() if s), key=lambda s: s[0].idle_since)
        oldest.pop(0).close()
        self._idle_count -= 1

    async def _connect(self, origin: tuple[bytes, str, int], timeout: float | None) -> _Conn:
        scheme, host, port = origin
        tls: dict[str, Any] = {}
        if scheme == b"https":
            tls = {"ssl": self._ssl or httpcore.default_ssl_context(), "server_hostname": host}
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEAD, **tls)
        return _Conn(origin, reader, writer)

    def _put_back(self, conn: _Conn, keep: bool) -> None:
        if not keep or self._idle_count >= self._max_idle or conn.writer.is_closing():
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.setdefault(conn.origin, []).append(conn)
        self._idle_count += 1

    def _drop_idle(self) -> None:
        for stack in self._idle.values():
            for conn in stack:
                conn.close()
        self._idle.clear()
        self._idle_count = 0

    async def aclose(self) -> None:
        """Close every idle connection (those in use close when their request ends)."""
        self._drop_idle()


def _request_head(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The request line and headers, refusing what would split or bend the request."""
    if not _TOKEN.fullmatch(method) or not _TARGET.fullmatch(target):
        raise httpcore.LocalProtocolError(f"Illegal request line: {method!r} {target!r}")
    lines = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise httpcore.LocalProtocolError(f"Illegal header name {name!r}")
        if not _VALUE.fullmatch(value):  # the value is never repeated: it may be a token
            raise httpcore.LocalProtocolError(
                f"Illegal header value for {name.decode('ascii')}: a control character"
                " in it or a blank at either end"
            )
        lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)


def _says_close(headers: list[tuple[bytes, bytes]]) -> bool:
    return b"close" in comma_values(headers, b"connection")


async def _send_request(
    conn: _Conn, head: bytes, body: bytes, timeouts: dict[str, float | None]
) -> httpcore.WriteError | None:
    """Write the request.  A write that fails is returned, not raised: a server may
    answer before it has read the whole request (413, say) and hang up, and that answer
    is the one to show; when there is none, reading says so (httpcore does the same)."""
    try:
        if len(body) < 65536:  # one write; a big body is not copied onto the head
            await _write(conn, head + body, timeouts)
        else:
            await _write(conn, head, timeouts)
            await _write(conn, body, timeouts)
    except httpcore.WriteError as exc:
        return exc
    return None


async def _write(conn: _Conn, data: bytes, timeouts: dict[str, float | None]) -> None:
    with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
        conn.writer.write(data)
        async with asyncio.timeout(timeouts.get("write")):
            await conn.writer.drain()
