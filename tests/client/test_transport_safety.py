"""Where credentials may go: no plain HTTP off this machine, no credentials in URLs,
no redirects.  Requests are recorded by an httpx transport, so no traffic ever leaves
for the documentation addresses used here (198.51.100.0/24, RFC 5737)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from tcxkit import AsyncClient, Client, ConfigurationError, TcxError, urls

FAR = "http://198.51.100.7"


class Recorder:
    """A transport that answers like a PBX (token, then a listing) and keeps every request."""

    def __init__(self, redirect: str | None = None) -> None:
        self.seen: list[httpx.Request] = []
        self.redirect = redirect

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.redirect and "steal" not in request.url.path:
            return httpx.Response(307, headers={"Location": self.redirect})
        if request.url.path == "/connect/token":
            return httpx.Response(
                200, json={"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}
            )
        return httpx.Response(200, json={"value": []}, headers={"X-3CX-Version": "20.0.10.1"})

    def sync(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def _client(url: str, rec: Recorder, **kw: Any) -> Client:
    return Client(
        url, "api", "the-secret", transport=rec.sync(), token_cache=False, retries=0, **kw
    )


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_plain_http_off_this_machine_is_refused_before_any_connection(cls: Any) -> None:
    rec = Recorder()
    with pytest.raises(ConfigurationError) as info:
        cls(FAR, "api", "the-secret", transport=rec.sync(), token_cache=False)
    assert info.value.message == (
        "Plain http:// to 198.51.100.7 would send the API key unencrypted; nothing was sent."
    )
    assert info.value.hint is not None and "allow_http=True" in info.value.hint
    assert info.value.exit_code == 2
    assert rec.seen == []


def test_allow_http_warns_once_and_proceeds(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    url = "http://198.51.100.8:5000"
    urls._warned.discard("198.51.100.8:5000")  # once per process: this test's own host
    with caplog.at_level(logging.WARNING, logger="tcxkit"):
        with _client(url, rec, allow_http=True, release="20.0.10") as c:
            assert c.call("ListUser", top=1) == {"value": []}
        with _client(url, rec, allow_http=True, release="20.0.10") as c:
            c.call("ListUser", top=1)
    warnings = [r.getMessage() for r in caplog.records if r.name == "tcxkit"]
    assert warnings == [
        "tcxkit: plain http:// to 198.51.100.8:5000 is allowed explicitly: the API key and "
        "every answer cross the network unencrypted."
    ]
    assert {r.url.host for r in rec.seen} == {"198.51.100.8"}
    assert [r.url.path for r in rec.seen].count("/xapi/v1/Users") == 2


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5000", "http://127.8.9.10", "http://localhost:80", "http://[::1]:5000"],
)
def test_loopback_http_needs_nothing(url: str, caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    with (
        caplog.at_level(logging.WARNING, logger="tcxkit"),
        _client(url, rec, release="20.0.10") as c,
    ):
        c.call("ListUser", top=1)
    assert len(rec.seen) == 2 and not [r for r in caplog.records if r.name == "tcxkit"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://admin:Hunter2pw@pbx.example.com:5001", "https://***@pbx.example.com:5001"),
        ("http://admin:Hunter2pw@127.0.0.1:5000/", "http://***@127.0.0.1:5000/"),
        ("admin:Hunter2pw@pbx.example.com", "***@pbx.example.com"),
    ],
)
def test_credentials_in_the_url_are_refused_and_never_shown(url: str, shown: str) -> None:
    rec = Recorder()
    with pytest.raises(ConfigurationError) as info:
        _client(url, rec, allow_http=True)
    assert info.value.message == f"The PBX URL {shown} carries credentials; it was not used."
    assert "Hunter2pw" not in str(info.value) and "admin" not in str(info.value)
    assert rec.seen == []


@pytest.mark.parametrize("callers_http", [False, True])
def test_a_redirect_is_never_followed_with_the_secret(callers_http: bool) -> None:
    """A 307 keeps the method and body: following it would hand over the client secret.
    Not even a caller's httpx client that follows redirects follows one for us."""
    rec = Recorder(redirect="https://198.51.100.9/steal")
    http = httpx.Client(transport=rec.sync(), follow_redirects=True) if callers_http else None
    c = Client(
        "https://pbx.example.com",
        "api",
        "the-secret",
        transport=None if callers_http else rec.sync(),
        http=http,
        token_cache=False,
        retries=0,
        release="20.0.10",
    )
    with c, pytest.raises(TcxError):
        c.call("ListUser", top=1)
    assert [(r.method, r.url.host, r.url.path) for r in rec.seen] == [
        ("POST", "pbx.example.com", "/connect/token")
    ]
    if http is not None:
        http.close()


def test_the_async_client_never_follows_a_redirect_either() -> None:
    rec = Recorder(redirect="https://198.51.100.9/steal")

    async def run() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(rec), follow_redirects=True)
        async with AsyncClient(
            "https://pbx.example.com",
            "api",
            "s",
            http=http,
            token_cache=False,
            retries=0,
            release="20.0.10",
        ) as c:
            with pytest.raises(TcxError):
                await c.call("ListUser", top=1)
        await http.aclose()

    asyncio.run(run())
    assert [r.url.path for r in rec.seen] == ["/connect/token"]
