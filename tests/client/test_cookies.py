"""tcxkit's own HTTP client keeps no cookies; a caller's client keeps its own."""

from __future__ import annotations

import httpx

import tcxkit

from ..proxy import Rule, breaking_proxy
from .conftest import PBX


def _set_cookie() -> Rule:
    return Rule(
        "GET",
        "/xapi/v1/Users",
        mode="answer",
        status=200,
        headers=(("Content-Type", "application/json"), ("Set-Cookie", "lb=node-7; Path=/")),
        body=b'{"value": []}',
    )


def _two_calls(pbx: PBX, **kw: object) -> list[str]:
    with pbx.client() as warm:  # token cached, so only the two calls pass the proxy
        warm.call("ListUser", top=1)
    with (
        breaking_proxy(pbx.url, _set_cookie()) as (url, state),
        tcxkit.Client(url, pbx.client_id, pbx.client_secret, token_cache=pbx.cache, **kw) as c,
    ):
        assert c.call("ListUser", top=1) == {"value": []}  # the answer that set the cookie
        assert "@odata.context" in c.call("ListUser", top=1)  # the PBX's own answer
        return [cookie for path, cookie in state.cookies if path == "/xapi/v1/Users"]


def test_own_http_client_sends_no_cookie_back(pbx: PBX) -> None:
    """XAPI authenticates by bearer token, so the jar (15 us a call in httpx) is skipped."""
    assert _two_calls(pbx) == ["", ""]


def test_a_callers_http_client_keeps_its_cookies(pbx: PBX) -> None:
    with httpx.Client() as http:
        assert _two_calls(pbx, http=http) == ["", "lb=node-7"]
