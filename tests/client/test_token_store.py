"""Token stores: the interface, and a core that leaves their I/O to the drivers."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from tcxkit.auth import FileTokenStore, TokenState, TokenStore, token_key

from .conftest import PBX

HOLD_THE_LOCK = """
import sys
from filelock import FileLock
lock = FileLock(sys.argv[1], timeout=5)
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


def test_async_client_waits_for_another_process_lock_off_the_event_loop(pbx: PBX) -> None:
    """While another process holds the token lock, every other coroutine keeps running."""
    key = token_key(pbx.url, pbx.client_id, pbx.client_secret)
    lock_file = str(FileTokenStore(pbx.cache).path(key)) + ".lock"
    pbx.cache.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, lock_file],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "held\n"
    ticks_at_release = 20

    async def main() -> tuple[int, Any]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1
                if ticks == ticks_at_release:  # only a running loop gets here: let go
                    holder.stdin.write("go\n")
                    holder.stdin.flush()

        task = asyncio.create_task(ticker())
        async with pbx.aclient() as c:
            result = await c.call("ListUser", top=1)
        task.cancel()
        return ticks, result

    try:
        ticks, result = asyncio.run(main())
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result["value"] == []
    assert ticks >= ticks_at_release  # the call needed the lock, which came after 20 ticks
    assert pbx.token_requests() == 1


class DictStore:
    """A store of our own: what a scheduler's variable or a key-value service would be."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.loads = 0
        self.saves = 0

    def load(self, key: str) -> Mapping[str, Any] | None:
        self.loads += 1
        return self.entries.get(key)

    def save(self, key: str, entry: Mapping[str, Any]) -> None:
        self.saves += 1
        self.entries[key] = dict(entry)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        yield


def test_a_store_of_your_own_shares_the_token(pbx: PBX) -> None:
    store = DictStore()
    assert isinstance(store, TokenStore)
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
    (entry,) = store.entries.values()
    assert set(entry) >= {"access_token", "expires_at", "pbx_version"}
    TokenState._memory.clear()  # as if another process: only the store remembers
    with pbx.client(token_cache=store) as c:
        c.call("ListUser", top=1)
    assert pbx.token_requests() == 1


def test_async_client_uses_the_store_too(pbx: PBX) -> None:
    store = DictStore()

    async def main() -> None:
        async with pbx.aclient(token_cache=store) as c:
            await c.call("ListUser", top=1)

    asyncio.run(main())
    assert store.saves >= 1 and store.loads >= 1
    assert pbx.token_requests() == 1
