"""AsyncClient's network I/O on asyncio streams (tcxkit._asyncnet): the same answers and
the same errors as before -- TLS, timeouts, refused connections, plain HTTP on a TLS
URL -- and one token-store read for a PBX's first calls made at once."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tcxkit import AsyncClient, ConnectError, RequestTimeout, TLSError
from tcxkit._asyncnet import AsyncioBackend
from tcxkit.auth import MemoryTokenStore, token_key

from ..certs import serve_tls
from ..emulators import post_token
from .conftest import PBX


class _Pbx(BaseHTTPRequestHandler):
    """A token, then one page of users: just enough of a PBX to finish a call."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a PBX's nginx does

    def _send(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append("POST " + self.path)  # type: ignore[attr-defined]
        self._send({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self) -> None:
        self.server.seen.append("GET " + self.path.split("?")[0])  # type: ignore[attr-defined]
        self._send({"value": [{"Number": "100"}]})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tls_pbx(tmp_path: Path) -> Iterator[Any]:
    """``https://127.0.0.1:PORT`` with a self-signed certificate (``.cert``: its file)."""
    with serve_tls(_Pbx, tmp_path) as server:
        yield server


def _client(url: str, **kw: Any) -> AsyncClient:
    kw.setdefault("token_cache", False)
    return AsyncClient(url, "id", "secret", release="20.0.10", retries=0, **kw)


async def test_a_call_over_tls_runs_on_asyncio_streams(tls_pbx: Any) -> None:
    verify = ssl.create_default_context(cafile=tls_pbx.cert)
    async with _client(tls_pbx.url, verify=verify) as c:
        backend = c._http._transport._pool._network_backend
        assert isinstance(backend, AsyncioBackend)
        pages = await asyncio.gather(*(c.call("ListUser") for _ in range(3)))
    assert pages == [{"value": [{"Number": "100"}]}] * 3
    assert tls_pbx.seen[0] == "POST /connect/token"
    assert tls_pbx.seen[1:] == ["GET /xapi/v1/Users"] * 3


async def test_an_unknown_certificate_fails_the_handshake_before_any_request(
    tls_pbx: Any,
) -> None:
    async with _client(tls_pbx.url) as c:
        with pytest.raises(TLSError) as err:
            await c.call("ListUser")
    assert err.value.exit_code == 4
    assert err.value.plain_http is False
    assert "certificate" in err.value.message.lower()
    assert tls_pbx.seen == []


async def test_https_to_a_plain_http_port_is_told_apart(pbx: PBX) -> None:
    async with _client(pbx.url.replace("http://", "https://")) as c:
        with pytest.raises(TLSError) as err:
            await c.call("ListUser")
    assert err.value.plain_http is True
    assert err.value.message.endswith("; the port answers in plain HTTP, not TLS.")


async def test_no_answer_in_time_is_a_request_timeout(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/Users", delay=2.0, times=5)
    async with pbx.aclient(timeout=0.2, retries=0) as c:
        with pytest.raises(RequestTimeout) as err:
            await c.call("ListUser", top=1)
    assert err.value.exit_code == 4
    assert err.value.message.startswith("No answer from ")


async def test_a_closed_port_is_a_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    async with _client(url) as c:
        with pytest.raises(ConnectError) as err:
            await c.call("ListUser")
    assert err.value.exit_code == 4
    assert err.value.message.startswith(f"Cannot connect to {url}/connect/token")


class _CountingStore(MemoryTokenStore):
    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def load(self, key: str) -> dict[str, Any] | None:
        self.loads += 1
        return super().load(key)


async def test_first_calls_made_at_once_read_the_token_store_once(pbx: PBX) -> None:
    """As a fresh process finds it (a CLI run over a fleet): a token in the store and
    none in memory; six calls start at once and share one read of the store."""
    answer = post_token(pbx.url, pbx.client_id, pbx.client_secret).json()
    store = _CountingStore()
    store.save(
        token_key(pbx.url, pbx.client_id, pbx.client_secret),
        {"access_token": answer["access_token"], "expires_at": time.time() + 600},
    )
    async with pbx.aclient(token_cache=store, release="20.0.10") as c:
        pages = await asyncio.gather(*(c.call("ListUser", top=1) for _ in range(6)))
    assert len(pages) == 6
    assert store.loads == 1
    assert pbx.token_requests() == 1  # ours above: the stored token served all six
