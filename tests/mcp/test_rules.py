"""The server's rules without a server: policy, result budget, --http parsing."""

from __future__ import annotations

import json
import subprocess

import pytest

from tcxkit.catalog import catalog
from tcxkit.mcp.budget import fit
from tcxkit.mcp.launch import parse_http
from tcxkit.mcp.policy import Policy, Refusal, kind_of

from .conftest import BIN


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("ListUser", "read"),
        ("RetreivePeersByNumbers", "read"),  # a POST lookup
        ("GetDirectoryInfo", "read"),
        ("CreateUser", "write"),
        ("UpdateUser", "write"),
        ("MakeCall", "write"),
        ("DeleteUser", "delete"),
        ("BatchDelete", "delete"),  # a POST batch delete
        ("BulkRecordingsDelete", "delete"),
        ("PurgeCalls", "delete"),
    ],
)
def test_kind_of(action: str, kind: str) -> None:
    assert kind_of(catalog().require(action)) == kind


def test_policy_layers() -> None:
    cat = catalog()
    create, delete, read = (cat.require(n) for n in ("CreateUser", "BatchDelete", "ListUser"))
    with pytest.raises(Refusal, match=r"CreateUser is a write .* read-only; it was not sent"):
        Policy().check(create)
    writes = Policy(allow_writes=True)
    assert writes.check(create) == "write"
    with pytest.raises(Refusal, match=r"BatchDelete deletes data .* --allow-deletes"):
        writes.check(delete)
    assert Policy(allow_writes=True, allow_deletes=True).check(delete) == "delete"
    narrow = Policy.from_options(True, False, allow="ListUser, CreateUser", deny="CreateUser")
    assert narrow.check(read) == "read"
    with pytest.raises(Refusal, match=r"CreateUser is denied on this server \(--deny\)"):
        narrow.check(create)
    with pytest.raises(Refusal, match="GetSystemStatus is not in this server's --allow list"):
        narrow.check(cat.require("GetSystemStatus"))
    assert "Only these actions may run: CreateUser, ListUser." in narrow.summary()
    assert Policy().summary().startswith("READ-ONLY server")


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


def test_parse_http() -> None:
    assert parse_http("8765") == ("127.0.0.1", 8765)
    assert parse_http("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_http("[::1]:9000") == ("::1", 9000)
    for bad in ("localhost", "1:99999", ""):
        with pytest.raises(ValueError, match=r"--http wants \[HOST:\]PORT"):
            parse_http(bad)


def test_bad_http_option_is_a_usage_error() -> None:
    proc = subprocess.run(
        [str(BIN), "mcp", "--http", "localhost"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "Invalid value for --http: --http wants [HOST:]PORT" in proc.stderr
