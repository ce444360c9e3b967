"""The server's rules without a server: policy, result budget, --http parsing."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tcxkit.catalog import catalog
from tcxkit.mcp.budget import fit
from tcxkit.mcp.policy import Policy, PolicyError, Refusal, resolve_names

from .conftest import BIN


def test_policy_ladder() -> None:
    cat = catalog()
    create, delete, read = (cat.require(n) for n in ("CreateUser", "DeleteUser", "ListUser"))
    restore, reset = cat.require("Restore"), cat.require("ResetQueueStatistics")
    with pytest.raises(Refusal, match=r"CreateUser is a write .* read-only; it was not sent"):
        Policy().check(create)
    with pytest.raises(Refusal, match=r"with --allow-writes --allow-deletes --allow-destructive"):
        Policy().check(restore)
    writes = Policy(allow_writes=True)
    assert writes.check(create) == "write"
    with pytest.raises(Refusal, match=r"DeleteUser deletes data .* with --allow-deletes if"):
        writes.check(delete)
    for action in (restore, reset):
        with pytest.raises(Refusal, match=r"is destructive .* with --allow-deletes --allow-destr"):
            writes.check(action)
    deletes = Policy(allow_writes=True, allow_deletes=True)
    assert deletes.check(delete) == "delete"
    with pytest.raises(Refusal, match=r"Restore is destructive .* with --allow-destructive if"):
        deletes.check(restore)
    assert Policy(True, True, True).check(restore) == "destructive"
    assert not writes.listed(restore) and writes.listed(delete)
    narrow = Policy.from_options(True, False, allow="ListUser, create-user", deny="CreateUser")
    assert narrow.check(read) == "read"
    with pytest.raises(Refusal, match=r"CreateUser is denied on this server \(--deny\)"):
        narrow.check(create)
    with pytest.raises(Refusal, match="GetSystemStatus is not in this server's --allow list"):
        narrow.check(cat.require("GetSystemStatus"))
    assert "Only these actions may run: CreateUser, ListUser." in narrow.summary()
    assert Policy().summary().startswith("READ-ONLY server")


def test_names_are_normalised() -> None:
    expected = frozenset({"UpdateUser", "DeleteUser", "RetreivePeersByNumbers"})
    for spelling in (
        "UpdateUser, DeleteUser,RetreivePeersByNumbers",
        "update-user,delete_user,retreive-peers-by-numbers",
        "users update-user, Users  DeleteUser, peers retreive_peers_by_numbers",
    ):
        assert resolve_names(spelling, "--deny") == expected
    # an action of an older release only is a known name too
    old = {a.id for a in catalog("20.0.4")} - {a.id for a in catalog()}
    assert not old or resolve_names(sorted(old)[0], "--deny") == {sorted(old)[0]}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"deny": "update-usr"}, "--deny: no action 'update-usr' in any XAPI release"),
        ({"allow": "ListUser,Frobnicate"}, "--allow: no action 'Frobnicate' in any XAPI release"),
        ({"deny": "peers delete-user"}, "--deny: no action 'peers delete-user'"),
        ({"allow_deletes": True}, "--allow-deletes needs --allow-writes"),
        ({"allow": " , "}, "--allow names no action; an empty list would allow everything."),
        (
            {"allow_writes": True, "allow_destructive": True},
            "--allow-destructive needs --allow-deletes",
        ),
        (
            {"allow_writes": True, "allow": "ListUser,Restore"},
            "--allow names actions these flags refuse anyway: Restore (destructive: needs "
            "--allow-deletes --allow-destructive).",
        ),
    ],
)
def test_bad_permission_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as err:
        Policy.from_options(**options)
    assert message in str(err.value)
    assert err.value.exit_code == 2


def test_unknown_name_suggests() -> None:
    with pytest.raises(PolicyError) as err:
        Policy.from_options(True, deny="UpdateUsr")
    assert "Did you mean: " in (err.value.hint or "")
    assert "UpdateUser" in (err.value.hint or "")


def test_budget_pages_and_cuts() -> None:
    rows = [{"Id": i, "Name": "x" * 100} for i in range(500)]
    page = json.loads(fit({"value": rows, "@odata.count": 9000}, 4096, skip=1000, action="A"))
    assert page["truncated"] is True
    n = page["returned"]
    assert page["items"] == rows[:n]
    assert page["next"] == {"action": "A", "skip": 1000 + n, "top": n}
    assert page["total"] == 9000
    small = json.loads(fit({"value": rows[:3], "@odata.count": 3}, 4096))
    assert small == {"items": rows[:3], "returned": 3, "skip": 0, "total": 3}
    more = json.loads(fit({"value": rows[:3], "@odata.count": 10}, 4096, action="A"))
    assert more["next"] == {"action": "A", "skip": 3, "top": 3}
    big = fit({"Blob": "y" * 10_000}, 2048)
    assert len(big.encode()) <= 2048
    assert big.endswith("ask for fewer fields with select, or fewer items with top/filter]")
    huge_item = json.loads(fit([{"Blob": "z" * 10_000}], 2048))
    assert huge_item["returned"] == 0
    assert "next" not in huge_item
    assert huge_item["note"].startswith("One item alone is larger than the 2 KB result budget")


def test_bad_http_option_is_a_usage_error() -> None:
    proc = subprocess.run(
        [str(BIN), "mcp", "--http", "localhost"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "3cx: usage error: --http 'localhost': give [HOST:]PORT" in proc.stderr
