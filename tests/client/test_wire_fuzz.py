"""Hostile answers, generated: tcxkit's wire reads every one as h11 (httpcore's parser) does.

Hypothesis writes answers -- valid ones with random framing (a length, chunks with
extensions and trailers, up to the close, both), interim answers, folded and repeated
headers, bare-LF lines, odd versions and statuses -- then corrupts some of them
(truncations, junk inserted, bytes deleted or flipped).  Each is fed whole to the wire's
reader (``asyncio.StreamReader``, no socket) and to an ``h11.Connection`` driven as
httpcore drives it.  The wire must end (a guard bounds each example), raise nothing but
``httpcore.RemoteProtocolError``, accept exactly what h11 accepts with the same status,
reason, version, headers (as a list) and body, and word a cut-short answer as httpcore
does.  The one case left out is a 101 answer nobody asked to switch to (module doc).

The suite runs a bounded, derandomized pass (``EXAMPLES``: 1,500 answers, about 5 s); the deep pass with
random seeds is ``scripts/fuzz_wire.py``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
import httpcore
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tcxkit._wire_read import MAX_HEAD, read_answer

EXAMPLES = int(os.environ.get("TCX_WIRE_FUZZ_EXAMPLES", "1500"))

_EOL = st.sampled_from([b"\r\n"] * 6 + [b"\n", b"\r\r\n", b"\r"])
_NAMES = st.sampled_from(
    [
        *(b"Content-Type", b"X-Id", b"Vary", b"content-length", b"Content-Length"),
        *(b"Transfer-Encoding", b"transfer-encoding", b"Connection", b"x", b"X Bad", b""),
    ]
)
_VALUES = st.sampled_from(
    [
        *(b"chunked", b"Chunked", b"gzip, chunked", b"chunked, ", b"chun ked", b"close"),
        *(b"keep-alive", b"5", b"05", b"+5", b" 5 ", b"5, 5", b"5,6", b"", b"a\tb"),
        *(b"\xc3\xab", b"a\x00b", b"a\x0bb", b"a \r b", b"x" * 30, b"9" * 23),
    ]
) | st.binary(max_size=10)
_HEADERS = st.lists(st.tuples(_NAMES, _VALUES, _EOL), max_size=4)
_EXTS = st.sampled_from([b"", b"", b";a=1", b";x", b' ;q="v"', b"  ", b";\r", b"\t"])


def _head(draw: Any, status: bytes, headers: list[tuple[bytes, bytes, bytes]]) -> bytes:
    version = draw(st.sampled_from([b"1.1"] * 5 + [b"1.0", b"1.0", b"1.2", b"2.0", b"0.9"]))
    reason = draw(
        st.sampled_from([b" OK", b"", b" ", b" Not Found", b" a\tb"]) | st.binary(max_size=6)
    )
    lines = [b"HTTP/" + version + b" " + status + reason + draw(_EOL)]
    for name, value, eol in headers:
        fold = draw(st.sampled_from([b""] * 8 + [b"\r\n ", b"\r\n\t", b"\n  "]))
        lines.append(name + b":" + draw(st.sampled_from([b" ", b"", b"\t"])) + fold + value + eol)
    return b"".join(lines) + draw(_EOL)


def _chunked(draw: Any, body: bytes) -> bytes:
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
    out = []
    for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True):
        if end > start:
            size = b"%x" % (end - start)
            size = size.upper() if draw(st.booleans()) else size
            out.append(size + draw(_EXTS) + b"\r\n" + body[start:end] + b"\r\n")
    out.append(b"0" + draw(_EXTS) + b"\r\n")
    for name, value, eol in draw(_HEADERS):
        out.append(name + b": " + value + eol)
    return b"".join(out) + b"\r\n"


@st.composite
def answers(draw: Any) -> tuple[bytes, bytes]:
    """(request method, the answer's bytes), perhaps corrupted."""
    method = draw(st.sampled_from([b"GET", b"GET", b"POST", b"HEAD"]))
    data = b""
    for _ in range(draw(st.integers(0, 2))):  # interim answers first
        data += _head(draw, draw(st.sampled_from([b"100", b"103", b"199"])), draw(_HEADERS))
    status = draw(st.sampled_from([b"200", b"204", b"304", b"404", b"500"]))
    status = draw(st.sampled_from([status] * 6 + [b"099", b"000", b"999", b"20", b"2000"]))
    body = draw(st.binary(max_size=40))
    framing = draw(st.sampled_from(["length", "chunked", "close", "both"]))
    headers = draw(_HEADERS)
    if framing in ("length", "both"):
        length = draw(st.sampled_from([len(body)] * 4 + [len(body) + 3, max(len(body) - 1, 0)]))
        headers.insert(
            draw(st.integers(0, len(headers))), (b"Content-Length", b"%d" % length, b"\r\n")
        )
    if framing in ("chunked", "both"):
        headers.insert(
            draw(st.integers(0, len(headers))), (b"Transfer-Encoding", b"chunked", b"\r\n")
        )
    data += _head(draw, status, headers)
    data += _chunked(draw, body) if framing in ("chunked", "both") else body
    data += draw(st.sampled_from([b""] * 4 + [b"HTTP/1.1 200 OK\r\n\r\n", b"junk"]))
    for _ in range(draw(st.integers(0, 3) if draw(st.booleans()) else st.just(0))):
        data = _mutate(draw, data)
    return method, data


def _mutate(draw: Any, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    how = draw(st.sampled_from(["cut", "insert", "delete", "flip"]))
    if how == "cut":
        return data[:at]
    if how == "insert":
        junk = draw(
            st.sampled_from([b"\r\n", b"\n", b" ", b":", b";", b"0", b"\x00", b"HTTP/1.1 "])
        )
        return data[:at] + junk + data[at:]
    if how == "delete":
        return data[:at] + data[at + draw(st.integers(1, 4)) :]
    return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]


def _by_h11(method: bytes, data: bytes) -> tuple[Any, ...] | Exception:
    """What httpcore would make of ``data`` through h11, without a socket: its read loop
    (interim answers skipped, the end of input where more was needed worded as it words
    it) over a connection that has sent ``method``."""
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "pbx")]))
    conn.send(h11.EndOfMessage())
    if data:  # an empty read is h11's end of input
        conn.receive_data(data)
    head: Any = None
    body: list[bytes] = []
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if conn.their_state == h11.SEND_RESPONSE:
                    return httpcore.RemoteProtocolError(
                        "Server disconnected without sending a response."
                    )
                conn.receive_data(b"")
            elif isinstance(event, h11.InformationalResponse) and event.status_code != 101:
                continue
            elif isinstance(event, (h11.Response, h11.InformationalResponse)):
                head = event
                if event.status_code == 101:
                    return ("switch",)
            elif isinstance(event, h11.Data):
                body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
    except h11.RemoteProtocolError as exc:
        return httpcore.RemoteProtocolError(str(exc))
    version = b"HTTP/" + head.http_version
    return (head.status_code, head.reason, version, head.headers.raw_items(), b"".join(body))


