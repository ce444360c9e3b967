"""At most once: a write that may have reached the PBX is never sent again by itself.

A proxy between the client and the emulator forwards the write, lets the emulator apply
it, and then drops the connection (or goes silent): the client must raise
``UncertainWriteError`` and the PBX must hold exactly one copy.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import tcxkit
from tcxkit import ConnectError, ConnectionLost, UncertainWriteError
from tcxkit.cli.exitcodes import EXIT_CODES
from tcxkit.retry import RetryPolicy

from ..proxy import Rule, breaking_proxy
from .conftest import PBX

USER = {"Number": "401", "FirstName": "Ada", "LastName": "Once"}


def _through(pbx: PBX, url: str, client_class: Any = tcxkit.Client, **kw: Any) -> Any:
    kw.setdefault("token_cache", pbx.cache)
    kw.setdefault("backoff", 0.001)
    return client_class(url, pbx.client_id, pbx.client_secret, **kw)


def _users_named(pbx: PBX, number: str) -> list[dict[str, Any]]:
    with pbx.client() as c:
        return c.call("ListUser", filter=f"Number eq '{number}'", select=["Id", "Number"])["value"]


def _assert_uncertain(err: UncertainWriteError, method: str) -> None:
    assert err.exit_code == 11 and 11 in EXIT_CODES
    assert err.message.startswith(f"{method} http://127.0.0.1:")
    assert "may have been applied by the PBX" in err.message
    assert "It was sent once and not re-sent" in err.message
    assert err.message.endswith(
        ". It was sent once and not re-sent, so that it cannot take effect twice."
    )
    assert ".." not in err.message.replace("...", "")  # one message style: no "response.."
    assert err.hint == (
        "Check on the PBX before trying again: after a create, look the object up "
        "(e.g. client.call('ListUser', filter=\"Number eq '100'\")); after an update or delete, "
        "get the object and compare. Where a duplicate does no harm, "
        "Client(retry_writes=True) re-sends such writes instead."
    )
    assert err.action in ("CreateUser", "UpdateUser", "DeleteUser")
    assert isinstance(err.cause, ConnectionLost | tcxkit.RequestTimeout)
    assert not isinstance(err, tcxkit.TransportError)  # `except TransportError: retry` is safe


def test_create_dropped_after_the_pbx_answered_is_not_resent(pbx: PBX) -> None:
    rule = Rule("POST", "/xapi/v1/Users", times=5)
    with (
        breaking_proxy(pbx.url, rule) as (url, proxy),
        _through(pbx, url) as c,
        pytest.raises(UncertainWriteError) as err,
    ):
        c.call("CreateUser", body=USER)
    _assert_uncertain(err.value, "POST")
    assert "broke off after the request was sent" in err.value.message
    assert proxy.count("POST", "/xapi/v1/Users") == 1
    assert len(_users_named(pbx, "401")) == 1


def test_async_create_dropped_after_the_pbx_answered_is_not_resent(pbx: PBX) -> None:
    async def create(url: str) -> None:
        async with _through(pbx, url, tcxkit.AsyncClient) as c:
            await c.call("CreateUser", body=USER)

    rule = Rule("POST", "/xapi/v1/Users", times=5)
    with breaking_proxy(pbx.url, rule) as (url, proxy), pytest.raises(UncertainWriteError) as err:
        asyncio.run(create(url))
    _assert_uncertain(err.value, "POST")
    assert proxy.count("POST", "/xapi/v1/Users") == 1
    assert len(_users_named(pbx, "401")) == 1


def test_update_and_delete_are_writes_too(pbx: PBX) -> None:
    with pbx.client() as c:
        user_id = c.call("CreateUser", body=USER)["Id"]
    rules = (Rule("PATCH", "/xapi/v1/Users", times=5), Rule("DELETE", "/xapi/v1/Users", times=5))
    with breaking_proxy(pbx.url, *rules) as (url, proxy), _through(pbx, url) as c:
        with pytest.raises(UncertainWriteError) as patched:
            c.call("UpdateUser", Id=user_id, body={"FirstName": "Grace"})
        with pytest.raises(UncertainWriteError) as deleted:
            c.call("DeleteUser", Id=user_id)
    _assert_uncertain(patched.value, "PATCH")
    _assert_uncertain(deleted.value, "DELETE")
    assert proxy.count("PATCH", "/xapi/v1/Users") == 1
    assert proxy.count("DELETE", "/xapi/v1/Users") == 1
    assert _users_named(pbx, "401") == []  # the one DELETE was applied


def test_write_without_an_answer_in_time_is_not_resent(pbx: PBX) -> None:
    with pbx.client() as warm:  # token and release cached, so only the POST goes through
        warm.authenticate()
        warm.call("ListUser", top=1)
    rule = Rule("POST", "/xapi/v1/Users", mode="hang")
    with (
        breaking_proxy(pbx.url, rule) as (url, proxy),
        _through(pbx, url, timeout=httpx.Timeout(30.0, read=0.3)) as c,
    ):
        with pytest.raises(UncertainWriteError) as err:
            c.call("CreateUser", body=USER)
        # The client gave up after 0.3 s; on a loaded machine the proxy may not even have
        # forwarded the POST yet. Wait for the emulator's answer (an event, not a sleep).
        assert proxy.upstream_answered.wait(30)
    _assert_uncertain(err.value, "POST")
    assert "No answer from" in err.value.message
    assert proxy.count("POST", "/xapi/v1/Users") == 1
    assert len(_users_named(pbx, "401")) == 1


def test_a_read_dropped_once_is_retried(pbx: PBX) -> None:
    with (
        breaking_proxy(pbx.url, Rule("GET", "/xapi/v1/Users")) as (url, proxy),
        _through(pbx, url) as c,
    ):
        assert c.call("ListUser", top=1)["value"] == []
    assert proxy.count("GET", "/xapi/v1/Users") == 2
    assert proxy.broken == [("GET", "/xapi/v1/Users")]


def test_a_post_lookup_is_a_read_and_is_retried(pbx: PBX) -> None:
    """The catalog's effect decides, not the method: RetreivePeersByNumbers reads (a POST)."""
    path = "/xapi/v1/Peers/Pbx.RetreivePeersByNumbers"
    with breaking_proxy(pbx.url, Rule("POST", path)) as (url, proxy), _through(pbx, url) as c:
        assert c.call("RetreivePeersByNumbers", peers_request={"DnNumbers": ["100"]}) is not None
    assert proxy.count("POST", path) == 2
    assert proxy.broken == [("POST", path)]


