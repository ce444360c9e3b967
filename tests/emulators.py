"""Emulator configs for tests that start emulators of their own.

Each gets API credentials of its own. Clients of one process share a token in memory,
keyed by URL, client id and key (as they should: that is one PBX); emulators started
and stopped during the suite reuse ports, so with the default credentials a client of
a new emulator could start with a token of an earlier one on the same port, meet one
401 and refresh -- an extra request that tests counting requests then see as a bug.
"""

from __future__ import annotations

import secrets
from typing import Any

from tcxkit.emulator import EmulatorConfig


def own_config(**config: Any) -> EmulatorConfig:
    """``EmulatorConfig(**config)`` with a key no other emulator of this run has."""
    config.setdefault("client_secret", f"test-key-{secrets.token_hex(8)}")
    return EmulatorConfig(**config)
