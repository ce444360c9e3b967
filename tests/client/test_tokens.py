"""One token per client, however it is used (threads, ``asyncio.gather``), a cache
file that cannot hurt (corrupt or unwritable) and a second 401 that is an error.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from tcxkit import catalog

from .conftest import PBX

CAT = catalog("20.0.10")


async def test_async_gather_shares_one_token(pbx: PBX) -> None:
    c = pbx.aclient(release="20.0.10")
    try:
        results = await asyncio.gather(*(c.call("ListUser", top=1) for _ in range(10)))
    finally:
        await c.close()
    assert all(r["value"] == [] for r in results)
    assert pbx.token_requests() == 1


def test_threads_share_one_token(pbx: PBX) -> None:
    errors: list[BaseException] = []
    with pbx.client() as c:

        def work() -> None:
            try:
                for _ in range(3):
                    c.call("ListUser", top=1)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert pbx.token_requests() == 1


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff not json",
        b"[1, 2]",
        b'{"access_token": 5, "expires_at": "soon", "version_checked_at": null}',
        b'{"access_token": null, "expires_at": null, "pbx_version": 7}',
    ],
)
def test_corrupt_cache_file_is_ignored(pbx: PBX, garbage: bytes) -> None:
    with pbx.client() as c:
        c.call("ListUser", top=1)
    files = list(pbx.cache.glob("*.json"))
    assert len(files) == 1
    files[0].write_bytes(garbage)
    from tcxkit.auth import TokenState

    TokenState._memory.clear()
    with pbx.client() as c:
        assert c.call("ListUser", top=1)["value"] == []


def test_unwritable_cache_location_falls_back_to_memory(pbx: PBX, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    with pbx.client(token_cache=blocker / "tokens") as c:
        assert c.call("ListUser", top=1)["value"] == []
        assert c.call("ListUser", top=1)["value"] == []
    assert pbx.token_requests() == 1


async def test_async_gather_with_auto_version_fetches_one_token(pbx: PBX) -> None:
    async with pbx.aclient() as c:
        await asyncio.gather(*(c.call("ListUser", top=1) for _ in range(5)))
    assert pbx.token_requests() == 1


def test_a_second_401_after_a_fresh_token_is_an_authentication_error(pbx: PBX) -> None:
    from tcxkit import AuthenticationError

    with pbx.client() as c:
        c.authenticate()
        pbx.fault(path="/xapi/v1/Users", status=401, times=2)
        with pytest.raises(AuthenticationError) as err:
            c.call("ListUser", top=1)
    assert err.value.exit_code == 5
    assert err.value.status == 401
    assert str(err.value).startswith("ListUser: the PBX refused the credentials (401)")
    assert pbx.token_requests() == 2  # the first token, then exactly one refresh