async def _by_wire(method: bytes, data: bytes) -> tuple[Any, ...] | Exception:
    reader = asyncio.StreamReader(limit=MAX_HEAD)
    reader.feed_data(data)
    reader.feed_eof()
    try:  # the guard: every byte is there, so nothing may wait
        answer, _ = await asyncio.wait_for(read_answer(reader, method, 5.0), 2.0)
    except httpcore.RemoteProtocolError as exc:
        return exc
    if answer.status == 101:
        return ("switch",)
    return (answer.status, answer.reason, answer.http_version, answer.headers, answer.body)


_SHORT = ("peer closed", "Server disconnected")
_SHORT_BODY = "peer closed connection without sending complete message body (received"


def check(method: bytes, data: bytes) -> None:
    """The property, for one answer (the deep pass in scripts/fuzz_wire.py runs it too)."""
    wire = asyncio.run(_by_wire(method, data))
    h11_read = _by_h11(method, data)
    if isinstance(h11_read, Exception) or isinstance(wire, Exception):
        assert isinstance(wire, Exception) and isinstance(h11_read, Exception), (
            data,
            wire,
            h11_read,
        )
        # A cut-short answer in httpcore's own words; but the wire checks each line as it
        # comes, so it may name a malformed line where h11, waiting for the head's end,
        # only saw the input stop.
        if str(wire).startswith(_SHORT) or str(h11_read).startswith(_SHORT_BODY):
            assert str(wire) == str(h11_read), (data, wire, h11_read)
        return
    assert wire == h11_read, (data, wire, h11_read)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same answers on every run
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=answers())
def test_the_wire_reads_any_answer_as_h11_does(case: tuple[bytes, bytes]) -> None:
    check(*case)
