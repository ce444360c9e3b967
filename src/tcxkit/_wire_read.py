"""Reading one HTTP/1.1 answer from an asyncio stream, as h11 reads it (for tcxkit._wire).

The grammar is h11's (the parser behind httpcore, which the wire replaces): what h11
accepts is read to the same status, reason, version, headers and body, and what it
refuses is refused, as ``httpcore.RemoteProtocolError``; a cut-short answer is worded as
httpcore words it.  ``tests/client/test_wire_fuzz.py`` holds the two to that on
generated and corrupted answers.  In short (RFC 9112): lines end in CRLF or a bare LF
(one CR before the LF is dropped, no other); header values hold no NUL, CR, LF, VT or FF
and lose their surrounding blanks; an obsolete folded line joins the previous value
with one space; ``Content-Length`` is digits only (at most 20), repeats must agree and
collapse into one header; ``Transfer-Encoding`` is one header saying ``chunked``;
chunk lines end in CRLF, a chunk's data in exactly CRLF, and trailers are read as headers
(then dropped, as httpcore drops them).

Deliberate differences, each on the safe side:

* a status below 100 is refused, as h11 does, but a ``101`` nobody asked for ends the
  answer there and the connection is not kept (httpcore would hand over the socket);
* an answer framed by both ``Transfer-Encoding`` and ``Content-Length`` is read as
  chunked, as h11 does, but its connection is never reused (RFC 9112 6.3: a sign of
  smuggling or a broken proxy);
* bytes past the end of an answer (more than was asked for) mean the connection is not
  reused, where httpcore would read them as the next request's answer;
* time: the head, interim answers included, must arrive within one read timeout (a
  server dripping header bytes or sending endless ``100 Continue`` is cut off there);
  each body read then restarts the clock, as httpcore counts it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpcore

from ._asyncnet import _mapped

__all__ = ["MAX_HEAD", "WireAnswer", "comma_values", "left_over", "read_answer"]

#: The most an answer's head (or trailers) may take (httpcore's h11 limit).
MAX_HEAD = 100 * 1024
_READ_SIZE = 1 << 20
_STATUS = re.compile(rb"HTTP/(\d\.\d) (\d{3})(?: ([^\x00\n\r\x0b\x0c]*))?")
_FIELD = re.compile(
    rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*((?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?)[ \t]*"
)
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,20})(?:;[^\n]*)?[ \t]*\r\n")
_NO_ANSWER = "Server disconnected without sending a response."
_GONE = "peer unexpectedly closed connection"  # h11's words for a line cut short in a body


@dataclass(frozen=True)
class WireAnswer:
    """An answer read whole: what httpx's response would hold."""

    status: int
    reason: bytes
    http_version: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


def _error(message: str) -> httpcore.RemoteProtocolError:
    return httpcore.RemoteProtocolError(message)


def _cut_short(got: int | None = None, wanted: int | None = None) -> Exception:
    """The close before the body's end, in h11's words (httpcore's errors say them)."""
    said = (
        "incomplete chunked read" if wanted is None else f"received {got} bytes, expected {wanted}"
    )
    return _error(f"peer closed connection without sending complete message body ({said})")


class _Reader:
    """An answer's bytes, each read under the read timeout counted from the last byte
    (httpcore's rule: a slow but moving body is not cut off)."""

    def __init__(self, reader: asyncio.StreamReader, deadline: asyncio.Timeout, t: float | None):
        self.reader, self.deadline, self.timeout = reader, deadline, t

    async def line(self, short: Exception, partial: Exception | None = None) -> bytes:
        """A whole line, its LF kept; ``short`` is raised when the input ends before it
        starts, ``partial`` (or ``short``) when it ends inside it.  Lines are short (the
        stream's limit is MAX_HEAD), so they do not move the clock."""
        line = await self.raw_line()
        if not line.endswith(b"\n"):
            raise (partial or short) if line else short
        return line

    async def raw_line(self) -> bytes:
        """Up to and with the next LF, or what came before the input ended."""
        try:
            return await self.reader.readline()
        except ValueError as exc:  # longer than the stream's limit
            raise _error("The answer's head is too long.") from exc

    async def some(self, most: int) -> bytes:
        data = await self.reader.read(most)
        if self.timeout is not None:
            self.deadline.reschedule(asyncio.get_running_loop().time() + self.timeout)
        return data

    async def exactly(self, length: int, short: Exception | None = None) -> bytes:
        parts: list[bytes] = []
        got = 0
        while got < length:
            data = await self.some(min(length - got, _READ_SIZE))
            if not data:
                raise short or _cut_short(got, length)
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    async def fields(self, short: Exception, later: Exception) -> list[tuple[bytes, bytes]]:
        """Header (or trailer) lines up to the blank one, folded lines joined, checked;
        the input ending before the first line says ``short``, after it ``later``."""
        lines: list[bytes] = []
        size = 0
        while (line := await self.line(later if size else short, later)) not in (b"\n", b"\r\n"):
            size += len(line)
            if size > MAX_HEAD:
                raise _error("The answer's head is too long.")
            line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
            if line[:1] in (b" ", b"\t"):  # obsolete line folding: one value, one space
                if not lines:
                    raise _error("continuation line at start of headers")
                lines[-1] += b" " + line.lstrip(b" \t")
            else:
                lines.append(line)
        return _validated(lines)