def test_retry_writes_opts_in_to_resending(pbx: PBX) -> None:
    body = {"FirstName": "Twice", "LastName": "Sent"}  # no Number: each POST makes a user
    with (
        breaking_proxy(pbx.url, Rule("POST", "/xapi/v1/Users")) as (url, proxy),
        _through(pbx, url, retry_writes=True) as c,
    ):
        c.call("CreateUser", body=body)
    assert proxy.count("POST", "/xapi/v1/Users") == 2
    with pbx.client() as c:
        assert len(c.call("ListUser", filter="LastName eq 'Sent'")["value"]) == 2


class _FailFirstConnect(httpx.HTTPTransport):
    """The first POST fails as a connect timeout would: before a byte was written."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/xapi/v1/Users" and not self.failed:
            self.failed += 1
            raise httpx.ConnectTimeout("timed out connecting", request=request)
        return super().handle_request(request)


def test_a_write_that_never_left_is_retried(pbx: PBX) -> None:
    transport = _FailFirstConnect()
    with pbx.client(transport=transport) as c:
        assert c.call("CreateUser", body=USER)["Number"] == "401"
    assert transport.failed == 1
    posts = [r for r in pbx.requests() if r["method"] == "POST" and r["path"] == "/xapi/v1/Users"]
    assert len(posts) == 1
    assert len(_users_named(pbx, "401")) == 1


def test_refused_connection_fails_fast_without_retries(tmp_path: Any) -> None:
    with socket_closed_port() as url:
        attempts: list[str] = []

        class Counting(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                attempts.append(request.url.path)
                return super().handle_request(request)

        client = tcxkit.Client(url, "id", "secret", token_cache=tmp_path, transport=Counting())
        with client as c, pytest.raises(ConnectError) as err:
            c.call("ListUser")
    assert attempts == ["/connect/token"]  # no retry: nothing listens there
    assert err.value.transient is False and err.value.request_sent is False
    assert err.value.exit_code == 4
    assert err.value.message.startswith(f"Cannot connect to {url}/connect/token: ")


def socket_closed_port() -> Any:
    import contextlib
    import socket

    @contextlib.contextmanager
    def closed() -> Any:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        yield f"http://127.0.0.1:{port}"

    return closed()


@pytest.mark.parametrize(
    ("sent", "transient", "read_only", "retry_writes", "expected"),
    [
        (False, True, False, False, True),  # connect/pool timeout: never left, any method
        (False, False, True, False, False),  # refused / DNS / TLS: hopeless, even for reads
        (True, True, True, False, True),  # dropped or read timeout: reads again
        (True, True, False, False, False),  # ... writes never
        (True, True, False, True, True),  # ... unless the caller opted in
    ],
)
def test_retry_policy_table(
    sent: bool, transient: bool, read_only: bool, retry_writes: bool, expected: bool
) -> None:
    exc = tcxkit.TransportError("x", request_sent=sent, transient=transient)
    policy = RetryPolicy(retries=3, retry_writes=retry_writes)
    assert policy.after_transport_error(exc, read_only=read_only, attempt=0) is expected
    assert policy.after_transport_error(exc, read_only=read_only, attempt=3) is False
