"""pytest fixtures for testing your own 3CX automations against the emulator.

Installed with tcxkit (entry point ``pytest11``), so in any project::

    def test_provisioning(tcx_client):
        tcx_client.call("CreateUser", body={"FirstName": "Ada", "LastName": "Lovelace"})

``tcx_emulator`` is one emulator per test session, on a free 127.0.0.1 port,
with the demo company; override ``tcx_emulator_config`` in your conftest to
pick a release, empty data or a larger call history.  Nothing is imported
until a fixture is used, so the plugin costs nothing in other test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tcxkit import Client

    from .config import EmulatorConfig

__all__ = ["tcx_client", "tcx_emulator", "tcx_emulator_config", "tcx_fleet", "tcx_fleet_size"]


@pytest.fixture(scope="session")
def tcx_emulator_config() -> EmulatorConfig:
    """The emulator's settings; override this fixture to change them."""
    from .config import EmulatorConfig

    return EmulatorConfig(data="demo")


@pytest.fixture(scope="session")
def tcx_emulator(tcx_emulator_config: EmulatorConfig) -> Iterator[Any]:
    """A running emulator: ``.url``, ``.client_id``, ``.client_secret``, and
    ``.control_auth`` (HTTP Basic credentials for the ``/emulator/*`` control endpoints,
    e.g. ``httpx.get(tcx_emulator.url + "/emulator/requests", auth=tcx_emulator.control_auth)``)."""
    from .server import running

    with running(tcx_emulator_config) as server:
        yield server


@pytest.fixture
def tcx_client(tcx_emulator: Any, tmp_path: Path) -> Iterator[Client]:
    """A :class:`tcxkit.Client` connected to the session's emulator (tokens kept in tmp)."""
    from tcxkit import Client

    with Client(
        tcx_emulator.url,
        tcx_emulator.client_id,
        tcx_emulator.client_secret,
        token_cache=tmp_path / "tokens",
    ) as client:
        yield client


@pytest.fixture(scope="session")
def tcx_fleet_size() -> int:
    """How many PBXs ``tcx_fleet`` emulates; override this fixture to change it."""
    return 3


@pytest.fixture(scope="session")
def tcx_fleet(
    tcx_fleet_size: int, tcx_emulator_config: EmulatorConfig, tmp_path_factory: Any
) -> Iterator[Any]:
    """Several independent emulated PBXs (own port, data and API key each) on one server.

    ``.instances`` (like ``tcx_emulator``), ``.targets``, ``.inventory`` (a fleet.toml
    whose keys sit in 0600 files, never in it) and ``.fleet()``, a ready
    :class:`tcxkit.Fleet` (``async with tcx_fleet.fleet() as fleet: await fleet.call(...)``).
    Instances are named pbx01.., tagged ``emulated`` and ``eu``/``us`` alternately.
    """
    from .fleet import running_fleet

    path = tmp_path_factory.mktemp("tcx-fleet") / "fleet.toml"
    with running_fleet(tcx_fleet_size, path, tcx_emulator_config) as fleet:
        yield fleet
