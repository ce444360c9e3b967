"""MCP words the core's error facts for a model: tool calls, never Python, nothing dropped."""

from __future__ import annotations

from tcxkit.errors import (
    ConfigurationError,
    ConnectError,
    Problem,
    ServerError,
    UncertainWriteError,
    UnknownActionError,
    ValidationError,
)
from tcxkit.mcp.service import _error_text


def test_a_validation_error_points_to_describe_action() -> None:
    text = _error_text(ValidationError("GetUser", [Problem("Id", "is required (Edm.Int32)")]))
    assert text == (
        "GetUser: the request does not fit the action; nothing was sent.\n"
        "- Id: is required (Edm.Int32)\n"
        "Call describe_action('GetUser') for its parameters and body."
    )


def test_an_unknown_action_gets_the_suggestions_and_search() -> None:
    text = _error_text(UnknownActionError("ListUsers", ["ListUser"], "20.0.10"))
    assert text == (
        "UnknownActionError: No action named 'ListUsers' in XAPI 20.0.10.\n"
        "Did you mean: ListUser? Find others with search_actions."
    )


def test_a_command_line_hint_is_kept_for_the_person_running_the_server() -> None:
    exc = ConfigurationError("No PBX URL.", hint="Run `3cx login` or set TCX_URL.")
    assert _error_text(exc) == (
        "ConfigurationError: No PBX URL.\n"
        "For the person running this server: Run `3cx login` or set TCX_URL."
    )


def test_a_retryable_error_says_so() -> None:
    text = _error_text(ServerError("Service unavailable.", status=503, method="GET"))
    assert text == (
        "ServerError: Service unavailable.\nThis may pass if called again in a little while."
    )
    refused = ConnectError("Refused.", hint="Is the PBX up?", request_sent=False, transient=False)
    assert _error_text(refused) == "ConnectError: Refused.\nIs the PBX up?"


def test_an_uncertain_write_is_worded_as_read_back_first() -> None:
    cause = ConnectError("connection lost")
    text = _error_text(UncertainWriteError("POST", "https://pbx/xapi/v1/Users", cause))
    assert text.endswith(
        "Do not call this action again yet: read the object back first (the list or get "
        "action of the same resource) and call it again only if the change is missing."
    )
    assert "retry_writes" not in text
