"""Helpers the emulator tests share: a bearer token and an HTTP client for a running PBX.

``connect`` is a fixture returning a function (not a client) so that fixtures of any
scope, and tests that start their own emulator, use the same code:
``with connect(emu) as api: api.get("/Users")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ..emulators import fetch_token

API_PREFIX = "/xapi/v1"

Connect = Callable[..., httpx.Client]


def open_client(emu: Any, *, prefix: str = API_PREFIX, timeout: float = 60) -> httpx.Client:
    """An ``httpx.Client`` on ``emu.url + prefix`` carrying a fresh bearer token.

    ``prefix=""`` gives a client on the server root (for ``/backups/...`` links).  The
    timeout is generous because the whole suite shares a 2-core machine.
    """
    return httpx.Client(
        base_url=f"{emu.url}{prefix}",
        headers={"Authorization": f"Bearer {fetch_token(emu)}"},
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def connect() -> Connect:
    """``connect(emu, prefix="/xapi/v1")``: see :func:`open_client`."""
    return open_client


@pytest.fixture(scope="session")
def token() -> Callable[[Any], str]:
    """``token(emu)``: see :func:`fetch_token`."""
    return fetch_token
