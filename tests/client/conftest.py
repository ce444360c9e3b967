"""Fixtures for client tests: a real emulator on a free port, per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit import AsyncClient, Client
from tcxkit.emulator import running

from ..emulators import own_config, post_token


class PBX:
    """A running emulator plus helpers to inspect and steer it over HTTP."""

    def __init__(self, server: Any, cache: Path) -> None:
        self.server = server
        self.url = server.url
        self.client_id = server.client_id
        self.client_secret = server.client_secret
        self.cache = cache

    def client(self, **kw: Any) -> Client:
        kw.setdefault("token_cache", self.cache)
        kw.setdefault("backoff", 0.001)
        return Client(self.url, self.client_id, kw.pop("secret", self.client_secret), **kw)

    def aclient(self, **kw: Any) -> AsyncClient:
        kw.setdefault("token_cache", self.cache)
        kw.setdefault("backoff", 0.001)
        return AsyncClient(self.url, self.client_id, kw.pop("secret", self.client_secret), **kw)

    def requests(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/emulator/requests", auth=self.server.control_auth).json()

    def clear_requests(self) -> None:
        httpx.delete(f"{self.url}/emulator/requests", auth=self.server.control_auth)

    def token_requests(self) -> int:
        return sum(1 for r in self.requests() if r["path"] == "/connect/token")

    def fault(self, **rule: Any) -> None:
        httpx.post(
            f"{self.url}/emulator/faults", json=rule, auth=self.server.control_auth
        ).raise_for_status()

    def new_token_elsewhere(self) -> str:
        """Another tool fetching a token revokes ours (one active token per client)."""
        r = post_token(self.url, self.client_id, self.client_secret)
        r.raise_for_status()
        return r.json()["access_token"]


def _pbx(tmp_path: Path, **config: Any) -> Iterator[PBX]:
    with running(own_config(**config)) as server:
        yield PBX(server, tmp_path / "tokens")


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[PBX]:
    yield from _pbx(tmp_path, data="empty")


@pytest.fixture
def demo_pbx(tmp_path: Path) -> Iterator[PBX]:
    yield from _pbx(tmp_path, data="demo")


@pytest.fixture
def pbx_factory(tmp_path: Path):
    """Start emulators of other releases within a test."""
    import contextlib

    stack = contextlib.ExitStack()

    def start(**config: Any) -> PBX:
        server = stack.enter_context(running(own_config(**config)))
        return PBX(server, tmp_path / f"tokens-{len(stack._exit_callbacks)}")

    with stack:
        yield start
