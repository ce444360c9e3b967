"""tcxkit.redaction: secrets masked at any depth, decided once per field name, input untouched."""

from __future__ import annotations

import copy
import json

from tcxkit import redaction
from tcxkit.catalog import RELEASES, catalog
from tcxkit.redaction import MASK, is_secret_action, is_secret_key, redact, scrub, secret_values


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
    assert sorted(calls) == ["AuthPassword", "Name"]  # once per name; numbers need no judging
    for i in range(10):  # hostile input (emulator logs) cannot grow the cache
        assert not is_secret_key(f"Field{i}")
    assert len(decided) == 3


def test_concealed_values_are_masked_by_schema_whatever_the_field_is_called() -> None:
    settings = {
        "MailServer": "smtp.example.com",
        "MailPassword": {"Concealed": False, "Value": "mail-pw"},
        "SecureSip": {"Certificate": {"Concealed": True, "Contents": "PEM", "Name": "c.pem"}},
        "GbJson": {"Contents": '{"private_key": "k"}', "Name": "sa.json"},  # no Concealed flag
        "Future": {"Concealed": False, "Value": "from a release the catalog does not know"},
        "Empty": {"Concealed": True, "Value": None},
    }
    out = redact(settings)
    assert out["MailPassword"] == {"Concealed": False, "Value": MASK}
    assert out["SecureSip"]["Certificate"] == {"Concealed": True, "Contents": MASK, "Name": "c.pem"}
    assert out["GbJson"] == {"Contents": MASK, "Name": "sa.json"}
    assert out["Future"]["Value"] == MASK
    assert out["Empty"] is settings["Empty"]  # nothing to hide: shared
    assert redact([{"Concealed": False, "Value": "alone"}]) == [{"Concealed": False, "Value": MASK}]
    assert settings["MailPassword"]["Value"] == "mail-pw"  # the input is untouched


def test_the_compiled_table_knows_every_concealed_field_and_secret_action() -> None:
    table = json.loads(redaction._TABLE.read_text(encoding="utf-8"))
    fields = table["concealed_fields"]
    assert {"MailPassword", "AuthPassword", "FtpPassword", "SbcPrivateKey"} <= set(fields)
    assert "Pbx.Trunk" in fields["AuthPassword"]["in"]
    assert fields["SbcPrivateKey"]["schema"] == "Pbx.ConcealedDataFile"
    ids = {a.id for release in RELEASES for a in catalog(release)}
    assert set(table["secret_actions"]) <= ids
    assert all(is_secret_action(a) for a in ("APIToken", "GetPhoneSecret", "GenerateApiKey"))
    assert not is_secret_action("ListUser") and not is_secret_action(None)


def test_a_secret_returning_action_is_masked_whole() -> None:
    assert redact("tok", "APIToken") == MASK
    answer = {"@odata.context": "ctx", "value": "tok"}
    assert redact(answer, "GetPhoneSecret") == {"@odata.context": "ctx", "value": MASK}
    oauth = {"Key": "k", "Value": "https://login/?state=s", "N": 3, "Ok": True}
    assert redact(oauth, "GetOAuth") == {"Key": MASK, "Value": MASK, "N": MASK, "Ok": True}
    assert redact("plain", "ListUser") == "plain"


def test_secrets_sent_are_scrubbed_from_free_text() -> None:
    body = {"MailPassword": {"Value": "mail-pw-123"}, "VMPIN": "4711", "Name": "n"}
    found = secret_values(body)
    assert found == {"mail-pw-123", "4711"}
    text = "MailPassword 'mail-pw-123' rejected; PIN 4711 too short"
    assert scrub(text, found) == f"MailPassword '{MASK}' rejected; PIN {MASK} too short"
    assert scrub({"details": [text]}, found) == {"details": [scrub(text, found)]}
    assert scrub(text, set()) is text
