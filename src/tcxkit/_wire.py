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
not). Header names and values are checked before anything is written (no CR, LF or NUL:
a token or a key from elsewhere cannot split a request), and the answer's head is
bounded (100 KiB, as httpcore bounds it).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpcore

from ._asyncnet import _mapped, _readable

__all__ = ["WireAnswer", "WirePool"]

#: The most an answer's status line and headers may take (httpcore's h11 limit).
MAX_HEAD = 100 * 1024
_READ_SIZE = 1 << 20
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00\r\n]")
_STATUS = re.compile(rb"HTTP/1\.([01]) (\d{3})(?: ([^\r\n]*))?\r?\n")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")


@dataclass(frozen=True)
class WireAnswer:
    """An answer read whole: what httpx's response would hold."""

    status: int
    reason: bytes
    http_version: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


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
        if self.writer.is_closing() or self.reader.at_eof():
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
                answer, keep = await _read_answer(conn.reader, method, timeouts.get("read"))
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
    if not _TOKEN.fullmatch(method) or not target or _BAD_VALUE.search(target) or b" " in target:
        raise httpcore.LocalProtocolError(f"Illegal request line: {method!r} {target!r}")
    lines = [method, b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise httpcore.LocalProtocolError(f"Illegal header name {name!r}")
        if _BAD_VALUE.search(value):  # the value itself is never repeated: it may be a token
            raise httpcore.LocalProtocolError(
                f"Illegal header value for {name.decode('ascii')}: CR, LF or NUL in it"
            )
        lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)


def _says_close(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        n.lower() == b"connection" and b"close" in v.lower().replace(b" ", b"").split(b",")
        for n, v in headers
    )


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


class _Reader:
    """An answer's bytes, each read under the read timeout counted from the last byte
    (httpcore's rule: a slow but moving answer is not cut off)."""

    def __init__(self, reader: asyncio.StreamReader, deadline: asyncio.Timeout, t: float | None):
        self.reader, self.deadline, self.timeout = reader, deadline, t

    def _moved(self) -> None:
        if self.timeout is not None:
            self.deadline.reschedule(asyncio.get_running_loop().time() + self.timeout)

    async def line(self, what: str) -> bytes:
        """A line; lines are short (the head is bounded), so one deadline covers the
        head, and every body read after it starts the clock again."""
        try:
            return await self.reader.readline()
        except ValueError as exc:  # longer than the stream's limit (MAX_HEAD)
            raise httpcore.RemoteProtocolError(f"The answer's {what} is too long.") from exc

    async def some(self, most: int) -> bytes:
        data = await self.reader.read(most)
        self._moved()
        return data


async def _read_answer(
    reader: asyncio.StreamReader, method: bytes, timeout: float | None
) -> tuple[WireAnswer, bool]:
    """The whole answer, and whether its connection may carry another request."""
    with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
        async with asyncio.timeout(timeout) as deadline:
            read = _Reader(reader, deadline, timeout)
            while True:
                minor, status, reason, headers = await _read_head(read)
                if not 100 <= status < 200 or status == 101:
                    break  # an interim answer (100 Continue, 103) is skipped, as httpcore does
            framing = _framing(method, status, headers)
            if framing == "none":
                body = b""
            elif framing == "chunked":
                body = await _read_chunked(read)
            elif isinstance(framing, int):
                body = await _read_exactly(read, framing)
            else:
                body = await _read_to_close(read)
    keep = minor == b"1" and status != 101 and framing != "close" and not _says_close(headers)
    version = b"HTTP/1." + minor
    return WireAnswer(status, reason, version, headers, body), keep


async def _read_head(read: _Reader) -> tuple[bytes, int, bytes, list[tuple[bytes, bytes]]]:
    first = await read.line("status line")
    if not first:
        raise httpcore.RemoteProtocolError("Server disconnected without sending a response.")
    found = _STATUS.fullmatch(first)
    if found is None:
        raise httpcore.RemoteProtocolError(f"Illegal status line: {first[:80]!r}")
    headers: list[tuple[bytes, bytes]] = []
    size = len(first)
    while True:
        line = await read.line("header block")
        size += len(line)
        if size > MAX_HEAD:
            raise httpcore.RemoteProtocolError("The answer's header block is too long.")
        if not line.endswith(b"\n"):
            raise httpcore.RemoteProtocolError(
                "peer closed connection without sending complete message headers"
            )
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding: one value
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
            continue
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise httpcore.RemoteProtocolError(f"Illegal header line: {line[:80]!r}")
        headers.append((name, value.strip()))
    return found[1], int(found[2]), found[3] or b"", headers


def _framing(method: bytes, status: int, headers: list[tuple[bytes, bytes]]) -> Any:
    """How the body is delimited: "none", "chunked", a length, or "close"."""
    if method == b"HEAD" or status in (204, 304) or 100 <= status < 200:
        return "none"
    coding = [v for n, v in headers if n.lower() == b"transfer-encoding"]
    if coding:
        if b",".join(coding).lower().replace(b" ", b"") != b"chunked":
            raise httpcore.RemoteProtocolError("Only Transfer-Encoding: chunked is supported")
        return "chunked"
    lengths = {v for n, v in headers if n.lower() == b"content-length"}
    if not lengths:
        return "close"
    if len(lengths) > 1 or not all(v.isdigit() and len(v) < 19 for v in lengths):
        raise httpcore.RemoteProtocolError("bad Content-Length")
    return int(next(iter(lengths)))


def _cut_short(got: int, wanted: int | None) -> httpcore.RemoteProtocolError:
    """The close before the body's end, in h11's words (httpcore's errors say them)."""
    said = (
        f"received {got} bytes, expected {wanted}"
        if wanted is not None
        else ("incomplete chunked read")
    )
    return httpcore.RemoteProtocolError(
        f"peer closed connection without sending complete message body ({said})"
    )


async def _read_exactly(read: _Reader, length: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < length:
        data = await read.some(min(length - got, _READ_SIZE))
        if not data:
            raise _cut_short(got, length)
        parts.append(data)
        got += len(data)
    return b"".join(parts)


async def _read_chunked(read: _Reader) -> bytes:
    parts: list[bytes] = []
    got = 0
    while True:
        line = await read.line("chunk header")
        found = _CHUNK_SIZE.fullmatch(line)
        if found is None:
            if not line.endswith(b"\n"):
                raise _cut_short(got, None)
            raise httpcore.RemoteProtocolError(f"Illegal chunk header: {line[:80]!r}")
        size = int(found[1], 16)
        if size == 0:
            break
        parts.append(await _read_exactly(read, size))
        got += size
        if (await read.line("chunk end")) not in (b"\r\n", b"\n"):
            raise httpcore.RemoteProtocolError("A chunk did not end where its size said.")
    trailers = 0
    while (line := await read.line("trailer")) not in (b"\r\n", b"\n"):
        trailers += len(line)
        if not line.endswith(b"\n") or trailers > MAX_HEAD:
            raise httpcore.RemoteProtocolError("Illegal or cut-short trailers.")
    return b"".join(parts)


async def _read_to_close(read: _Reader) -> bytes:
    parts: list[bytes] = []
    while data := await read.some(_READ_SIZE):
        parts.append(data)
    return b"".join(parts)
