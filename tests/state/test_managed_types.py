"""The managed types table agrees with the spec: its actions exist, its expands are navigation properties."""

from __future__ import annotations

import pytest

from tcxkit.catalog import RELEASES, catalog
from tcxkit.emulator import running
from tcxkit.errors import UnsupportedActionError
from tcxkit.state import MANAGED_TYPES, pull
from tcxkit.state.managed import get_type, select_types, type_names

from ..emulators import own_config
from .conftest import on


def test_every_action_of_the_table_exists_from_20_0_7() -> None:
    for release in RELEASES[RELEASES.index("20.0.7") :]:
        cat = catalog(release)
        for kind in MANAGED_TYPES:
            for action in (kind.list, kind.create, kind.update, kind.delete):
                assert not action or action in cat, (release, kind.name, action)


def test_an_older_release_pulls_the_kinds_it_has() -> None:
    """20.0.4 and 20.0.5 have no holidays: a full pull leaves them out, --only fails."""
    with running(own_config(version="20.0.5", data="demo")) as old:
        doc = on(old, pull)
        assert "holidays" not in doc and doc["users"] and doc["office_hours"]
        with pytest.raises(UnsupportedActionError, match="ListHoliday"):
            on(old, lambda c: pull(c, "holidays"))


def test_expands_are_navigation_properties_and_refs_name_kinds() -> None:
    cat = catalog()
    for kind in MANAGED_TYPES:
        for ref in kind.refs:
            assert get_type(ref.target).name in type_names()
        if not kind.expand:
            continue
        item = cat.require(kind.list).response.item
        assert item is not None, kind.name
        props = cat.schema_index.declared_properties(cat.schemas[item]) or {}
        for name in kind.expand:
            assert props[name].get("x-ms-navigationProperty"), (kind.name, name)


def test_select_kinds_keeps_dependency_order_and_names_unknown_ones() -> None:
    assert [k.name for k in select_types("contacts, users")] == ["users", "contacts"]
    with pytest.raises(Exception, match=r"Unknown kinds: a, b\.") as err:
        select_types("a,users,b")
    assert "Kinds: parameters, groups, users" in str(err.value)


def test_the_old_kind_names_are_deprecated_aliases() -> None:
    import tcxkit.state
    import tcxkit.state.kinds
    from tcxkit.state.managed import MANAGED_TYPES, ManagedType

    with pytest.warns(DeprecationWarning, match=r"tcxkit\.state\.KINDS is deprecated; use "):
        assert tcxkit.state.KINDS is MANAGED_TYPES
    with pytest.warns(
        DeprecationWarning, match=r"state\.kinds\.Kind is deprecated; use .*ManagedType"
    ):
        assert tcxkit.state.kinds.Kind is ManagedType
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        tcxkit.state.Nope  # noqa: B018