def _validated(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Header lines as (name, value), framing headers checked and normalised as h11 does."""
    headers: list[tuple[bytes, bytes]] = []
    length: bytes | None = None
    coded = False
    for line in lines:
        found = _FIELD.fullmatch(line)
        if found is None:
            raise _error(f"Illegal header line: {line[:80]!r}")
        name, value = found[1], found[2]
        lowered = name.lower()
        if lowered == b"content-length":
            said = {part.strip() for part in value.split(b",")}
            value = said.pop()
            if said or (length is not None and value != length):
                raise _error("conflicting Content-Length headers")
            if not (value.isdigit() and len(value) <= 20):
                raise _error("bad Content-Length")
            if length is not None:
                continue  # the same length said again: one header, as h11 keeps it
            length = value
        elif lowered == b"transfer-encoding":
            value = value.lower()
            if coded or value != b"chunked":
                raise _error("Only one Transfer-Encoding, chunked, is supported")
            coded = True
        headers.append((name, value))
    return headers


def comma_values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    """A list-valued header's items, lower-cased and stripped (``Connection``...)."""
    return [
        item.strip()
        for n, v in headers
        if n.lower() == name
        for item in v.lower().split(b",")
        if item.strip()
    ]


def left_over(reader: asyncio.StreamReader) -> bool:
    """Whether bytes nobody asked for wait in ``reader`` (they came with an answer or
    while the connection was idle, so the socket no longer shows them), or it failed:
    a connection in that state must not carry another request."""
    # asyncio has no public "bytes buffered" call; where its private buffer is not there
    # (another Python), say yes: a connection not reused is slower, never wrong.
    return bool(getattr(reader, "_buffer", True)) or reader.exception() is not None


async def read_answer(
    reader: asyncio.StreamReader, method: bytes, timeout: float | None
) -> tuple[WireAnswer, bool]:
    """The whole answer, and whether its connection may carry another request."""
    with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
        async with asyncio.timeout(timeout) as deadline:
            read = _Reader(reader, deadline, timeout)
            while True:
                version, status, reason, headers = await _read_head(read)
                if not 100 <= status < 200 or status == 101:
                    break  # an interim answer (100 Continue, 103) is skipped, as httpcore does
            framing = _framing(method, status, headers)
            if framing == "none":
                body = b""
            elif framing == "chunked":
                body = await _read_chunked(read)
            elif isinstance(framing, int):
                body = await read.exactly(framing)
            else:
                body = await _read_to_close(read)
    keep = (
        version >= b"1.1"
        and status != 101
        and framing != "close"
        and b"close" not in comma_values(headers, b"connection")
        and not (framing == "chunked" and any(n.lower() == b"content-length" for n, _ in headers))
        and not left_over(reader)
    )
    return WireAnswer(status, reason, b"HTTP/" + version, headers, body), keep


async def _read_head(read: _Reader) -> tuple[bytes, int, bytes, list[tuple[bytes, bytes]]]:
    first = await read.raw_line()
    if not first.endswith(b"\n") and not (first and first[0] < 0x21):  # h11: no status line
        raise _error(_NO_ANSWER)  # starts with a control or a blank, even cut short
    found = _STATUS.fullmatch(first[:-2] if first.endswith(b"\r\n") else first[:-1])
    if found is None or int(found[2]) < 100:
        raise _error(f"Illegal status line: {first[:80]!r}")
    headers = await read.fields(_error(_NO_ANSWER), _error(_NO_ANSWER))
    return found[1], int(found[2]), found[3] or b"", headers


def _framing(method: bytes, status: int, headers: list[tuple[bytes, bytes]]) -> Any:
    """How the body is delimited: "none", "chunked", a length, or "close" (h11's order)."""
    if method == b"HEAD" or status in (204, 304) or 100 <= status < 200:
        return "none"
    if method == b"CONNECT" and 200 <= status < 300:
        return "none"
    if any(n.lower() == b"transfer-encoding" for n, _ in headers):
        return "chunked"  # the only coding _validated lets through
    for name, value in headers:
        if name.lower() == b"content-length":
            return int(value)
    return "close"


async def _read_chunked(read: _Reader) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await read.line(_cut_short(), _error(_GONE))
        found = _CHUNK_SIZE.fullmatch(line)
        if found is None:
            raise _error(f"Illegal chunk header: {line[:80]!r}")
        size = int(found[1], 16)
        if size == 0:
            break
        parts.append(await read.exactly(size, _cut_short()))
        if await read.exactly(2, _cut_short()) != b"\r\n":
            raise _error("A chunk did not end where its size said.")
    await read.fields(_cut_short(), _error(_GONE))  # trailers: checked, bounded, dropped
    return b"".join(parts)


async def _read_to_close(read: _Reader) -> bytes:
    parts: list[bytes] = []
    while data := await read.some(_READ_SIZE):
        parts.append(data)
    return b"".join(parts)
