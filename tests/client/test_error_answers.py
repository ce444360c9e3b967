"""Errors from whoever answered: the PBX's envelope, a gateway's problem+json, HTML, text."""

from __future__ import annotations

import json

import pytest

import tcxkit
from tcxkit import ApiError, ServerError
from tcxkit.errors import ErrorFacts, HintPart

from ..proxy import Rule, breaking_proxy
from .conftest import PBX

PROBLEM = json.dumps(
    {
        "type": "https://gateway.example/problems/validation",
        "title": "Request rejected",
        "status": 422,
        "detail": "The request body failed the gateway's policy: FirstName too long.",
        "errors": {"FirstName": ["must be at most 64 characters"]},
    }
).encode()


def _call_through(pbx: PBX, rule: Rule) -> ApiError:
    with pbx.client() as warm:  # token and release cached: only the call meets the rule
        warm.call("ListUser", top=1)
    with (
        breaking_proxy(pbx.url, rule) as (url, _),
        tcxkit.Client(url, pbx.client_id, pbx.client_secret, token_cache=pbx.cache) as c,
        pytest.raises(ApiError) as err,
    ):
        c.call("ListUser", top=1)
    return err.value


def test_problem_json_from_a_gateway_is_shown(pbx: PBX) -> None:
    rule = Rule(
        "GET",
        "/xapi/v1/Users",
        mode="answer",
        status=422,
        headers=(("Content-Type", "application/problem+json"), ("X-Request-Id", "abc-123")),
        body=PROBLEM,
    )
    err = _call_through(pbx, rule)
    assert type(err) is ApiError and err.status == 422
    assert err.message.startswith("ListUser: the PBX refused the request (422).")
    assert "FirstName: must be at most 64 characters" in err.message
    assert err.code == "https://gateway.example/problems/validation"
    assert err.details == [
        {"code": "", "message": "must be at most 64 characters", "target": "FirstName"}
    ]
    assert err.headers["x-request-id"] == "abc-123"
    assert err.pbx_version is None


def test_html_error_page_from_a_proxy_is_read_and_not_blamed_on_parameters(pbx: PBX) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    page += b"<hr><center>nginx</center></body></html>"
    rule = Rule(
        "GET",
        "/xapi/v1/Users",
        mode="answer",
        status=500,
        headers=(("Content-Type", "text/html"), ("Retry-After", "7")),
        body=page,
        times=10,
    )
    err = _call_through(pbx, rule)
    assert isinstance(err, ServerError) and err.status == 500
    assert err.message.startswith(
        "ListUser: the server (a proxy or gateway in front of the PBX?) failed with 500 for GET "
    )
    assert "502 Bad Gateway 502 Bad Gateway nginx" in err.message
    assert "function parameter" not in err.hint
    assert err.hint.startswith("The answer did not come from XAPI")
    assert err.retry_after == "7"


def test_pbx_500_keeps_the_parameter_hint_and_its_version(pbx: PBX) -> None:
    pbx.fault(path="/xapi/v1/Users", status=500, times=10)
    with pbx.client(retries=0) as c, pytest.raises(ServerError) as err:
        c.call("ListUser", top=1)
    assert err.value.message.startswith("ListUser: the PBX failed with 500 for GET ")
    assert "wrongly typed function parameter" in err.value.hint
    assert err.value.pbx_version and err.value.pbx_version.startswith("20.0.10")


def test_a_url_httpx_refuses_is_a_validation_error_and_nothing_is_sent(pbx: PBX, tmp_path) -> None:
    """httpx.InvalidURL (a control character, a URL too long) never escapes as itself."""
    with pbx.client() as c:
        c.authenticate()
        pbx.clear_requests()
        with pytest.raises(tcxkit.ValidationError) as info:
            c.download_url("/xapi/v1/Backups/a\x01b", tmp_path / "x.zip")
        assert info.value.problems[0].path == "url"
        assert info.value.problems[0].message.startswith(
            "cannot be sent: Invalid non-printable ASCII character in URL"
        )
        assert info.value.hint == "Check the PBX URL and the values that go into the path or query."
        with pytest.raises(tcxkit.ValidationError) as info:
            c.download_url("/xapi/v1/Backups/" + "a" * 70_000, tmp_path / "x.zip")
        assert "makes the request line 70 032 bytes long" in info.value.problems[0].message
    assert pbx.requests() == []
    assert not (tmp_path / "x.zip").exists()


def test_a_reworded_answer_keeps_every_fact_of_the_exchange(pbx: PBX) -> None:
    """``ApiError.reworded``: a face that knows what it looked for words a 404 its way."""
    with pbx.client() as c, pytest.raises(tcxkit.NotFoundError) as err:
        c.call("GetUserByNumber", Number="99997")
    original = err.value
    again = original.reworded("No user has the number '99997'.", hint="List them.")
    assert type(again) is tcxkit.NotFoundError and again is not original
    assert str(again) == "No user has the number '99997'.\nList them."
    assert (again.status, again.method, again.url) == (404, "GET", original.url)
    assert (again.code, again.details, again.headers) == (
        original.code,
        original.details,
        original.headers,
    )
    assert again.facts == ErrorFacts(True, "read", False, False, (HintPart("text", "List them."),))
    assert original.message != again.message  # the original is untouched
