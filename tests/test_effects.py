"""One effect per action, and every face decides from it (issue #18, Deliver 1).

Every action of every shipped release is listed with its compiled effect; the library's
retry rules, the CLI's confirmation and MCP's gating, listing and annotations are each
asked through the function they use in production, and must agree with the effect.
(Airflow's retry rules get the same treatment in tests/airflow/test_effects.py, in the
Airflow venv.) A face that classifies on its own -- a regex on the id, a check of the
method -- fails here for the first action where it differs.
"""

from __future__ import annotations

import io
import json
import sys
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from tcxkit.catalog import RELEASES, catalog
from tcxkit.catalog.model import EFFECTS, Action
from tcxkit.catalog.render import render_markdown, render_text
from tcxkit.cli.lazy import action_command
from tcxkit.cli.safety import confirm_delete
from tcxkit.errors import RequestTimeout, UsageError
from tcxkit.mcp.policy import Policy, Refusal, hints
from tcxkit.pipeline import PreparedRequest
from tcxkit.retry import RetryPolicy

ROOT = Path(__file__).resolve().parents[1]
TABLE = json.loads((ROOT / "src/tcxkit/catalog/effects.json").read_text())
RANK = {e: i for i, e in enumerate(EFFECTS)}

#: The MCP flag ladder: (writes, deletes, destructive) and the highest effect it opens.
LADDER = [
    ((False, False, False), "read"),
    ((True, False, False), "write"),
    ((True, True, False), "delete"),
    ((True, True, True), "destructive"),
]


def every_action() -> list[Action]:
    return [a for release in RELEASES for a in catalog(release)]


def test_every_action_has_one_reviewed_effect() -> None:
    actions = every_action()
    assert len(actions) == 3932  # 526 + 531 + 547 + 566 + 571 + 590 + 601
    effects: dict[str, set[str]] = {}
    for a in actions:
        assert a.effect in EFFECTS, a
        effects.setdefault(a.id, set()).add(a.effect)
        if a.method == "POST":
            assert TABLE["effects"][a.id] == a.effect, a  # every POST is reviewed
        elif a.id not in TABLE["effects"]:
            default = {"GET": "read", "PATCH": "write", "PUT": "write", "DELETE": "delete"}
            assert a.effect == default[a.method], a
    assert all(len(e) == 1 for e in effects.values())  # an id means one thing in every release
    posts = [a for a in catalog() if a.method == "POST"]
    assert len(posts) == 180
    # the examples
    for name in ("RetreivePeersByNumbers", "GetRoutes", "GetDirectoryInfo"):
        assert catalog().require(name).effect == "read"
    for name in (
        "ResetQueueStatistics",
        "CleanUpFax",
        "Restore",
        "RegeneratePasswords",
        "RestartOperatingSystem",
        "UpgradeDebian",
        "InstallUpdates",
        "ReplaceLicenseKey",
        "RevokeToken",
        "ArchiveRecordings",
        "PurgeCalls",
        "BulkRecordingsDelete",
    ):
        assert catalog().require(name).effect == "destructive", name
    assert catalog().require("DeleteUser").effect == "delete"
    assert catalog().require("UpdateUser").effect == "write"


def test_retries_follow_the_effect() -> None:
    """The client's flow asks the policy with ``PreparedRequest.read_only``."""
    policy = RetryPolicy()
    dropped = RequestTimeout("read timed out")  # request_sent: may have reached the PBX
    for a in every_action():
        read_only = PreparedRequest(action=a, method=a.method, path=a.path).read_only
        is_read = a.effect == "read"
        assert policy.after_status(503, read_only=read_only, attempt=0) is is_read, a
        assert policy.after_transport_error(dropped, read_only=read_only, attempt=0) is is_read
        assert a.read_only is is_read


