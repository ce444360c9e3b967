"""AsyncClient's own HTTP/1.1 (tcxkit._wire) answers as httpcore and httpx answer.

A scripted loopback server sends exact bytes -- chunked bodies with extensions and
trailers, bodies up to the close, interim answers, HTTP/1.0, a repeated header, answers
cut short, malformed or oversized heads -- and every case is read three ways: through
the wire, through httpcore's pool (the fallback), and through ``httpx.AsyncClient.send``.
Where httpx and httpcore word an error themselves the three must agree word for word;
where only the kind can agree (a malformed head), the kind.  Then what only the wire
does: keep-alive reuse, a stale connection, the pool limit and its timeout, closing,
a new event loop, and a header that would split the request.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import pytest

from tcxkit import AsyncClient
from tcxkit._httpx import LeanAsyncClient, _send_to_pool, httpx, lower_headers
from tcxkit._wire import MAX_HEAD, WirePool, _Conn
from tcxkit._wire_read import read_answer
from tcxkit.auth import MemoryTokenStore

from .conftest import PBX

_JSON = b"Content-Type: application/json\r\n"
_GZ = gzip.compress(b'{"zipped": true}')

#: path -> the exact bytes the server answers with (HANG: the head, then nothing;
#: None: close without a word).  A name ending in "-close" closes after answering.
ANSWERS: dict[str, bytes | None] = {
    "/length": b"HTTP/1.1 200 OK\r\n" + _JSON + b'Content-Length: 8\r\n\r\n{"a": 1}',
    "/chunked": b"HTTP/1.1 200 OK\r\n"
    + _JSON
    + b'Transfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"a"\r\n3\r\n: 1\r\n1\r\n}\r\n'
    b"0\r\nX-Trailer: t\r\n\r\n",
    "/to-close": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
    "/interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "/http10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "/no-content": b"HTTP/1.1 204 No Content\r\nX-Id: 7\r\n\r\n",
    "/gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
    + str(len(_GZ)).encode()
    + b"\r\n\r\n"
    + _GZ,
    "/repeated": b"HTTP/1.1 418 I'm a teapot\r\nVary: Accept\r\nVary: Origin\r\n"
    b"X-Name: Zo\xc3\xab\r\nContent-Length: 0\r\n\r\n",
    "/silent": None,
    "/short": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nten bytes!",
    "/bad-status": b"HTTP/1.1 abc\r\nContent-Length: 0\r\n\r\n",
    "/bad-length": b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
    "/huge-head": b"HTTP/1.1 200 OK\r\n"
    + b"".join(b"X-Filler-%d: %s\r\n" % (i, b"x" * 1000) for i in range(3 * MAX_HEAD // 1000))
    + b"Content-Length: 0\r\n\r\n",
    "/gzip-coding": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
    # hostile or odd heads and framings, each read as h11 reads it (issue #20 fuzzing)
    "/folded-empty": b"HTTP/1.1 200 OK\r\nX-Folded:\r\n  next line\r\nContent-Length: 0\r\n\r\n",
    "/length-twice": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok",
    "/nul-in-value": b"HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 0\r\n\r\n",
    "/cr-in-value": b"HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 0\r\n\r\n",
    "/spaced-coding": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chun ked\r\n\r\n0\r\n\r\n",
    "/lf-chunks": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\n0\r\n\r\n",
    "/bad-trailer": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"2\r\nok\r\n0\r\nnot a header\r\n\r\n",
    "/no-content-bad-length": b"HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n",
    "/status-42": b"HTTP/1.1 042 Odd\r\nContent-Length: 0\r\n\r\n",
    "/cut-head": b"HTTP/1.1 200 OK\r\nContent-Le",
    # more than the answer: the rest must not become the next request's answer
    "/extra": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale",
    "/both": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
    b"2\r\nok\r\n0\r\n\r\n",
}
HANG = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfive!"


class Scripted:
    """A loopback HTTP server answering each path with its scripted bytes."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.closed = asyncio.Event()  # set when the client closes a connection
        self.release = asyncio.Event()  # lets a "/hang" answer go on
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    self.closed.set()
                    return
                self.requests.append(head)
                path = head.split(b" ")[1].decode()
                if path.startswith("/hang"):
                    writer.write(HANG)
                    await self.release.wait()
                    return
                if path == "/keep":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkept")
                    continue
                if path == "/keep-then-close":  # answers as if kept alive, then hangs up
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    await writer.drain()
                    writer.close()
                    await writer.wait_closed()
                    self.closed.set()
                    return
                answer = ANSWERS[path]
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
                if answer is None or path in ("/to-close", "/short", "/gzip-coding", "/cut-head"):
                    return
        finally:
            writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    server = Scripted()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
    async with listening:
        yield server
        server.release.set()


