"""``AsyncClient`` offers what ``Client`` offers, and says how to get the catalog
before the release is known.
"""

from __future__ import annotations

import inspect

import pytest

from tcxkit import UsageError, catalog

from .conftest import PBX

CAT = catalog("20.0.10")


def test_async_client_has_every_public_method_of_client() -> None:
    from tcxkit import AsyncClient, Client

    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert public(Client) <= public(AsyncClient)
    assert inspect.iscoroutinefunction(AsyncClient.close)


async def test_async_catalog_says_how_to_get_it_before_the_release_is_known(pbx: PBX) -> None:
    async with pbx.aclient() as c:
        with pytest.raises(UsageError) as err:
            c.catalog  # noqa: B018
        assert "await client.get_catalog()" in str(err.value)
        assert (await c.get_catalog()).release == "20.0.10"
        assert c.catalog.release == "20.0.10"
