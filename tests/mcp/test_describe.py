"""``describe_action`` tells the truth: its example of every create and update of 20.0.10
succeeds on the demo PBX, and the fields it calls required are the ones the PBX refuses
to do without (the service layer over real HTTP, as the MCP tools call it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.catalog import catalog
from tcxkit.catalog.examples import example_body
from tcxkit.catalog.required import required_fields
from tcxkit.emulator import EmulatorConfig, running
from tcxkit.mcp.audit import AuditLog, Where
from tcxkit.mcp.policy import Policy
from tcxkit.mcp.service import Toolbox, ToolFailure

SECRET = "describe-test-secret-8Zr1"
CAT = catalog("20.0.10")
CREATES = sorted(a.id for a in CAT if a.method == "POST" and a.id.startswith("Create"))
UPDATES = sorted(a.id for a in CAT if a.method == "PATCH")


@pytest.fixture(scope="module")
def tb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Toolbox]:
    """A private demo PBX (these examples write) and a toolbox that may write."""
    config = EmulatorConfig(client_id="describe-tests", client_secret=SECRET, port=0)
    with (
        running(config) as emu,
        Client(emu.url, emu.client_id, SECRET, token_cache=False) as client,
    ):
        where = Where(emu.url, None, "test")
        audit = AuditLog(tmp_path_factory.mktemp("audit") / "audit.jsonl", where)
        yield Toolbox(client, Policy(allow_writes=True), audit, 64 * 1024)


def _described(tb: Toolbox, action: str) -> dict[str, Any]:
    return json.loads(tb.describe(action))


def _run_example(tb: Toolbox, action: str) -> str | None:
    """None when the described example succeeds, else the tool's error."""
    example = _described(tb, action).get("example", {})
    try:
        tb.call(action, example.get("params"), example.get("body"))
    except ToolFailure as exc:
        return f"{action} {json.dumps(example)}: {exc}"
    return None


def test_there_is_something_to_check() -> None:
    assert CAT.release == "20.0.10"
    assert len(CREATES) >= 25 and len(UPDATES) >= 60


def test_every_create_and_update_example_succeeds(tb: Toolbox) -> None:
    """Creates first (updates of what they name come after), as a person would try them."""
    failures = [why for a in [*CREATES, *UPDATES] if (why := _run_example(tb, a)) is not None]
    assert failures == []


def test_examples_hold_every_required_field(tb: Toolbox) -> None:
    for name in CREATES:
        described = _described(tb, name)
        must = described.get("body", {}).get("required_fields", {})
        body = described.get("example", {}).get("body")
        assert set(must) <= set(body if isinstance(body, dict) else {}), name
        fields = described.get("body", {}).get("fields")
        if isinstance(fields, dict):
            assert list(fields)[: len(must)] == sorted(must), name  # required first
            assert all(fields[f].endswith("(required)") for f in must), name


@pytest.mark.parametrize(
    "name", [a.id for a in CAT if a.method == "POST" and required_fields(a, CAT)]
)
def test_each_required_fact_is_what_the_pbx_enforces(tb: Toolbox, name: str) -> None:
    """Leave a field out that describe_action calls required: the PBX refuses, naming it."""
    action = CAT.require(name)
    body = dict(example_body(action, CAT))
    for field in required_fields(action, CAT):
        without = {k: v for k, v in body.items() if k != field}
        with pytest.raises(ToolFailure) as refused:
            tb.call(name, None, without)
        assert f"- {field}: WARNINGS.XAPI.REQUIRED" in str(refused.value), name


def test_blacklist_create_requires_its_id(tb: Toolbox) -> None:
    described = _described(tb, "CreateBlackListNumber")
    assert list(described["body"]["required_fields"]) == ["Id"]
    assert described["body"]["fields"]["Id"] == "string (required)"
    assert described["example"]["body"]["Id"] == "+441632960999"
    queue = _described(tb, "CreateQueue")
    assert queue["body"]["defaults"]["Number"].startswith("left out: the first free number")
    update = _described(tb, "UpdateQueue")
    assert "required_fields" not in update["body"]  # an update sends only what changes
    assert update["example"]["params"] == {"Id": 31}  # typed as a model sends it


def test_action_pages_say_the_same() -> None:
    """`3cx actions show` and docs/actions/ read the same reviewed facts."""
    from tcxkit.catalog.render import render_markdown, render_text

    action = CAT.require("CreateBlackListNumber")
    assert "  The PBX requires: Id (the entry's text key" in render_text(action, CAT)
    assert "The PBX requires: Id (the entry's text key" in render_markdown(action, CAT)
    assert "The PBX requires" not in render_text(CAT.require("UpdateBlackListNumber"), CAT)