async def _one_way(way: str, url: str, timeout: float = 5.0) -> tuple[Any, ...]:
    async with LeanAsyncClient(timeout=timeout) as http:
        request = http.build_request("GET", url)
        try:
            if way == "wire":
                assert http._wire is not None
                reply = await http.send_whole(request)
                assert reply is not None
            elif way == "pool":
                reply = await _send_to_pool(http._transport._pool, request)
            else:
                response = await http.send(request)
                raw = response.headers.raw
                return ("ok", response.status_code, lower_headers(raw), response.content)
        except httpx.HTTPError as exc:
            return (type(exc).__name__, str(exc))
    return ("ok", reply.status, reply.headers, reply.content)


async def _three_ways(url: str, timeout: float = 5.0) -> list[tuple[Any, ...]]:
    return [await _one_way(way, url, timeout) for way in ("wire", "pool", "httpx")]


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/length", 200, b'{"a": 1}'),
        ("/chunked", 200, b'{"a": 1}'),
        ("/to-close", 200, b"until the end"),
        ("/interim", 200, b"ok"),
        ("/http10", 200, b"ok"),
        ("/no-content", 204, b""),
        ("/gzip", 200, b'{"zipped": true}'),
        ("/repeated", 418, b""),
    ],
)
async def test_answers_read_the_same_three_ways(
    scripted: Scripted, path: str, status: int, body: bytes
) -> None:
    wire, pool, through_httpx = await _three_ways(scripted.url + path)
    assert wire == pool == through_httpx
    assert wire[1:2] == (status,) and wire[3] == body
    if path == "/repeated":
        assert wire[2]["vary"] == "Accept, Origin" and wire[2]["x-name"] == "Zoë"


@pytest.mark.parametrize(
    ("path", "kind", "message"),
    [
        ("/silent", "RemoteProtocolError", "Server disconnected without sending a response."),
        (
            "/short",
            "RemoteProtocolError",
            "peer closed connection without sending complete message body "
            "(received 10 bytes, expected 100)",
        ),
        ("/bad-status", "RemoteProtocolError", None),
        ("/bad-length", "RemoteProtocolError", None),
        ("/huge-head", "RemoteProtocolError", None),
        ("/gzip-coding", "RemoteProtocolError", None),
    ],
)
async def test_broken_answers_fail_the_same_three_ways(
    scripted: Scripted, path: str, kind: str, message: str | None
) -> None:
    outcomes = await _three_ways(scripted.url + path)
    assert [o[0] for o in outcomes] == [kind] * 3
    if message is not None:  # httpcore's own words: all three say them
        assert [o[1] for o in outcomes] == [message] * 3
    else:  # h11 words these itself; the wire says what was wrong in its own
        assert outcomes[0][1]


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("/folded-empty", (200, "x-folded", "next line")),
        ("/length-twice", (200, "content-length", "2")),  # one header, as h11 keeps it
        ("/both", (200, "content-length", "99")),  # chunked wins, the length is kept
        ("/nul-in-value", "RemoteProtocolError"),
        ("/cr-in-value", "RemoteProtocolError"),
        ("/spaced-coding", "RemoteProtocolError"),
        ("/lf-chunks", "RemoteProtocolError"),
        ("/bad-trailer", "RemoteProtocolError"),
        ("/no-content-bad-length", "RemoteProtocolError"),
        ("/status-42", "RemoteProtocolError"),
        ("/cut-head", "Server disconnected without sending a response."),
    ],
)
async def test_odd_answers_are_read_as_httpcore_reads_them(
    scripted: Scripted, path: str, outcome: Any
) -> None:
    """Cases the fuzzer (tests/client/test_wire_fuzz.py) found read otherwise before."""
    wire, pool, through_httpx = await _three_ways(scripted.url + path)
    if isinstance(outcome, tuple):
        assert wire == pool == through_httpx
        status, name, value = outcome
        assert wire[1] == status and wire[2][name] == value
    elif outcome == "RemoteProtocolError":
        assert [o[0] for o in (wire, pool, through_httpx)] == [outcome] * 3
    else:
        assert wire == pool == through_httpx == ("RemoteProtocolError", outcome)