def test_cli_confirmation_follows_the_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a terminal, an action that asks first stops unless --yes; others go on."""
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    for release in RELEASES:
        cat = catalog(release)
        for a in cat:
            asks = a.effect in ("delete", "destructive")
            try:
                confirm_delete(a, {}, "the PBX", count=None, yes=False)
                asked = False
            except UsageError as exc:
                asked = True
                assert "not confirmed, nothing was sent" in exc.message
            assert asked is asks, a
            confirm_delete(a, {}, "the PBX", count=None, yes=True)  # --yes never asks
            flags = {o for p in action_command(cat, a.id).params for o in p.opts}
            assert ("--yes" in flags) is asks, a


def test_mcp_gating_and_listing_follow_the_effect() -> None:
    actions = every_action()
    for (writes, deletes, destructive), opened in LADDER:
        policy = Policy(writes, deletes, destructive)
        for a in actions:
            allowed = RANK[a.effect] <= RANK[opened]
            try:
                assert policy.check(a) == a.effect
                ran = True
            except Refusal:
                ran = False
            assert ran is allowed, (a, opened)
            assert policy.listed(a) is (a.effect != "destructive" or destructive), a
        assert policy.effects() == {e for e in EFFECTS if RANK[e] <= RANK[opened]}


def test_mcp_annotations_follow_the_effect() -> None:
    """Per effect, and for call_action under every rung of the ladder (from the server)."""
    for effect in EFFECTS:
        h = hints({effect})
        assert h.read_only is h.idempotent is (effect == "read")
        assert h.destructive is (effect in ("delete", "destructive"))
        assert h.open_world is True
    import anyio

    from tcxkit.mcp.server import build_server
    from tcxkit.mcp.service import Toolbox

    async def tools(policy: Policy) -> dict[str, Any]:
        server = build_server(Toolbox(None, policy, None, 1024))  # type: ignore[arg-type]
        return {t.name: t.annotations for t in await server.list_tools()}

    for (writes, deletes, destructive), opened in LADDER:
        found = anyio.run(tools, Policy(writes, deletes, destructive))
        call = found.pop("call_action")
        assert call.read_only_hint is call.idempotent_hint is (opened == "read")
        assert call.destructive_hint is (opened in ("delete", "destructive"))
        assert call.open_world_hint is True
        queue = found.pop("change_queue_agents", None)  # a write task: listed where writes run
        assert (queue is not None) is writes
        if queue is not None:
            assert (queue.read_only_hint, queue.destructive_hint) == (False, False)
        for name, ann in found.items():  # the other tools only read
            assert (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint) == (
                True,
                False,
                True,
            ), name
            assert ann.open_world_hint is (name not in ("search_actions", "describe_action"))
    narrow = anyio.run(tools, Policy(True, allow=frozenset({"ListUser", "GetSystemStatus"})))
    assert narrow["call_action"].read_only_hint is True  # --allow names only reads


def test_actions_show_names_the_effect() -> None:
    for name, effect in (("Restore", "destructive"), ("RetreivePeersByNumbers", "read")):
        action = catalog().require(name)
        assert f"Effect: {effect}" in render_text(action, catalog())
        assert f"· effect **{effect}**" in render_markdown(action, catalog())


@pytest.mark.parametrize("entry", ["drop", "bad"])
def test_compile_refuses_an_unreviewed_post(
    entry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("cc", ROOT / "scripts/compile_catalogs.py")
    assert spec and spec.loader
    cc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cc)
    table = json.loads(json.dumps(TABLE))
    if entry == "drop":
        del table["effects"]["ResetQueueStatistics"]
    else:
        table["effects"]["ResetQueueStatistics"] = "harmless"
    path = tmp_path / "effects.json"
    path.write_text(json.dumps(table))
    monkeypatch.setattr(cc, "EFFECTS_FILE", path)
    errors = io.StringIO()
    monkeypatch.setattr(sys, "stderr", errors)
    assert cc.main(["--check"]) == 1
    text = errors.getvalue()
    if entry == "drop":
        assert "POST action(s) have no reviewed effect in src/tcxkit/catalog/effects.json: " in text
        assert "ResetQueueStatistics" in text
    else:
        assert "effects.json: not one of read, write, delete, destructive" in text


@pytest.mark.parametrize("effect", EFFECTS)
def test_table_rules_are_documented(effect: str) -> None:
    assert TABLE["rules"][effect]
    text = (ROOT / "docs/architecture.md").read_text()
    assert f"`{effect}`" in text.split("### Effects", 1)[1].split("\n### ", 1)[0]


def test_product_of_flags_is_the_ladder() -> None:
    """Every flag combination either is a rung of the ladder or is a usage error."""
    from tcxkit.mcp.policy import PolicyError

    rungs = {flags for flags, _ in LADDER}
    for flags in product((False, True), repeat=3):
        w, d, x = flags
        if flags in rungs:
            assert Policy.from_options(w, d, allow_destructive=x) == Policy(w, d, x)
        else:
            with pytest.raises(PolicyError):
                Policy.from_options(w, d, allow_destructive=x)
