"""Seek paging: deep pages equal OFFSET pages and cost what a first page costs.

Cost is measured structurally, not by the clock: SQLite's progress handler counts the
virtual-machine steps a query takes (one call per ``STEP`` instructions), which grows
with the rows a query walks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from tcxkit.emulator.odata import ODataQueryError, parse_query
from tcxkit.emulator.store import EntitySet, Store

ROWS = 6_000
PAGE = 100
STEP = 100
PROPS = {"Id", "StartTime", "Score", "Dn"}


@pytest.fixture(scope="module")
def calls() -> Iterator[EntitySet]:
    """A call-log-like set: StartTime indexed, many equal times, Score sometimes NULL."""
    rng = random.Random(7)
    with Store() as store:
        es = store.entity_set("Calls", properties=PROPS, indexes=["StartTime"])
        es.insert_many(
            {
                "StartTime": f"2025-03-{1 + i // 300:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00Z",
                "Score": None if i % 7 == 0 else rng.randrange(50),
                "Dn": str(100 + i % 25),
            }
            for i in range(ROWS)
        )
        yield es


def _keys(es: EntitySet, query: dict[str, str], order: tuple[str, ...] = ()) -> list[Any]:
    return [row["Id"] for row in es.query(parse_query(query), order=order).items]


def _offset_keys(es: EntitySet, query: dict[str, str], order: tuple[str, ...]) -> list[Any]:
    """The same page answered with plain OFFSET (the pager with seeking disabled)."""
    pager = es.reader.pager
    plain = pager._anchors
    pager._anchors = lambda *args: None  # type: ignore[method-assign]
    try:
        return _keys(es, query, order)
    finally:
        pager._anchors = plain  # type: ignore[method-assign]


def _steps(es: EntitySet, query: dict[str, str], order: tuple[str, ...] = ()) -> int:
    counted = [0]

    def tick() -> int:
        counted[0] += 1
        return 0

    conn = es.store._conn
    conn.set_progress_handler(tick, STEP)
    try:
        es.query(parse_query(query), order=order)
    finally:
        conn.set_progress_handler(None, STEP)
    return counted[0]


@pytest.mark.parametrize(
    ("extra", "order"),
    [
        ({}, ("StartTime",)),
        ({"$orderby": "StartTime desc"}, ()),
        ({"$orderby": "Score asc"}, ()),  # NULL sort values, ascending: seeked
        ({"$orderby": "Score desc"}, ()),  # NULL sort values, descending: OFFSET
        ({"$orderby": "Dn asc,StartTime asc"}, ()),
        ({"$orderby": "Dn desc,StartTime asc"}, ()),  # mixed directions: OFFSET
        ({"$filter": "Dn eq '104' or Score gt 40"}, ("StartTime",)),
        ({}, ()),
    ],
)
def test_pages_equal_offset_pages(calls: EntitySet, extra: dict[str, str], order: Any) -> None:
    """Walking forward, jumping back and repeating a page all give the OFFSET rows."""
    for skip in (0, 100, 200, 300, 150, 3_000, 3_100, 3_000, 2_950, ROWS - 50, ROWS + 5):
        query = {**extra, "$top": str(PAGE), "$skip": str(skip)}
        assert _keys(calls, query, order) == _offset_keys(calls, query, order), (extra, skip)
    whole = {**extra, "$skip": "300"}  # no $top: everything after the anchor
    assert _keys(calls, whole, order) == _offset_keys(calls, whole, order)


def test_writes_in_between_forget_the_anchors() -> None:
    with Store() as store:
        es = store.entity_set("Calls", properties=PROPS, indexes=["StartTime"])
        es.insert_many(
            {"StartTime": f"2025-03-01T00:{i // 60:02d}:{i % 60:02d}Z"} for i in range(600)
        )
        query = {"$top": "10", "$skip": "300"}
        first = _keys(es, query, ("StartTime",))
        es.insert({"StartTime": "2025-02-01T00:00:00Z"})  # sorts before every row
        es.delete(first[0] + 1)
        shifted = _keys(es, query, ("StartTime",))
        assert shifted == _offset_keys(es, query, ("StartTime",))
        assert shifted[0] == first[0] - 1


def test_deep_page_costs_a_first_page(calls: EntitySet) -> None:
    """Paging forward: the 50th page walks about as many rows as the first."""
    first = _steps(calls, {"$top": str(PAGE), "$skip": "0"}, ("StartTime",))
    for skip in range(0, 5_000 + 1, PAGE):  # an export, page by page
        calls.query(parse_query({"$top": str(PAGE), "$skip": str(skip)}), order=("StartTime",))
    deep = _steps(calls, {"$top": str(PAGE), "$skip": "5000"}, ("StartTime",))
    cold = _steps(calls, {"$top": str(PAGE), "$skip": "5000", "$orderby": "Dn asc"})
    assert deep <= 2 * first + 5, (first, deep)
    assert cold > 10 * deep  # the control: an unseeked jump walks the skipped rows


def test_seek_uses_the_index(calls: EntitySet) -> None:
    """The statement the pager runs for a known offset is an index range search."""
    calls.query(parse_query({"$top": "10", "$skip": "500"}), order=("StartTime",))
    sent: list[str] = []
    conn = calls.store._conn
    conn.set_trace_callback(sent.append)
    try:
        again = _keys(calls, {"$top": "10", "$skip": "500"}, ("StartTime",))
    finally:
        conn.set_trace_callback(None)
    [seek] = [sql for sql in sent if sql.startswith("SELECT k FROM")]
    assert "OFFSET 0" in seek and len(again) == 10
    plan = " ".join(str(row[-1]) for row in calls.store.execute(f"EXPLAIN QUERY PLAN {seek}"))
    assert "SEARCH" in plan and "ix_Calls_StartTime" in plan, plan


def test_numbers_beyond_64_bits_are_a_query_error(calls: EntitySet) -> None:
    """The store's own guard, whatever the HTTP layer lets through ($skip=2**63)."""
    options = parse_query({"$top": "10", "$orderby": "Dn desc,StartTime asc"})  # OFFSET path
    options.skip = 2**63
    with pytest.raises(ODataQueryError, match="outside the 64-bit integer range"):
        calls.query(options, order=("StartTime",))


def test_far_jump_leaves_anchors_behind(calls: EntitySet) -> None:
    """A first jump deep into an index-ordered shape hops there once; later jumps are short."""
    query = {"$filter": "Dn ne 'none'", "$top": str(PAGE)}  # a shape of its own
    first = _steps(calls, {**query, "$skip": "5500"}, ("StartTime",))
    later = _steps(calls, {**query, "$skip": "3000"}, ("StartTime",))
    assert 4 * later < first, (first, later)
    for skip in ("5500", "3000", "4100"):
        page = {**query, "$skip": skip}
        assert _keys(calls, page, ("StartTime",)) == _offset_keys(calls, page, ("StartTime",))


def test_no_hops_where_every_query_sorts(calls: EntitySet) -> None:
    """Without an index for the order each hop would sort the whole match again."""
    query = {"$top": "10", "$skip": "5000", "$orderby": "Dn asc", "$filter": "Dn ne 'hop'"}
    calls.query(parse_query(query))
    [anchors] = [a for shape, a in calls.reader.pager._shapes.items() if "hop" in shape[1]]
    assert not anchors.ordered
    assert anchors.offsets == [5000, 5010]  # the page's own two anchors, no hops