@pytest.mark.parametrize("path", ["/extra", "/both"])
async def test_an_answer_with_bytes_past_it_or_two_framings_ends_its_connection(
    scripted: Scripted, path: str
) -> None:
    """Bytes past the answer would be read as the next request's answer (a desync), and
    both framings at once is a smuggling sign (RFC 9112 6.3): a new connection follows."""
    async with LeanAsyncClient() as http:
        first = await http.send_whole(http.build_request("GET", scripted.url + path))
        second = await http.send_whole(http.build_request("GET", scripted.url + "/keep"))
    assert first is not None and first.content == b"ok"
    assert second is not None and second.content == b"kept"
    assert scripted.connections == 2


async def test_an_idle_connection_holding_unasked_bytes_is_not_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bytes a server sent while the connection sat idle are already in the stream's
    buffer, where polling the socket no longer sees them."""
    monkeypatch.setattr("tcxkit._wire._readable", lambda sock: False)  # the socket is quiet
    reader = asyncio.StreamReader()
    conn = _Conn((b"http", "pbx.invalid", 80), reader, _ResetWriter())
    assert conn.usable(0.0, None)
    reader.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale")
    assert not conn.usable(0.0, None)


@pytest.mark.parametrize("value", ["t0ken ", " t0ken", "t0\x0bken", "t0\x0cken"])
async def test_a_header_value_httpcore_would_refuse_is_refused_unsent(
    scripted: Scripted, value: str
) -> None:
    """A blank at either end, or a VT or FF inside: h11 refuses to send it, and so does the
    wire, in the same httpx error (the value itself is not repeated)."""
    outcomes = []
    async with LeanAsyncClient() as http:
        for way in ("wire", "pool"):
            request = http.build_request("GET", scripted.url + "/keep", headers={"X-Key": value})
            with pytest.raises(httpx.LocalProtocolError) as caught:
                if way == "wire":
                    await http.send_whole(request)
                else:
                    await _send_to_pool(http._transport._pool, request)
            outcomes.append(type(caught.value))
            if way == "wire":  # refused before connecting (httpcore connects, then refuses)
                assert "t0" not in str(caught.value) and scripted.connections == 0
    assert outcomes == [httpx.LocalProtocolError] * 2


async def test_an_answer_that_stops_coming_is_a_read_timeout(scripted: Scripted) -> None:
    outcomes = await _three_ways(scripted.url + "/hang", timeout=0.2)
    assert [o[0] for o in outcomes] == ["ReadTimeout"] * 3


async def test_a_kept_alive_connection_carries_the_next_request(scripted: Scripted) -> None:
    async with LeanAsyncClient() as http:
        for _ in range(3):
            reply = await http.send_whole(http.build_request("GET", scripted.url + "/keep"))
            assert reply is not None and reply.content == b"kept"
    assert scripted.connections == 1 and len(scripted.requests) == 3


@pytest.mark.parametrize("path", ["/to-close", "/http10"])
async def test_a_connection_that_cannot_be_kept_is_not(scripted: Scripted, path: str) -> None:
    async with LeanAsyncClient() as http:
        for _ in range(2):
            await http.send_whole(http.build_request("GET", scripted.url + path))
    assert scripted.connections == 2


async def test_a_connection_the_server_closed_while_idle_is_not_reused(
    scripted: Scripted,
) -> None:
    async with LeanAsyncClient() as http:
        first = await http.send_whole(http.build_request("GET", scripted.url + "/keep-then-close"))
        await scripted.closed.wait()  # the server has hung up on the idle connection
        second = await http.send_whole(http.build_request("GET", scripted.url + "/keep"))
    assert first is not None and second is not None and second.content == b"kept"
    assert scripted.connections == 2


async def test_closing_the_client_closes_its_idle_connections(scripted: Scripted) -> None:
    http = LeanAsyncClient()
    await http.send_whole(http.build_request("GET", scripted.url + "/keep"))
    assert not scripted.closed.is_set()
    await http.aclose()
    await asyncio.wait_for(scripted.closed.wait(), 10)  # a guard, not a pause
    with pytest.raises(RuntimeError, match="client has been closed"):
        await http.get(scripted.url + "/keep")


def _one_connection_pool(scripted: Scripted) -> tuple[WirePool, Any]:
    """A wire pool of one connection (pool timeout 50 ms), and a GET through it by path."""
    pool = WirePool(ssl_context=None, max_connections=1, max_keepalive=1, keepalive_expiry=5)
    port = int(scripted.url.rsplit(":", 1)[1])
    origin = (b"http", "127.0.0.1", port)
    headers = [(b"Host", f"127.0.0.1:{port}".encode())]
    times: dict[str, float | None] = {"connect": 5, "read": 5, "write": 5, "pool": 0.05}

    def send(path: str) -> Any:
        return pool.request(b"GET", origin, path.encode(), headers, b"", times)

    return pool, send


async def test_the_connection_limit_holds_and_its_wait_times_out(scripted: Scripted) -> None:
    pool, send = _one_connection_pool(scripted)
    first = asyncio.ensure_future(send("/hang"))
    while not scripted.requests:  # the first request holds the only connection
        await asyncio.sleep(0)
    with pytest.raises(httpcore.PoolTimeout):
        await send("/keep")
    assert scripted.connections == 1  # the second never got a connection
    scripted.release.set()
    with pytest.raises(httpcore.RemoteProtocolError):  # "five!" of ten bytes, then closed
        await first
    answer = await send("/keep")
    assert answer.body == b"kept" and scripted.connections == 2
    await pool.aclose()


async def test_a_cancelled_request_leaves_no_connection_and_no_slot(scripted: Scripted) -> None:
    pool, send = _one_connection_pool(scripted)
    hung = asyncio.ensure_future(send("/hang"))
    while not scripted.requests:  # the request is out, its answer half read
        await asyncio.sleep(0)
    hung.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hung
    assert not any(pool._idle.values()) and pool._active == 0
    answer = await send("/keep")  # the only slot is free again
    assert answer.body == b"kept" and scripted.connections == 2
    await pool.aclose()


@pytest.mark.parametrize(
    ("drip", "ends_as"),
    [
        (b"HTTP/1.1 100 Continue\r\n\r\n", httpcore.ReadTimeout),
        (b"a", (httpcore.ReadTimeout, httpcore.RemoteProtocolError)),  # or the head's bound
    ],
)
async def test_an_answer_whose_head_never_ends_ends_at_the_read_timeout(
    drip: bytes, ends_as: Any
) -> None:
    """Endless interim answers, or a header dripping in byte by byte: httpcore restarts its
    clock on every byte and would wait for ever on the first; the wire gives the head one
    read timeout (module doc of tcxkit._wire_read), and bounds its size."""
    reader = asyncio.StreamReader(limit=MAX_HEAD)
    fed = 0

    async def server() -> None:
        nonlocal fed
        reader.feed_data(b"HTTP/1.1 200 OK\r\nX-Slow: " if drip == b"a" else b"")
        while True:
            reader.feed_data(drip)
            fed += 1
            await asyncio.sleep(0)  # one more piece each turn of the loop, for ever

    dripping = asyncio.ensure_future(server())
    with pytest.raises(ends_as):
        await asyncio.wait_for(read_answer(reader, b"GET", 0.2), 10)  # a guard
    dripping.cancel()
    assert fed > 10


async def test_a_header_that_would_split_the_request_is_refused_unsent(
    scripted: Scripted,
) -> None:
    secret = "t0ken\r\nX-Injected: yes"
    async with LeanAsyncClient() as http:
        request = http.build_request(
            "GET", scripted.url + "/keep", headers={"Authorization": f"Bearer {secret}"}
        )
        with pytest.raises(httpx.LocalProtocolError) as caught:
            await http.send_whole(request)
    assert "Authorization" in str(caught.value) and "t0ken" not in str(caught.value)
    assert scripted.connections == 0


def test_one_client_across_event_loops(demo_pbx: PBX) -> None:
    """A client's kept connections belong to the loop that made them: a second
    ``asyncio.run`` starts afresh instead of failing on the first loop's sockets."""
    client = demo_pbx.aclient(token_cache=MemoryTokenStore())

    async def users() -> list[str]:
        return [u["Number"] async for u in client.paginate("ListUser", top=2)]

    first = asyncio.run(users())
    assert asyncio.run(users()) == first and len(first) == 2
    asyncio.run(client.aclose())


