"""The query planner alone: OData options to SQL text and parameters, with no database."""

from __future__ import annotations

import sys

import pytest

from tcxkit.emulator.odata import ODataQueryError, parse_query
from tcxkit.emulator.store.planner import SEARCH_CLAUSE, QueryPlanner

PLANNER = QueryPlanner("Id")


def test_the_planner_needs_no_connection() -> None:
    assert "sqlite3" not in vars(sys.modules["tcxkit.emulator.store.planner"])


def test_filter_order_and_page() -> None:
    opts = parse_query({"$filter": "Number eq '100' and Id gt 3", "$orderby": "Number desc",
                        "$top": "5", "$skip": "10"})  # fmt: skip
    plan = PLANNER.plan(opts)
    assert plan.where_sql.startswith(" WHERE ")
    assert "json_extract(data, '$.Number')" in plan.clauses[0] and "k >" in plan.clauses[0]
    assert plan.params == ["100", 3]
    # ties broken by key in the direction of the last item, so one index serves both
    assert plan.order == [("json_extract(data, '$.Number')", True), ("k", True)]
    assert (plan.limit, plan.skip) == (5, 10)
    assert plan.count_sql("set_Users") == f'SELECT count(*) FROM "set_Users"{plan.where_sql}'


def test_default_order_where_search_and_cap() -> None:
    opts = parse_query({"$search": '"smith"'})
    plan = PLANNER.plan(opts, where=[("StartTime", "ge", "2025-01-01T00:00:00Z")],
                        order=("StartTime",), max_top=20)  # fmt: skip
    assert plan.clauses[-1] == SEARCH_CLAUSE and plan.params[-1] == "smith"
    assert plan.order == [("json_extract(data, '$.StartTime')", False), ("k", False)]
    assert plan.limit == 20  # no $top: the cap is the page
    assert PLANNER.plan(parse_query({"$top": "50"}), max_top=20).limit == 20
    assert PLANNER.plan(parse_query({"$top": "5"}), max_top=20).limit == 5
    assert PLANNER.plan(parse_query({})).limit == -1


def test_a_bad_programmatic_condition_is_a_query_error() -> None:
    with pytest.raises(ODataQueryError, match="Invalid condition on 'StartTime'"):
        PLANNER.conditions([("StartTime", "like", "x")])
