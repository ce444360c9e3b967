"""``paginate`` over real HTTP: ``top``, page sizes and ``$count`` with a filter."""

from __future__ import annotations

import pytest

from tcxkit import UsageError, catalog

from .conftest import PBX

CAT = catalog("20.0.10")


def test_paginate_top_zero_sends_nothing_and_top_as_text_works(demo_pbx: PBX) -> None:
    with demo_pbx.client() as c:
        demo_pbx.clear_requests()
        assert list(c.paginate("ListUser", top=0)) == []
        assert [r for r in demo_pbx.requests() if r["path"] == "/xapi/v1/Users"] == []
        got = list(c.paginate("ListUser", top="3", skip="1", select="Number", orderby="Number"))
        want = c.call("ListUser", top=3, skip=1, select="Number", orderby="Number")["value"]
    assert got == want and len(got) == 3


def test_paginate_refuses_a_zero_page_size_and_bad_top(pbx: PBX) -> None:
    with pbx.client() as c:
        with pytest.raises(UsageError) as err:
            list(c.paginate("ListUser", page_size=0))
        assert "page_size must be a positive number" in str(err.value)
        with pytest.raises(UsageError) as err:
            list(c.paginate("ListUser", top="many"))
        assert "top must be a whole number" in str(err.value)
        assert err.value.exit_code == 2


def test_paginate_with_count_and_filter_stops_at_the_count(demo_pbx: PBX) -> None:
    with demo_pbx.client() as c:
        everyone = c.call("ListUser", select="Number", orderby="Number", top=100)["value"]
        first = everyone[0]["Number"]
        demo_pbx.clear_requests()
        rows = list(
            c.paginate(
                "ListUser",
                filter=f"Number eq '{first}'",
                count=True,
                page_size=1,
                select="Number",
            )
        )
    assert rows == [{"Number": first}]
    assert len([r for r in demo_pbx.requests() if r["path"] == "/xapi/v1/Users"]) == 1
