"""fleet.toml parsing, selectors and secret sources (no secret ever read from the file)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    assert _refusal(lambda: resolve_secret(target)) == (
        f"The secret file {key} is readable or writable by other users (mode -rw-r--r--); "
        "it holds an API key, so it was not used.",
        f"Run: chmod 600 {key}",
    )
    os.chmod(key, 0o600)
    assert resolve_secret(target) == "the-key-value"
    key.write_text("")
    with pytest.raises(ConfigurationError, match="is empty"):
        resolve_secret(target)


def _refusal(load: Callable[[], Any]) -> tuple[str, str | None]:
    """The message and hint of the ConfigurationError ``load()`` raises (never the key)."""
    with pytest.raises(ConfigurationError) as info:
        load()
    assert "the-key-value" not in str(info.value)
    return info.value.message, info.value.hint


def _inventory(folder: Path, mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fleet.toml"
    path.write_text(INVENTORY)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o666, 0o646, 0o664])
def test_an_inventory_others_can_write_is_refused_with_the_chmod(tmp_path: Path, mode: int) -> None:
    path = _inventory(tmp_path / "inv", mode)
    shown = "-rw-rw-rw-" if mode == 0o666 else ("-rw-r--rw-" if mode == 0o646 else "-rw-rw-r--")
    assert _refusal(lambda: load_inventory(path)) == (
        f"The inventory {path} is writable by other users (mode {shown}); whoever can "
        "change it decides where API keys go, so it was not used.",
        f"Run: chmod go-w {path}",
    )
    os.chmod(path, 0o644)
    assert [t.name for t in load_inventory(path)] == ["acme", "beta", "lab"]


def test_an_inventory_in_a_folder_others_can_write_is_refused(tmp_path: Path) -> None:
    path = _inventory(tmp_path / "shared" / "inv", 0o644)
    for folder in (path.parent, path.parent.parent):
        os.chmod(folder, 0o777)
        assert _refusal(lambda: load_inventory(path)) == (
            f"The inventory {path} is in a folder other users can write to ({folder}, mode "
            "drwxrwxrwx); whoever can change it decides where API keys go, so it was not used.",
            f"Run: chmod go-w {folder}",
        )
        os.chmod(folder, 0o755)
    assert len(load_inventory(path)) == 3


def test_a_sticky_folder_like_tmp_is_fine_when_the_entries_are_the_users(tmp_path: Path) -> None:
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)
    path = _inventory(sticky, 0o600)
    assert len(load_inventory(path)) == 3
    link = tmp_path / "open"
    link.mkdir()
    os.chmod(link, 0o777)
    (link / "fleet.toml").symlink_to(path)  # the link's folder counts as well as the file's
    with pytest.raises(
        ConfigurationError, match=f"in a folder other users can write to \\({link},"
    ):
        load_inventory(link / "fleet.toml")


def test_a_secret_file_in_an_open_folder_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    key = keys / "acme"
    key.write_text("the-key-value\n")
    os.chmod(key, 0o600)
    os.chmod(keys, 0o770)
    target = PbxTarget("a", "https://x", "c", SecretRef("file", str(key)))
    assert _refusal(lambda: resolve_secret(target))[1] == f"Run: chmod go-w {keys}"
    os.chmod(keys, 0o700)
    assert resolve_secret(target) == "the-key-value"


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:Pa55w0rd@acme.example.com:5001",
        "http://admin:Pa55w0rd@127.0.0.1:5001",
        "https://Pa55w0rd@acme.example.com",
    ],
)
def test_credentials_in_an_inventory_url_are_refused_unshown(url: str) -> None:
    text = f'[pbx.acme]\nurl = "{url}"\nclient_id = "tcx"\n'
    with pytest.raises(ConfigurationError) as info:
        parse_inventory(text, "fleet.toml")
    assert info.value.message.startswith("fleet.toml: [pbx.acme]: The PBX URL http")
    assert "://***@" in info.value.message and "carries credentials" in info.value.message
    assert "Pa55w0rd" not in str(info.value) and "admin" not in str(info.value)


def test_insecure_http_is_read_and_written(tmp_path: Path) -> None:
    text = '[pbx.far]\nurl = "http://198.51.100.7:5000"\nclient_id = "tcx"\ninsecure_http = true\n'
    (far,) = parse_inventory(text)
    assert far.insecure_http is True
    assert "insecure_http = true" in dump_inventory([far])
    assert parse_inventory(dump_inventory([far]))[0].insecure_http is True
    # booleans go through the one reader (tcxkit.config): "no" is false, "maybe" an error
    assert parse_inventory(text.replace("= true", '= "no"'))[0].insecure_http is False
    with pytest.raises(
        ConfigurationError, match=r"\[pbx.far\] insecure_http must be true or false, got 'maybe'"
    ):
        parse_inventory(text.replace("= true", '= "maybe"'))


def test_the_old_inventory_module_is_the_core_one() -> None:
    """``tcxkit.fleet.inventory`` (documented before settings moved) stays a thin alias."""
    import tcxkit.config.inventory as core
    import tcxkit.fleet.inventory as old

    assert old.__all__ == core.__all__
    assert all(getattr(old, name) is getattr(core, name) for name in core.__all__)


def test_secret_ref_kind_is_a_deprecated_alias_of_source() -> None:
    ref = SecretRef("env", "ACME_KEY")
    assert ref.source == "env"
    with pytest.warns(
        DeprecationWarning, match="SecretRef.kind is deprecated; use SecretRef.source"
    ):
        assert ref.kind == "env"
