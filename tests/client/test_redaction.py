"""tcxkit.redaction: secrets masked at any depth, decided once per field name, input untouched."""

from __future__ import annotations

import copy

from tcxkit import redaction
from tcxkit.redaction import MASK, is_secret_key, redact


def test_secrets_are_masked_at_any_depth_and_the_input_is_not_modified() -> None:
    row = {
        "Id": 7,
        "AuthPassword": "hunter2",
        "PinProtected": True,  # a flag, not a secret
        "VMPIN": "",  # nothing to hide
        "Phones": [{"Settings": {"ProvisioningPassword": "p1"}}, {"Model": "T46"}],
        "RefreshTokens": ["a", {"AccessToken": "b"}],
        "NextPageToken": "keep",
        "BossSecretaryMode": "keep",
    }
    before = copy.deepcopy(row)
    out = redact(row)
    assert row == before
    assert out["AuthPassword"] == MASK and out["PinProtected"] is True and out["VMPIN"] == ""
    assert out["Phones"][0]["Settings"]["ProvisioningPassword"] == MASK
    assert out["Phones"][1] is row["Phones"][1]  # unchanged parts are shared, not copied
    assert out["RefreshTokens"] == [MASK, {"AccessToken": MASK}]
    assert out["NextPageToken"] == "keep" and out["BossSecretaryMode"] == "keep"


def test_a_row_without_secrets_is_passed_on_as_it_is() -> None:
    row = {"Id": 1, "Name": "x", "Groups": [{"GroupId": 2, "Rights": {"RoleName": "users"}}]}
    assert redact(row) is row
    assert redact([row, 3, "s"])[0] is row


def test_field_names_are_judged_once_and_the_memory_is_bounded(monkeypatch) -> None:
    decided: dict[str, bool] = {}
    monkeypatch.setattr(redaction, "_DECIDED", decided)
    monkeypatch.setattr(redaction, "_DECIDED_LIMIT", 3)
    calls = []
    real = redaction._SECRET

    class Counting:
        def search(self, key: str):
            calls.append(key)
            return real.search(key)

    monkeypatch.setattr(redaction, "_SECRET", Counting())
    rows = [{"Id": i, "Name": "n", "AuthPassword": "pw"} for i in range(50)]
    assert all(r["AuthPassword"] == MASK for r in map(redact, rows))
    assert sorted(calls) == ["AuthPassword", "Id", "Name"]  # once per name, not per row
    for i in range(10):  # hostile input (emulator logs) cannot grow the cache
        assert not is_secret_key(f"Field{i}")
    assert len(decided) == 3
