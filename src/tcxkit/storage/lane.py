"""Using a (synchronous) store from async code: backups and recordings both need it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from .base import Storage

__all__ = ["StoreLane"]

T = TypeVar("T")


class StoreLane:
    """The store used from async code: one blocking operation at a time, in a thread.

    Stores are synchronous (paramiko, boto3, files) and not all are safe to share
    between threads, so the PBXs of a run take turns -- downloads and checks still run
    side by side; only the upload is serialised.
    """

    def __init__(self, store: Storage) -> None:
        self.store = store
        self._lock = asyncio.Lock()

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        async with self._lock:
            return await asyncio.to_thread(fn, *args, **kwargs)
