"""Planted secrets never reach the model: ``3cx mcp`` read-only and with writes allowed.

The PBX of tests/planted.py holds a distinct planted value in every Concealed* field and
secret-returning action.  Every read of them goes through ``call_action`` over stdio
(the MCP SDK's own client); an error that echoes a secret and the audit file are
scanned too.  None of the planted values may appear -- and with ``--show-secrets``
every one does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..planted import Planted, echoing_error, planted_emulator
from .conftest import Session, client_env, stdio_session


@pytest.fixture(scope="module")
def planted() -> Iterator[Planted]:
    with planted_emulator() as found:
        yield found


@pytest.fixture
def env(planted: Planted, tmp_path: Path) -> dict[str, str]:
    return client_env(planted.emulator, tmp_path)


async def _read_everything(s: Session, planted: Planted) -> list[tuple[str, bool]]:
    """``call_action`` for every planted read; (action, refused?) per call."""
    outcomes = []
    for action_id, args in planted.reads.items():
        params = {k: v for k, v in args.items() if not isinstance(v, dict)}
        body = {k: v for k, v in args.items() if isinstance(v, dict)}
        call: dict[str, Any] = {"action": action_id, "params": params}
        if body:
            call["body"] = body
        error, _ = await s.call("call_action", **call)
        outcomes.append((action_id, error))
    await s.call("system_status")
    return outcomes


async def test_read_only_server_shows_no_planted_secret(
    planted: Planted, env: dict[str, str]
) -> None:
    async with stdio_session(env) as s:
        outcomes = await _read_everything(s, planted)
    answered = [a for a, error in outcomes if not error]
    assert {"GetMailSettings", "ListTrunk", "APIToken", "GetPhoneSecret"} <= set(answered)
    assert "********" in "".join(s.seen)
    assert not planted.leaks(*s.seen)


async def test_writes_allowed_errors_and_audit_show_no_planted_secret(
    planted: Planted, env: dict[str, str], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    secret = "PLANTED-model-sent-9d2e71"
    with echoing_error(planted.emulator, "UpdateMailSettings", secret) as said:
        async with stdio_session(env, "--allow-writes", "--audit-log", str(audit)) as s:
            outcomes = await _read_everything(s, planted)
            error, text = await s.call(
                "call_action",
                action="UpdateMailSettings",
                body={"MailPassword": {"Concealed": False, "Value": secret}},
            )
    assert error and said in text and "********" in text
    written = [a for a, failed in outcomes if not failed]
    assert {"GenerateApiKey", "SetOAuthState", "GetRestoreSettings"} <= set(written)
    assert "GenerateAppToken" not in written  # destructive: needs --allow-destructive
    records = audit.read_text(encoding="utf-8") if audit.exists() else ""
    assert "GenerateApiKey" in records and "UpdateMailSettings" in records
    assert not planted.leaks(*s.seen, records)
    assert secret not in "".join(s.seen) + records


async def test_show_secrets_flag_is_the_way_out(planted: Planted, env: dict[str, str]) -> None:
    flags = ("--allow-writes", "--allow-deletes", "--allow-destructive", "--show-secrets")
    async with stdio_session(env, *flags) as s:
        await _read_everything(s, planted)
    assert planted.leaks(*s.seen) == planted.values
    token = json.loads(s.seen[list(planted.reads).index("APIToken")])
    assert token["value"] == planted.answers["APIToken"]
