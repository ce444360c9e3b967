"""``search_actions`` over stdio holds the evaluation set's bar (tests/search_eval/).

One server (the SDK's client over stdio against ``3cx mcp`` on the emulator, every
action listed), every held-out sentence through it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.mcp.audit import AuditLog, Where
from tcxkit.mcp.policy import Policy
from tcxkit.mcp.service import Toolbox, ToolFailure
from tests.search_eval.evalset import load, score
from tests.search_eval.test_evalset import TOP1, TOP3

from .conftest import stdio_session


async def test_held_out_sentences_through_mcp(mcp_emulator: Any, mcp_env: dict[str, str]) -> None:
    requests = load("held-out", "sentence")
    answers: dict[str, list[str]] = {}
    # Every rung open: the bar is over the whole catalog; a server that may not run
    # destructive actions leaves them out of its answers by design (test_permissions).
    rungs = ("--allow-writes", "--allow-deletes", "--allow-destructive")
    async with stdio_session(mcp_env, *rungs) as s:
        for req in requests:
            found = await s.ok("search_actions", query=req.query, limit=10)
            answers[req.query] = [item["action"] for item in found["items"]]
        values = await s.ok(
            "search_actions", query="Which extensions are members of the Sales queue?", limit=3
        )
    result = score(requests, lambda q: answers[q])
    assert result.n >= 100
    assert result.rate(3) >= TOP3 and result.rate(1) >= TOP1, (
        result.rate(1),
        result.rate(3),
        result.misses,
    )
    assert values["items"][0]["action"] == "ListAgents"
    assert values["items"][0]["why"]
    assert values["arguments"] == [
        {
            "value": "Sales",
            "kind": "name",
            "hint": "`Sales` looks like a queue name: `ListQueue` with `$filter=Name eq 'Sales'`",
        }
    ]


def test_search_answer_fits_a_small_budget(tmp_path: Path) -> None:
    """A tight --max-result-kb drops the weakest matches; the answer stays whole JSON."""
    client = Client("https://pbx.invalid", "mcp", "never-sent", release="20.0.10")
    audit = AuditLog(tmp_path / "audit.jsonl", Where("https://pbx.invalid", None, "test"))
    tb = Toolbox(client, Policy(), audit, 2048)
    answer = json.loads(tb.search("Which extensions are members of the Sales queue?", limit=50))
    assert 1 <= len(answer["items"]) < 50
    assert answer["items"][0]["action"] == "ListAgents"
    assert answer["arguments"][0]["value"] == "Sales"
    assert len(json.dumps(answer, separators=(",", ":")).encode()) <= 2048
    with pytest.raises(ToolFailure, match=r"No action matches 'zebra'\. Try other words"):
        tb.search("zebra")
    with pytest.raises(ToolFailure, match="No resource 'nope'"):
        tb.search("users", resource="nope")
