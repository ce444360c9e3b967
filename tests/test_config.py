"""``tcxkit.config.connection.resolve``: what a name, the environment and nothing at all
become, without any face (the CLI adds only its built-in emulator as the fallback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tcxkit.config.connection import client_args, resolve
from tcxkit.config.options import Options
from tcxkit.errors import ConfigurationError

INVENTORY = """
[pbx.branch]
url = "https://branch.example.com:5001"
client_id = "tcxkit"
secret_env = "BRANCH_KEY"
release = "20.0.7"
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TCX_URL", "TCX_CLIENT_ID", "TCX_CLIENT_SECRET", "TCX_PROFILE", "TCX_INVENTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TCX_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TCX_NO_KEYRING", "1")


def test_nothing_configured_is_an_error_naming_the_ways() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(Options())
    assert caught.value.message == (
        "No PBX configured: no profile, no inventory PBX named, no TCX_URL."
    )
    assert caught.value.hint == (
        "Name one with Options(profile=NAME), or set TCX_URL, TCX_CLIENT_ID and "
        "TCX_CLIENT_SECRET (`3cx login` stores a profile)."
    )


def test_an_inventory_name_gives_client_arguments(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inventory = tmp_path / "fleet.toml"
    inventory.write_text(INVENTORY)
    monkeypatch.setenv("TCX_INVENTORY", str(inventory))
    monkeypatch.setenv("BRANCH_KEY", "branch-key-1")
    monkeypatch.setenv("TCX_URL", "https://elsewhere.example.com")  # not for inventory PBXs
    opts = Options(profile="branch")
    conn = resolve(opts)
    assert (conn.url, conn.client_id, conn.source, conn.version, conn.profile) == (
        "https://branch.example.com:5001",
        "tcxkit",
        "inventory PBX 'branch'",
        "20.0.7",
        "branch",
    )
    args, kwargs = client_args(conn, opts)
    assert args == ("https://branch.example.com:5001", "tcxkit", "branch-key-1")
    assert (kwargs["release"], kwargs["verify"], kwargs["timeout"]) == ("20.0.7", True, 30.0)


def test_an_inventory_pbx_without_its_key_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inventory = tmp_path / "fleet.toml"
    inventory.write_text(INVENTORY)
    with pytest.raises(ConfigurationError) as caught:
        resolve(Options(profile="branch", inventory=str(inventory)))
    assert caught.value.message == (
        "branch: the environment variable BRANCH_KEY (its API key) is not set."
    )


def test_the_package_serves_options_and_connection_names() -> None:
    import tcxkit.config as config
    from tcxkit.config import connection, options

    assert (config.Options, config.resolve, config.make_client) == (
        options.Options,
        connection.resolve,
        connection.make_client,
    )
