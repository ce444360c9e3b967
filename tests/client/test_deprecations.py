"""Old spellings keep working for one version, with a DeprecationWarning."""

from __future__ import annotations

import pytest

from .conftest import PBX


def test_version_is_a_deprecated_alias_of_release(pbx: PBX) -> None:
    with pytest.warns(DeprecationWarning, match="version= is deprecated: use release="):
        c = pbx.client(version="20.0.10")
    with c, pytest.warns(DeprecationWarning, match="Client.version is deprecated"):
        assert c.version == c.release == "20.0.10"


def test_retry_post_is_a_deprecated_alias(pbx: PBX) -> None:
    with pytest.warns(DeprecationWarning, match="retry_post is deprecated: use retry_writes"):
        c = pbx.client(retry_post=True)
    assert c._core.retry.retry_writes is True
    c.close()


def test_response_kind_is_a_deprecated_alias_of_shape() -> None:
    from tcxkit.catalog import catalog
    from tcxkit.catalog.model import ResponseKind, ResponseShape

    action = catalog().get("ListUser")
    assert action is not None
    response = action.response
    with pytest.warns(DeprecationWarning, match="Response.kind is deprecated; use Response.shape"):
        assert response.kind == response.shape == "collection"
    assert ResponseKind is ResponseShape
