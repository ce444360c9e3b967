"""AsyncClient's requests go around httpx's ``send`` (``LeanAsyncClient.send_whole``):
over tcxkit's own HTTP/1.1 (:mod:`tcxkit._wire`), or straight to httpcore's connection
pool where the wire does not go (a proxy, HTTP/2 ...), and answer exactly as through
``httpx.AsyncClient.send``: the same values, error messages, decoded bodies, headers
and httpx log line.  Each test runs the same calls three ways (wire, pool, and httpx
with the shortcut turned off) against a server over real HTTP and compares.
tests/client/test_wire.py holds the wire to exact bytes."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tcxkit import AsyncClient, ConnectError, NotFoundError
from tcxkit import _httpx as _httpx_module
from tcxkit._httpx import LeanAsyncClient, httpx, lower_headers
from tcxkit._wire import WirePool
from tcxkit.auth import MemoryTokenStore

from ..certs import serve_tls
from .conftest import PBX
from .test_async_transport import _Pbx


async def _no_shortcut(self: LeanAsyncClient, request: httpx.Request) -> None:
    return None


async def _both_ways(
    monkeypatch: pytest.MonkeyPatch, run: Callable[[], Awaitable[Any]]
) -> tuple[Any, Any]:
    """``run()`` three ways -- through tcxkit's wire (the default), through httpcore's
    pool (the wire's fallback), then through httpx's ``send`` -- asserting the first two
    agree and counting which way each request took; returns (shortcut, httpx)."""
    sends: list[str] = []
    wired: list[bytes] = []
    real_send = httpx.AsyncClient.send
    real_wire = WirePool.request

    async def counted(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
        sends.append(request.method)
        return await real_send(self, request, **kw)

    async def counted_wire(self: WirePool, method: bytes, *args: Any) -> Any:
        wired.append(method)
        return await real_wire(self, method, *args)

    monkeypatch.setattr(httpx.AsyncClient, "send", counted)
    monkeypatch.setattr(WirePool, "request", counted_wire)
    on_wire = await run()
    assert sends == []  # every request took a shortcut ...
    monkeypatch.setattr(_httpx_module, "_fits_wire", lambda request: False)
    wired_before = len(wired)
    pooled = await run()
    assert sends == [] and len(wired) == wired_before  # ... and now httpcore's pool
    assert on_wire == pooled
    monkeypatch.setattr(LeanAsyncClient, "send_whole", _no_shortcut)
    through_httpx = await run()
    assert sends  # and now httpx's
    return pooled, through_httpx


async def _outcome(call: Callable[[], Awaitable[Any]]) -> Any:
    try:
        return await call()
    except Exception as exc:  # compared as type, message, hint and what was sent
        return (
            type(exc).__name__,
            str(exc),
            getattr(exc, "hint", None),
            getattr(exc, "request_sent", None),
        )


async def test_answers_and_errors_are_the_same_both_ways(
    demo_pbx: PBX, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run() -> list[Any]:
        async with demo_pbx.aclient() as c:
            return [
                await c.call("ListUser", top=3, select=["Number", "FirstName"]),
                await _outcome(lambda: c.call("GetUser", id=987654)),
                [u["Number"] async for u in c.paginate("ListUser", page_size=2, top=5)],
            ]

    pooled, through_httpx = await _both_ways(monkeypatch, run)
    assert pooled == through_httpx
    assert len(pooled[0]["value"]) == 3
    assert pooled[1][0] == NotFoundError.__name__


async def test_the_httpx_log_line_is_kept(
    pbx: PBX, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def run() -> list[str]:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="httpx"):
            async with pbx.aclient(token_cache=MemoryTokenStore(), release="20.0.10") as c:
                await c.call("ListUser", top=1)
        # the token (kept in this process after the first run) is asked for once only
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "httpx" and "/xapi/" in r.getMessage()
        ]

    pooled, through_httpx = await _both_ways(monkeypatch, run)
    assert pooled == through_httpx
    assert pooled == [f'HTTP Request: GET {pbx.url}/xapi/v1/Users?$top=1 "HTTP/1.1 200 OK"']


async def test_a_proxy_from_the_environment_carries_the_request(
    pbx: PBX, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY mounts httpx's proxy transport: the shortcut sends through that
    transport's pool (here a closed port), as httpx would, never around it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    async def run() -> Any:
        async with pbx.aclient(token_cache=MemoryTokenStore(), retries=0) as c:
            return await _outcome(lambda: c.call("ListUser", top=1))

    pooled, through_httpx = await _both_ways(monkeypatch, run)
    assert pooled == through_httpx
    assert pooled[0] == ConnectError.__name__
    assert pooled[1].startswith(f"Cannot connect to {pbx.url}/connect/token")
    assert pooled[3] is False  # nothing was sent: the proxy refused the connection


class _GzipPbx(_Pbx):
    """The same little PBX, answering gzip-compressed, with a header sent twice."""

    def _send(self, body: dict[str, Any]) -> None:
        data = gzip.compress(json.dumps(body).encode())
        self.send_response(200)
        for name, value in (
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
            ("X-3CX-Version", "20.0.10.1621"),
            ("Vary", "Accept"),
            ("Vary", "Origin"),
            ("Content-Length", str(len(data))),
        ):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def gzip_pbx(tmp_path: Path) -> Iterator[Any]:
    with serve_tls(_GzipPbx, tmp_path) as server:
        yield server


async def test_a_compressed_answer_is_decoded_both_ways(
    gzip_pbx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    verify = ssl.create_default_context(cafile=gzip_pbx.cert)

    async def run() -> Any:
        async with AsyncClient(
            gzip_pbx.url, "id", "secret", verify=verify, token_cache=MemoryTokenStore()
        ) as c:
            return await c.call("ListUser"), c.pbx_version

    pooled, through_httpx = await _both_ways(monkeypatch, run)
    assert pooled == through_httpx == ({"value": [{"Number": "100"}]}, "20.0.10.1621")


def test_headers_are_read_as_httpx_reads_them() -> None:
    raw = [
        (b"Content-Type", b"application/json"),
        (b"Vary", b"Accept"),
        (b"vary", b"Origin"),
        (b"X-Name", "Zoë".encode()),
    ]
    expected = {k.lower(): v for k, v in httpx.Headers(raw).items()}
    assert lower_headers(raw) == expected
    assert expected["vary"] == "Accept, Origin"
    assert expected["x-name"] == "Zoë"
