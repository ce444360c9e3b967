"""Fixtures for the fleet tests: the plugin's emulated fleet, and an address nobody serves."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(scope="session")
def dead_url() -> str:
    """A 127.0.0.1 port that was free a moment ago and now refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
