"""Shared fixtures: emulated PBXs on free ports, and clients connected to them.

* ``emulator`` — one demo PBX for the whole session (read-mostly tests).
* ``fresh_emulator`` — an empty PBX per test (tests that write or count).
* ``client`` — a ``tcxkit.Client`` connected to ``emulator``.

``emulator`` and ``client`` are the pytest plugin's ``tcx_emulator`` and
``tcx_client`` (src/tcxkit/emulator/pytest_plugin.py) under the names our tests use,
so the fixtures users get are the ones we test with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tcxkit.emulator import EmulatorConfig, running

#: ``sshd`` and ``s3``: real storage servers for the backup tests (module scope).
pytest_plugins = ["tests.stores"]


@pytest.fixture(scope="session")
def emulator(tcx_emulator: Any) -> Any:
    """A running demo PBX (release 20.0.10) shared by the session (the plugin's fixture)."""
    return tcx_emulator


@pytest.fixture
def fresh_emulator() -> Iterator[Any]:
    """A running PBX with no data, private to one test."""
    with running(EmulatorConfig(data="empty")) as emu:
        yield emu


@pytest.fixture
def client(tcx_client: Any) -> Any:
    """A library client connected to the session's demo PBX (the plugin's fixture)."""
    return tcx_client