async def test_the_emulator_is_read_through_the_wire(
    demo_pbx: PBX, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole PBX conversation (token, catalog, a page) takes the wire, kept alive."""
    used: list[bytes] = []
    real = WirePool.request

    async def counted(self: WirePool, method: bytes, *args: Any) -> Any:
        used.append(method)
        return await real(self, method, *args)

    monkeypatch.setattr(WirePool, "request", counted)
    async with AsyncClient(
        demo_pbx.url, demo_pbx.client_id, demo_pbx.client_secret, token_cache=MemoryTokenStore()
    ) as c:
        users = await c.call("ListUser", top=2)
    assert len(users["value"]) == 2
    assert used[:1] == [b"POST"] and b"GET" in used


class _ResetWriter:
    """A connection's writing side that the server has already hung up on."""

    def __init__(self) -> None:
        self.closed = False

    def write(self, data: bytes) -> None:
        pass

    async def drain(self) -> None:
        raise ConnectionResetError(104, "Connection reset by peer")

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> None:
        return None


async def test_an_answer_sent_before_the_request_was_read_is_the_one_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that answers (413) and hangs up before reading the whole request: the
    failed write is set aside and the answer read, as httpcore does; the connection is
    not kept.  Without an answer, the read's own error says so."""
    monkeypatch.setattr(_Conn, "usable", lambda self, now, expiry: True)  # scripted streams
    pool = WirePool(ssl_context=None, max_connections=2, max_keepalive=2, keepalive_expiry=5)
    origin = (b"http", "pbx.invalid", 80)
    times: dict[str, float | None] = {"connect": 1, "read": 1, "write": 1, "pool": 1}
    outcomes = []
    for answer in (b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\n\r\nbig", b""):
        reader = asyncio.StreamReader()
        reader.feed_data(answer)
        reader.feed_eof()
        writer = _ResetWriter()
        await pool._take_slot(None)  # bind the pool to this loop, then hand the slot back
        pool._active -= 1
        pool._slots.release()  # type: ignore[union-attr]
        pool._put_back(_Conn(origin, reader, writer), True)
        try:
            got = await pool.request(b"POST", origin, b"/x", [(b"Host", b"pbx")], b"x" * 10, times)
            outcomes.append((got.status, got.body))
        except httpcore.RemoteProtocolError as exc:
            outcomes.append(("RemoteProtocolError", str(exc)))
        assert writer.closed and not pool._idle.get(origin)
    assert outcomes == [
        (413, b"big"),
        ("RemoteProtocolError", "Server disconnected without sending a response."),
    ]
