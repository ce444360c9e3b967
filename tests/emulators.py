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

import httpx

from tcxkit.emulator import EmulatorConfig


def own_config(**config: Any) -> EmulatorConfig:
    """``EmulatorConfig(**config)`` with a key no other emulator of this run has."""
    config.setdefault("client_secret", f"test-key-{secrets.token_hex(8)}")
    return EmulatorConfig(**config)


def token_form(client_id: str, client_secret: str, /, **overrides: str | None) -> dict[str, str]:
    """The client-credentials form of ``POST /connect/token``; an override of None drops a field."""
    form: dict[str, str | None] = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "client_credentials",
        **overrides,
    }
    return {k: v for k, v in form.items() if v is not None}


def post_token(
    url: str, client_id: str, client_secret: str, /, **overrides: str | None
) -> httpx.Response:
    """The raw answer of ``POST {url}/connect/token`` (for tests of the token endpoint itself)."""
    return httpx.post(
        f"{url}/connect/token", data=token_form(client_id, client_secret, **overrides)
    )


def fetch_token(emu: Any) -> str:
    """A bearer token from an emulator (``url``, ``client_id``, ``client_secret``); fails if refused."""
    answer = post_token(emu.url, emu.client_id, emu.client_secret)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])
