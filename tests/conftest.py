"""Shared fixtures: emulated PBXs on free ports, and clients connected to them.

* ``emulator`` — one demo PBX for the whole session (read-mostly tests).
* ``fresh_emulator`` — an empty PBX per test (tests that write or count).
* ``client`` — a ``tcxkit.Client`` connected to ``emulator`` (skipped only
  while the client module does not exist yet).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tcxkit.emulator import EmulatorConfig, running


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """A running demo PBX (release 20.0.10) shared by the session."""
    with running(EmulatorConfig(data="demo")) as emu:
        yield emu


@pytest.fixture
def fresh_emulator() -> Iterator[Any]:
    """A running PBX with no data, private to one test."""
    with running(EmulatorConfig(data="empty")) as emu:
        yield emu


@pytest.fixture
def client(emulator: Any, tmp_path: Any) -> Iterator[Any]:
    """A library client connected to the session's demo PBX."""
    try:
        from tcxkit import Client
    except ImportError:  # pragma: no cover - only before the client lands
        pytest.skip("tcxkit.Client is not available yet")
    with Client(
        emulator.url,
        emulator.client_id,
        emulator.client_secret,
        token_cache=tmp_path / "tokens",
    ) as c:
        yield c
