"""Airflow's retry rule follows the catalog's effect, for every action of every release.

The same check as tests/test_effects.py for the Airflow face (it needs the Airflow venv):
each action's 503 goes through the pipeline that builds the error in production, then
through ``to_airflow_error``; only a ``read`` may be retried by Airflow.
"""

from __future__ import annotations

import pytest

from tcxkit.airflow.errors import ThreeCXError, ThreeCXPermanentError, to_airflow_error
from tcxkit.catalog import RELEASES, catalog
from tcxkit.errors import (
    ApiError,
    ConnectError,
    Problem,
    ServerError,
    TcxError,
    ValidationError,
)
from tcxkit.pipeline import PreparedRequest, RawResponse, interpret


@pytest.mark.parametrize("release", RELEASES)
def test_a_5xx_is_retried_only_for_reads(release: str) -> None:
    answer = RawResponse(503, {"x-3cx-version": "20.0.10.1000"})
    seen = set()
    for action in catalog(release):
        prepared = PreparedRequest(action=action, method=action.method, path=action.path)
        with pytest.raises(ServerError) as err:
            interpret(prepared, answer, url=f"https://pbx{action.path}")
        failure = to_airflow_error(err.value)
        expected = ThreeCXError if action.effect == "read" else ThreeCXPermanentError
        assert type(failure) is expected, action
        seen.add((action.method, action.effect))
    assert ("POST", "read") in seen  # RetreivePeersByNumbers and friends: retried like a GET


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectError("timed out connecting", request_sent=False), ThreeCXError),
        (ConnectError("no such host", request_sent=False, transient=False), ThreeCXPermanentError),
        (ApiError("busy", status=429, method="GET"), ThreeCXError),
        (ApiError("bad", status=400, method="GET"), ThreeCXPermanentError),
        (ValidationError("GetUser", [Problem("Id", "is required")]), ThreeCXPermanentError),
    ],
)
def test_airflow_retries_what_the_core_calls_retryable(error: TcxError, expected: type) -> None:
    """The core decides (``facts.retryable``: ``transient``, reads answered 5xx/408/429)."""
    assert error.facts.retryable is (expected is ThreeCXError)
    assert type(to_airflow_error(error)) is expected
