"""fleet.toml parsing, selectors and secret sources (no secret ever read from the file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tcxkit import ConfigurationError, UsageError
from tcxkit.fleet import (
    PbxTarget,
    SecretRef,
    dump_inventory,
    load_inventory,
    parse_inventory,
    resolve_secret,
    select,
)

INVENTORY = """
[pbx.acme]
url = "https://acme.example.com:5001/"
client_id = "tcx"
tags = ["customers", "eu"]
secret_env = "ACME_KEY"

[pbx.beta]
url = "https://beta.example.com"
client_id = "tcx"
tags = ["customers"]
secret_file = "keys/beta"
ca_bundle = "ca.pem"

[pbx.lab]
url = "http://127.0.0.1:5001"
client_id = "lab"
"""


def test_parse_targets_and_defaults(tmp_path: Path) -> None:
    acme, beta, lab = parse_inventory(INVENTORY, "fleet.toml", tmp_path)
    assert acme == PbxTarget(
        "acme",
        "https://acme.example.com:5001",
        "tcx",
        SecretRef("env", "ACME_KEY"),
        ("customers", "eu"),
        source="fleet.toml",
    )
    assert beta.secret == SecretRef("file", str(tmp_path / "keys/beta"))
    assert beta.verify == str(tmp_path / "ca.pem")
    assert lab.secret == SecretRef("keyring", "lab") and lab.tags == ()


def test_round_trip(tmp_path: Path) -> None:
    targets = parse_inventory(INVENTORY, "fleet.toml", tmp_path)
    path = tmp_path / "again.toml"
    path.write_text(dump_inventory(targets))
    assert [(t.name, t.secret, t.tags) for t in load_inventory(path)] == [
        (t.name, t.secret, t.tags) for t in targets
    ]


@pytest.mark.parametrize("key", ["client_secret", "secret", "api_key"])
def test_a_secret_in_the_file_is_refused_unread(key: str) -> None:
    text = f'[pbx.acme]\nurl = "https://a"\nclient_id = "x"\n{key} = "s3cr3t-value"\n'
    with pytest.raises(ConfigurationError) as info:
        parse_inventory(text, "fleet.toml")
    assert f"[pbx.acme] holds a secret ({key})" in info.value.message
    assert "s3cr3t-value" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[pbx.a]\nclient_id = "x"\n', "fleet.toml: [pbx.a] needs url (a string)."),
        ('[pbx.a]\nurl = "u"\nclient_id = "x"\ncolour = 1\n', "unknown key(s) colour"),
        ('[pbx.a]\nurl = "u"\nclient_id = "x"\ntags = "eu"\n', "tags must be a list"),
        ('[pbx.all]\nurl = "u"\nclient_id = "x"\n', "(not 'all')"),
        ('[pbx.a]\nurl = "u"\nclient_id = "x"\nsecret_env="A"\nsecret_file="b"\n', "give one of"),
        ("[pbx.a\n", "not valid TOML"),
        ('[server]\nurl = "u"\n', "unknown top-level key(s) server"),
    ],
)
def test_bad_inventories(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_inventory(text, "fleet.toml")
    assert message in info.value.message


def test_missing_file() -> None:
    with pytest.raises(ConfigurationError, match=r"Cannot read the inventory /nonexistent/f\.toml"):
        load_inventory("/nonexistent/f.toml")


def test_selectors(tmp_path: Path) -> None:
    targets = parse_inventory(INVENTORY, "fleet.toml", tmp_path)
    names = lambda sel: [t.name for t in select(targets, sel)]  # noqa: E731
    assert names("all") == ["acme", "beta", "lab"]
    assert names("customers") == ["acme", "beta"]
    assert names("eu") == ["acme"]
    assert names("lab, eu") == ["acme", "lab"]  # inventory order
    with pytest.raises(UsageError) as info:
        select(targets, "eu,nope")
    assert info.value.message == "--fleet: no PBX or tag named 'nope'."
    assert info.value.hint == "PBXs: acme, beta, lab; tags: customers, eu (see `3cx fleet list`)."
    with pytest.raises(UsageError, match="'all' already selects every PBX"):
        select(targets, "all,eu")
    with pytest.raises(UsageError, match="--fleet needs a selector"):
        select(targets, " , ")
    with pytest.raises(UsageError, match="the fleet is empty"):
        select([], "all")


def test_secret_file_must_be_private(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("the-key-value\n")
    target = PbxTarget("a", "http://x", "c", SecretRef("file", str(key)))
    os.chmod(key, 0o644)
    with pytest.raises(ConfigurationError) as info:
        resolve_secret(target)
    assert info.value.message == (
        f"The secret file {key} is readable by others (mode -rw-r--r--); it was not used."
    )
    assert info.value.hint == f"Make it private: chmod 600 {key}"
    os.chmod(key, 0o600)
    assert resolve_secret(target) == "the-key-value"
    key.write_text("")
    with pytest.raises(ConfigurationError, match="is empty"):
        resolve_secret(target)
