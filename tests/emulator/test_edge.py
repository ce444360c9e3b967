"""The network edge over real sockets: nginx's timeouts, head limits and connection cap
(:mod:`tcxkit.emulator.edge`), each refusal a 4xx/5xx with the PBX's envelope.

Timeouts are configured short; the tests wait on the sockets themselves (a ``select``
until each is closed), never on a sleep.  The ``deadline`` of each wait only turns a
hang into a failure.
"""

from __future__ import annotations

import json
import selectors
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.emulator.limits import EdgeLimits

from .conftest import fetch_token

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
#: How long past a timeout a test waits before it calls the server hung (a loaded
#: 2-core machine can be slow to schedule the event loop).
SLACK = 15.0


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    edge = EdgeLimits(header_timeout=HEADER_TIMEOUT, body_timeout=BODY_TIMEOUT)
    with running(EmulatorConfig(data="empty", single_token=False, edge=edge)) as server:
        yield server


def _address(emu: Any) -> tuple[str, int]:
    host, port = emu.url.removeprefix("http://").split(":")
    return host, int(port)


def _wait_closed(socks: list[socket.socket], deadline: float) -> dict[socket.socket, float]:
    """When each socket saw the server close it (EOF), waiting at most until ``deadline``."""
    closed: dict[socket.socket, float] = {}
    with selectors.DefaultSelector() as sel:
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        while len(closed) < len(socks):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(left):
                s = key.fileobj
                assert isinstance(s, socket.socket)
                try:
                    data = s.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    closed[s] = time.monotonic()
                    sel.unregister(s)
    return closed


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the one answer on ``sock`` (read until it closes)."""
    sock.settimeout(SLACK)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            headers = dict(line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:])
            if len(body) >= int(headers.get("content-length", "0")):
                break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _envelope(body: bytes, words: str) -> None:
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"}
    assert words in error["message"], error["message"]


# -- slow and silent connections ----------------------------------------------------------


def test_silent_and_half_header_connections_close_at_the_header_timeout(emu: Any) -> None:
    address = _address(emu)
    opened = time.monotonic()
    silent = [socket.create_connection(address) for _ in range(200)]
    half = [socket.create_connection(address) for _ in range(20)]
    for s in half:
        s.sendall(b"GET /xapi/v1/Users HTTP/1.1\r\nHost: pbx\r\nX-Slow: ")
    try:
        # Meanwhile ordinary requests are answered, on fresh connections.
        token = fetch_token(emu)
        users = httpx.get(
            f"{emu.url}/xapi/v1/Users", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert users.status_code == 200, users.text
        assert httpx.get(f"{emu.url}/emulator/health").status_code == 200
        closed = _wait_closed(silent + half, opened + HEADER_TIMEOUT + SLACK)
        assert len(closed) == 220, f"{220 - len(closed)} connections still open"
        first = min(closed.values()) - opened
        assert first >= HEADER_TIMEOUT * 0.9, f"closed after {first:.2f} s, before the timeout"
    finally:
        for s in silent + half:
            s.close()


def test_idle_keep_alive_connection_is_closed_after_keep_alive() -> None:
    edge = EdgeLimits(keep_alive=1.0)
    with (
        running(EmulatorConfig(data="empty", edge=edge)) as short,
        socket.create_connection(_address(short)) as sock,
    ):
        sock.sendall(b"GET /emulator/health HTTP/1.1\r\nHost: pbx\r\n\r\n")
        started = time.monotonic()
        sock.settimeout(SLACK)
        data = b""
        while chunk := sock.recv(65536):  # the answer, then EOF when the server closes
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 ")
        assert time.monotonic() - started >= 0.9


def test_a_stalled_body_gets_408_with_the_envelope(emu: Any) -> None:
    token = fetch_token(emu)
    with socket.create_connection(_address(emu)) as sock:
        sock.sendall(
            b"POST /xapi/v1/Users HTTP/1.1\r\nHost: pbx\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n".encode()
            + b'{"FirstName":'
        )
        started = time.monotonic()
        status, headers, body = _read_answer(sock)
    assert status == 408
    assert headers["connection"] == "close"
    _envelope(body, f"nothing came for {BODY_TIMEOUT:g} s")
    assert time.monotonic() - started >= BODY_TIMEOUT * 0.9


def test_unauthenticated_body_is_not_waited_for(emu: Any) -> None:
    # 401 at once, before the body; the rest never comes, and the body clock closes it.
    with socket.create_connection(_address(emu)) as sock:
        sock.sendall(
            b"POST /xapi/v1/Users HTTP/1.1\r\nHost: pbx\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n" + b"x" * 1000
        )
        sock.settimeout(SLACK)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 401 ")
        assert _wait_closed([sock], time.monotonic() + BODY_TIMEOUT + SLACK)


# -- head sizes ---------------------------------------------------------------------------


def test_a_64_kib_header_gets_431(emu: Any) -> None:
    r = httpx.get(f"{emu.url}/emulator/health", headers={"X-Big": "a" * 65536})
    assert r.status_code == 431
    assert r.headers["content-type"].startswith("application/json")
    _envelope(r.content, "8192 bytes per header line, 32768 bytes in all")


def test_many_headers_past_32_kib_get_431(emu: Any) -> None:
    headers = {f"X-H{i}": "v" * 4000 for i in range(10)}  # each line fits, not all of them
    r = httpx.get(f"{emu.url}/emulator/health", headers=headers)
    assert r.status_code == 431
    _envelope(r.content, "32768 bytes in all")


def test_a_header_sent_slowly_past_the_limit_gets_431(emu: Any) -> None:
    # Arriving in pieces, the head is refused as soon as it outgrows 32 KiB.
    with socket.create_connection(_address(emu)) as sock:
        sock.sendall(b"GET /emulator/health HTTP/1.1\r\nHost: pbx\r\n")
        for _ in range(6):
            sock.sendall(b"X-A: " + b"b" * 8000 + b"\r\n")
        status, headers, body = _read_answer(sock)
    assert status == 431 and headers["connection"] == "close"
    _envelope(body, "bytes in all")


def test_a_long_request_line_gets_414(emu: Any) -> None:
    token = fetch_token(emu)
    r = httpx.get(
        f"{emu.url}/xapi/v1/Users",
        params={"$filter": " or ".join(f"Number eq '{n}'" for n in range(1000))},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 414
    _envelope(r.content, "The request line is longer than 8192 bytes")
    assert "'in (...)'" in r.json()["error"]["message"]


def test_a_request_line_sent_slowly_gets_414(emu: Any) -> None:
    with socket.create_connection(_address(emu)) as sock:
        sock.sendall(b"GET /xapi/v1/Users?$filter=")
        for _ in range(5):
            sock.sendall(b"a" * 8000)
        status, _, body = _read_answer(sock)
    assert status == 414
    _envelope(body, "The request line is longer than 8192 bytes")


def test_a_head_that_is_not_http_gets_400_with_the_envelope(emu: Any) -> None:
    with socket.create_connection(_address(emu)) as sock:
        sock.sendall(b"GET /emulator/health HTTP/1.1\r\nBad Header\r\n\r\n")
        status, _, body = _read_answer(sock)
    assert status == 400
    _envelope(body, "not valid HTTP/1.1")


# -- the connection cap -------------------------------------------------------------------


def test_connections_over_the_cap_get_503_and_the_cap_frees_up() -> None:
    edge = EdgeLimits(max_connections=10, header_timeout=60)
    with running(EmulatorConfig(data="empty", edge=edge)) as small:
        address = _address(small)
        held = [socket.create_connection(address) for _ in range(10)]
        try:
            r = httpx.get(f"{small.url}/emulator/health")
            assert r.status_code == 503
            assert r.headers["retry-after"] == "1"
            _envelope(r.content, "10 connections open, the most it serves at once")
        finally:
            for s in held:
                s.close()
        # The server notices the closed connections as they go; then it answers again.
        deadline = time.monotonic() + SLACK
        while (status := httpx.get(f"{small.url}/emulator/health").status_code) == 503:
            assert time.monotonic() < deadline, "the cap never freed up"
        assert status == 200


def test_edge_limits_refuse_nonsense() -> None:
    from tcxkit.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="header_timeout must be a positive number"):
        EdgeLimits(header_timeout=0)
    with pytest.raises(ConfigurationError, match="max_connections must be a positive"):
        EdgeLimits(max_connections=0)
