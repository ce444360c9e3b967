"""Unit tests of the emulator's OData engine: parsing, SQL compilation and projection.

Compiled filters are executed against a real SQLite table of JSON documents, so the tests
check what a query *returns*, not the SQL text it happens to produce.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tcxkit.emulator.odata import (
    Binary,
    Call,
    Lambda,
    Literal,
    ODataQueryError,
    Prop,
    QueryOptions,
    Unary,
    compile_filter,
    compile_orderby,
    condition,
    json_column,
    normalize_datetime,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_query,
    parse_select,
    project,
    validate_options,
)

ROWS = [
    {"Id": 1, "Name": "O'Brien", "Number": "100", "Age": 30, "Score": 1.5, "Enabled": True,
     "Type": "Extension", "StartTime": "2025-03-13T23:00:00Z", "Tags": ["vip", "sales"],
     "Groups": [{"Name": "Sales", "Id": 1}, {"Name": "Support", "Id": 2}],
     "Address": {"City": "Berlin"}},
    {"Id": 2, "Name": "alice", "Number": "101", "Age": 25, "Score": 2.25, "Enabled": False,
     "Type": "Queue", "StartTime": "2025-03-13T23:00:00.500000Z", "Tags": [],
     "Groups": [{"Name": "Support", "Id": 2}], "Address": {"City": "Paris"}},
    {"Id": 3, "Name": "Bob", "Number": "102", "Age": 41, "Score": None, "Enabled": True,
     "Type": "Extension", "StartTime": "2025-03-14T00:00:01Z", "Tags": ["vip"],
     "Groups": [], "Address": None},
    {"Id": 4, "Name": "  Zed  ", "Number": "200", "Age": 25, "Enabled": True,
     "Type": "Extension", "StartTime": "2025-03-12T10:15:30.123456Z"},
]  # fmt: skip


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, data TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(r["Id"], json.dumps(r)) for r in ROWS])
    return conn


def ids(db: sqlite3.Connection, text: str) -> list[int]:
    """Ids of the rows that ``$filter=text`` selects."""
    sql, params = compile_filter(parse_filter(text))
    return [row[0] for row in db.execute(f"SELECT k FROM t WHERE {sql} ORDER BY k", params)]


# --- literals and comparison operators -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name eq 'O''Brien'", [1]),
        ("Name eq 'o''brien'", []),  # eq is case-sensitive
        ("Name ne 'Bob'", [1, 2, 4]),
        ("Age gt 25", [1, 3]),
        ("Age ge 25", [1, 2, 3, 4]),
        ("Age lt 30", [2, 4]),
        ("Age le 30", [1, 2, 4]),
        ("Score gt 2", [2]),
        ("Score eq 1.5", [1]),
        ("Score eq null", [3, 4]),
        ("Score ne null", [1, 2]),
        ("null eq Score", [3, 4]),
        ("Enabled eq true", [1, 3, 4]),
        ("Enabled eq false", [2]),
        ("Enabled", [1, 3, 4]),
        ("not Enabled", [2]),
        ("Type eq 'Extension'", [1, 3, 4]),
        ("Type eq Pbx.PeerType'Queue'", [2]),
        ("Address/City eq 'Paris'", [2]),
        ("25 lt Age", [1, 3]),
        ("Number in ('100', '200')", [1, 4]),
        ("Id eq 3", [3]),
        ("Age eq -25 mul -1", [2, 4]),
    ],
)
def test_comparisons(db: sqlite3.Connection, text: str, expected: list[int]) -> None:
    assert ids(db, text) == expected


def test_logical_precedence(db: sqlite3.Connection) -> None:
    # and binds tighter than or
    assert ids(db, "Age eq 41 or Age eq 25 and Name eq 'alice'") == [2, 3]
    assert ids(db, "(Age eq 41 or Age eq 25) and Name eq 'alice'") == [2]
    # not applies to the comparison that follows it
    assert ids(db, "not Age eq 25 and Enabled eq true") == [1, 3]
    assert ids(db, "not (Age eq 25 or Age eq 30)") == [3]
    assert ids(db, "NOT Age EQ 25") == [1, 3]  # keywords are case-insensitive


def test_arithmetic(db: sqlite3.Connection) -> None:
    assert ids(db, "Age add 5 eq 30") == [2, 4]
    assert ids(db, "Age sub 1 eq 40") == [3]
    assert ids(db, "Age mul 2 gt 70") == [3]
    assert ids(db, "Age div 5 eq 6") == [1]
    assert ids(db, "Age mod 2 eq 1") == [2, 3, 4]
    assert ids(db, "-Age lt -40") == [3]


# --- functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contains(Name,'li')", [2]),
        ("contains(Name,'LI')", []),
        ("contains(tolower(Name),'b')", [1, 3]),
        ("contains(Name,'%')", []),  # LIKE wildcards mean nothing
        ("contains(Name,'_')", []),
        ("startswith(Name,'Bo')", [3]),
        ("startswith(Number,'1')", [1, 2, 3]),
        ("endswith(Name,'ce')", [2]),
        ("endswith(Name,'')", [1, 2, 3, 4]),
        ("toupper(Name) eq 'BOB'", [3]),
        ("length(Name) eq 3", [3]),
        ("trim(Name) eq 'Zed'", [4]),
        ("concat(Name, Number) eq 'Bob102'", [3]),
        ("concat(Name, '-', Number) eq 'Bob-102'", [3]),
        ("indexof(Name,'o') eq 1", [3]),
        ("indexof(Name,'q') eq -1", [1, 2, 3, 4]),
        ("substring(Name, 1) eq 'lice'", [2]),
        ("substring(Name, 1, 2) eq 'li'", [2]),
        ("date(StartTime) eq 2025-03-13", [1, 2]),
        ("year(StartTime) eq 2025 and month(StartTime) eq 3", [1, 2, 3, 4]),
        ("day(StartTime) eq 14", [3]),
        ("hour(StartTime) eq 10 and minute(StartTime) eq 15", [4]),
        ("second(StartTime) eq 1", [3]),
        ("time(StartTime) eq '23:00:00'", [1, 2]),
        ("StartTime lt now()", [1, 2, 3, 4]),
        ("round(Score) eq 2", [1, 2]),
        ("floor(Score) eq 2", [2]),
        ("ceiling(Score) eq 2", [1]),
        ("contains(Name,'li') eq true", [2]),
    ],
)
def test_functions(db: sqlite3.Connection, text: str, expected: list[int]) -> None:
    assert ids(db, text) == expected


def test_lambdas(db: sqlite3.Connection) -> None:
    assert ids(db, "Groups/any(g: g/Name eq 'Sales')") == [1]
    assert ids(db, "Groups/any(g: g/Name eq 'Support')") == [1, 2]
    assert ids(db, "Groups/all(g: g/Name eq 'Support')") == [2, 3, 4]  # vacuously true
    assert ids(db, "Groups/any()") == [1, 2]
    assert ids(db, "Tags/any(t: t eq 'vip')") == [1, 3]
    assert ids(db, "Tags/any(t: startswith(t, 'sa'))") == [1]
    assert ids(db, "not Tags/any()") == [2, 4]
    # the outer row is still reachable inside the lambda
    assert ids(db, "Groups/any(g: g/Id eq Id)") == [1, 2]
    # a string property is not an array: no error, just no match
    assert ids(db, "Name/any(x: x eq 'a')") == []


# --- date-times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("StartTime eq 2025-03-13T23:00:00Z", [1]),
        ("StartTime eq 2025-03-14T00:00:00+01:00", [1]),  # offsets are converted to UTC
        ("StartTime eq 2025-03-13T23:00:00.5Z", [2]),
        ("StartTime ne 2025-03-13T23:00:00Z", [2, 3, 4]),
        ("StartTime ge 2025-03-13T23:00:00Z", [1, 2, 3]),
        ("StartTime gt 2025-03-13T23:00:00Z", [2, 3]),
        ("StartTime lt 2025-03-13T23:00:00Z", [4]),
        ("StartTime le 2025-03-13T23:00:00Z", [1, 4]),
        ("StartTime ge 2025-03-13T23:00:00.5Z", [2, 3]),
        ("StartTime gt 2025-03-13T23:00:00.5Z", [3]),
        ("StartTime lt 2025-03-13T23:00:00.5Z", [1, 4]),
        ("StartTime le 2025-03-13T23:00:00.5Z", [1, 2, 4]),
        ("StartTime gt 2025-03-13T23:00:00.1234567Z", [2, 3]),  # 7 digits as .NET writes
        ("2025-03-13T23:00:00Z lt StartTime", [2, 3]),
        ("StartTime ge 2025-03-13T23:00 01:00", [1, 2, 3]),  # '+' decoded to a space
        ("StartTime ge 2025-03-13", [1, 2, 3]),
    ],
)
def test_datetime_comparisons(db: sqlite3.Connection, text: str, expected: list[int]) -> None:
    assert ids(db, text) == expected


def test_datetime_comparisons_match_time_order_exhaustively() -> None:
    """Every operator against every literal agrees with Python's datetime comparison."""
    base = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    moments = [
        base + timedelta(seconds=s, microseconds=us)
        for s in (-1, 0, 1)
        for us in (0, 1, 500000, 999999)
    ]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, data TEXT)")
    for i, moment in enumerate(moments):
        conn.execute(
            "INSERT INTO t VALUES (?, ?)", (i, json.dumps({"T": normalize_datetime(moment)}))
        )
    ops = {
        "eq": "__eq__",
        "ne": "__ne__",
        "gt": "__gt__",
        "ge": "__ge__",
        "lt": "__lt__",
        "le": "__le__",
    }
    for literal in moments:
        text = literal.isoformat().replace("+00:00", "Z")
        for op, method in ops.items():
            sql, params = compile_filter(parse_filter(f"T {op} {text}"))
            got = [r[0] for r in conn.execute(f"SELECT k FROM t WHERE {sql} ORDER BY k", params)]
            want = [i for i, m in enumerate(moments) if getattr(m, method)(literal)]
            assert got == want, (op, text)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("2025-03-13T23:00:00Z", "2025-03-13T23:00:00Z"),
        ("2025-03-13T23:00:00+00:00", "2025-03-13T23:00:00Z"),
        ("2025-03-14T00:30:00+01:00", "2025-03-13T23:30:00Z"),
        ("2025-03-13T23:00:00.0000000Z", "2025-03-13T23:00:00Z"),
        ("2025-03-13T23:00:00.1234567-02:00", "2025-03-14T01:00:00.123456Z"),
        ("2025-03-13T23:00:00.5Z", "2025-03-13T23:00:00.500000Z"),
        ("2025-03-13T23:00", "2025-03-13T23:00:00Z"),  # no offset: UTC
        ("2025-03-13 23:00:00+0100", "2025-03-13T22:00:00Z"),
    ],
)
def test_normalize_datetime(raw: str, normal: str) -> None:
    assert normalize_datetime(raw) == normal


def test_normalize_datetime_objects_and_errors() -> None:
    assert normalize_datetime(datetime(2025, 1, 1, 1, 0, tzinfo=UTC)) == "2025-01-01T01:00:00Z"
    assert normalize_datetime(datetime(2025, 1, 1, 1, 0)) == "2025-01-01T01:00:00Z"
    with pytest.raises(ValueError, match="'yesterday' is not an ISO 8601 date-time"):
        normalize_datetime("yesterday")


# --- AST shapes ----------------------------------------------------------------------------


def test_ast_shapes() -> None:
    assert parse_filter("Name eq 'x'") == Binary("eq", Prop(("Name",)), Literal("x", "string"))
    assert parse_filter("Address/City eq 'x'").left == Prop(("Address", "City"))
    assert parse_filter("not Enabled") == Unary("not", Prop(("Enabled",)))
    node = parse_filter("contains(Name,'x')")
    assert isinstance(node, Call) and node.name == "contains"
    lam = parse_filter("Groups/any(g: g/Name eq 'x')")
    assert isinstance(lam, Lambda) and lam.kind == "any" and lam.var == "g"
    assert parse_filter("Id eq 01234567-89ab-cdef-0123-456789ABCDEF").right == Literal(
        "01234567-89ab-cdef-0123-456789ABCDEF", "guid"
    )
    assert parse_filter("X eq 2025-03-13").right == Literal("2025-03-13", "date")
    assert parse_filter("X eq 1.5e3").right == Literal(1500.0, "decimal")
    assert parse_filter("X eq 12").right == Literal(12, "int")


# --- injection attempts ------------------------------------------------------------------


def test_injection_in_string_literal_stays_data(db: sqlite3.Connection) -> None:
    # a properly escaped quote is part of the value and reaches SQL only as a parameter
    sql, params = compile_filter(parse_filter("Name eq 'x'' or 1=1 --'"))
    assert "1=1" not in sql
    assert params == ["x' or 1=1 --"]
    assert ids(db, "Name eq 'x'' or 1=1 --'") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Name eq 'x'') or 1=1 --",
            "Syntax error at position 11 in $filter: unterminated string literal",
        ),
        (
            "Name eq 'x' or 1=1 --",
            "Syntax error at position 16 in $filter: unexpected character '='.",
        ),
        ("Name eq 'x'; DROP TABLE t", "unexpected character ';'"),
        ("Name\" eq 'x'", "unexpected character '\"'"),
    ],
)
def test_injection_attempts_are_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_filter(text)
    assert message in str(info.value)


def test_column_mapper_rejects_bad_paths() -> None:
    with pytest.raises(ODataQueryError, match="'a' or 1' is not a valid property path"):
        json_column("a' or 1")
    with pytest.raises(ODataQueryError, match="not a valid property path"):
        compile_filter(Prop(("x')--",)))


def test_custom_column_mapper() -> None:
    sql, params = compile_filter(parse_filter("Id eq 5 and Name eq 'a'"), lambda p: f"col_{p}")
    assert sql == "((col_Id IS ?) AND (col_Name IS ?))"
    assert params == [5, "a"]


# --- syntax errors name position and token ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name eq", "Syntax error at position 7 in $filter 'Name eq': expected an expression, found end of input."),
        ("(Name eq 1", "Syntax error at position 10 in $filter '(Name eq 1': expected ')', found end of input."),
        ("Name eq 1 2", "Syntax error at position 10 in $filter 'Name eq 1 2': expected an operator such as 'and', 'or' or 'eq', found '2'."),
        ("Name eq 1)", "Syntax error at position 9 in $filter 'Name eq 1)': expected an operator such as 'and', 'or' or 'eq', found ')'."),
        ("eq 1", "Syntax error at position 0 in $filter 'eq 1': expected an expression, found 'eq'."),
        ("Name eq 'abc", "Syntax error at position 8 in $filter: unterminated string literal"),
        ("Name # 1", "Syntax error at position 5 in $filter: unexpected character '#'."),
        # the wording of Microsoft's OData library (the PBX's), see docs/emulator.md
        ("foo(Name)", "An unknown function with name 'foo' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed."),
        ("contains(Name)", "No function signature for the function with name 'contains' matches the specified arguments. The function signatures considered are: contains(Edm.String Nullable=true, Edm.String Nullable=true)."),
        ("substring(Name)", "considered are: substring(Edm.String Nullable=true, Edm.Int32), substring(Edm.String Nullable=true, Edm.Int32, Edm.Int32)."),
        ("X eq 2025-01-01T10:00", "Syntax error at position 5 in $filter: '2025-01-01T10:00' is not a valid date-time;"),
        ("X eq 2025-02-30", "Syntax error at position 5 in $filter: '2025-02-30' is not a valid date."),
        ("X eq 12abc", "Syntax error at position 5 in $filter: '12abc' is not a valid number"),
        ("Groups/all()", "expected a lambda variable and a condition"),
        ("Groups/any(1: 1)", "expected a lambda variable name, found '1'"),
        ("Name/", "expected a property name after '/', found end of input."),
        ("Id in 1", "expected '(', found '1'"),
        ("  ", "The $filter query option is empty"),
    ],
)  # fmt: skip
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_filter(text)
    assert message in str(info.value)


# --- $orderby, $select, $expand, parse_query ----------------------------------------------


def test_orderby(db: sqlite3.Connection) -> None:
    items = parse_orderby("Age desc, Name")
    assert [(i.expr, i.descending) for i in items] == [
        (Prop(("Age",)), True),
        (Prop(("Name",)), False),
    ]
    sql, params = compile_orderby(parse_orderby("Age desc,tolower(Name) asc"))
    rows = db.execute(f"SELECT k FROM t ORDER BY {sql}, k", params).fetchall()
    assert [r[0] for r in rows] == [3, 1, 4, 2]  # '  zed  ' sorts before 'alice'
    with pytest.raises(ODataQueryError, match="expected ',' or 'asc'/'desc', found 'up'"):
        parse_orderby("Age up")


def test_select() -> None:
    assert parse_select("Number, FirstName,Address/City") == ("Number", "FirstName", "Address/City")
    assert parse_select("*") == ("*",)
    with pytest.raises(ODataQueryError, match="'First Name' is not a property name"):
        parse_select("Number,First Name")


def test_expand_nested() -> None:
    expand = parse_expand(
        "Groups($select=Name;$expand=Rights($select=Id);$filter=Name eq 'a;b'),Tags"
    )
    assert list(expand) == ["Groups", "Tags"]
    groups = expand["Groups"]
    assert groups.select == ("Name",)
    assert groups.filter == Binary("eq", Prop(("Name",)), Literal("a;b", "string"))
    assert groups.expand["Rights"].select == ("Id",)
    assert expand["Tags"] == QueryOptions()
    nested = parse_expand("Members($orderby=Name desc;$top=500;$skip=1;$count=true)")["Members"]
    assert nested.top == 500 and nested.skip == 1 and nested.orderby[0].descending


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Groups(", "Syntax error at position 7 in $expand 'Groups(': an unclosed '('."),
        ("Groups)", "Syntax error at position 6 in $expand 'Groups)': unbalanced ')'."),
        ("Group s", "'Group s' is not a navigation property"),
        ("Groups(select=Name)", "Invalid nested option 'select=Name' in $expand of Groups"),
        ("Groups($top=x)", "Invalid value 'x' for $top"),
    ],
)
def test_expand_errors(text: str, message: str) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_expand(text)
    assert message in str(info.value)


def test_parse_query_all_options() -> None:
    options = parse_query(
        {
            "$filter": "Number eq '100'",
            "$select": "Number,FirstName",
            "$orderby": "Number desc",
            "$top": "10",
            "$skip": "20",
            "$count": "TRUE",
            "$expand": "Groups",
            "$search": "smith",
            "$format": "json",  # unknown options are ignored
            "other": "x",
        }
    )
    assert options.filter == Binary("eq", Prop(("Number",)), Literal("100", "string"))
    assert options.select == ("Number", "FirstName")
    assert options.orderby[0].descending
    assert (options.top, options.skip, options.count) == (10, 20, True)
    assert list(options.expand) == ["Groups"]
    assert options.search == "smith"
    assert parse_query({}) == QueryOptions()
    assert parse_query({"$count": "false"}).count is False


def test_top_limit_message() -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_query({"$top": "500"})
    assert str(info.value) == (
        "The limit of '100' for Top query has been exceeded. "
        "The value from the incoming request is '500'."
    )
    assert parse_query({"$top": "100"}).top == 100
    assert parse_query({"$top": "20000"}, max_top=None).top == 20000
    with pytest.raises(ODataQueryError, match="The limit of '50' for Top query"):
        parse_query({"$top": "51"}, max_top=50)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"$top": "-1"}, "Invalid value '-1' for $top: a negative number; $top takes a whole number 0 or larger."),
        ({"$top": "ten"}, "Invalid value 'ten' for $top: not an integer;"),
        ({"$skip": "1.5"}, "Invalid value '1.5' for $skip: not an integer;"),
        ({"$skip": "-3"}, "Invalid value '-3' for $skip: a negative number;"),
        ({"$count": "yes"}, "Invalid value 'yes' for $count: use true or false."),
    ],
)  # fmt: skip
def test_parse_query_errors(params: dict[str, str], message: str) -> None:
    with pytest.raises(ODataQueryError) as info:
        parse_query(params)
    assert message in str(info.value)


# --- validation against known properties ---------------------------------------------------

PROPS = {"Id", "Number", "FirstName", "Groups", "Address"}


@pytest.mark.parametrize(
    "params",
    [
        {"$select": "Number,Foo"},
        {"$orderby": "Foo desc"},
        {"$filter": "Number eq '1' and contains(Foo,'x')"},
        {"$expand": "Foo"},
        {"$filter": "Groups/any(g: g/Name eq 'x') and Foo eq 1"},
    ],
)
def test_validate_unknown_property(params: dict[str, str]) -> None:
    with pytest.raises(ODataQueryError) as info:
        validate_options(parse_query(params), PROPS, "Pbx.User")
    assert str(info.value) == "Could not find a property named 'Foo' on type 'Pbx.User'."


def test_validate_accepts_known_and_lambda_variables() -> None:
    options = parse_query(
        {
            "$select": "Number,Address/City",
            "$filter": "Groups/any(g: g/Name eq 'x')",
            "$orderby": "FirstName",
            "$expand": "Groups",
        }
    )
    validate_options(options, PROPS, "Pbx.User")


# --- projection ------------------------------------------------------------------------------

USER = {
    "Id": 5,
    "Number": "100",
    "FirstName": "Ann",
    "Address": {"City": "Berlin", "Zip": "10115"},
    "Groups": [
        {"Id": 1, "Name": "Sales", "Rights": {"RoleName": "users"}, "Members": [1]},
        {"Id": 2, "Name": "Support", "Rights": {"RoleName": "admins"}, "Members": [2]},
        {"Id": 3, "Name": "Board", "Rights": {"RoleName": "users"}, "Members": []},
    ],
    "Manager": {"Id": 9, "Number": "900"},
}
NAV = {"Groups", "Manager"}


def test_project_hides_unexpanded_navigation() -> None:
    assert project(USER, QueryOptions(), NAV) == {
        "Id": 5,
        "Number": "100",
        "FirstName": "Ann",
        "Address": {"City": "Berlin", "Zip": "10115"},
    }


def test_project_select_and_expand() -> None:
    options = parse_query({"$select": "Number,Address/City", "$expand": "Manager($select=Number)"})
    assert project(USER, options, NAV) == {
        "Number": "100",
        "Address": {"City": "Berlin"},
        "Manager": {"Number": "900"},
    }


def test_project_nested_options_on_lists() -> None:
    options = parse_query(
        {
            "$select": "Id",
            "$expand": "Groups($select=Name;$expand=Rights;$filter=Rights/RoleName eq 'users';"
            "$orderby=Name desc;$top=5)",
        }
    )
    result = project(USER, options, NAV, nested_nav={"Groups": {"Rights", "Members"}})
    assert result == {
        "Id": 5,
        "Groups": [
            {"Name": "Sales", "Rights": {"RoleName": "users"}},
            {"Name": "Board", "Rights": {"RoleName": "users"}},
        ],
    }
    paged = parse_query({"$expand": "Groups($orderby=Id;$skip=1;$top=1)"})
    assert project(USER, paged, NAV)["Groups"] == [USER["Groups"][1]]


def test_project_expand_all_and_null() -> None:
    result = project(USER, parse_query({"$expand": "*", "$select": "Id"}), NAV)
    assert result == {"Id": 5, "Groups": USER["Groups"], "Manager": USER["Manager"]}
    assert project({"Id": 1, "Manager": None}, parse_query({"$expand": "Manager"}), NAV) == {
        "Id": 1,
        "Manager": None,
    }
    assert project(USER, parse_query({"$select": "*"}), NAV)["FirstName"] == "Ann"


def test_project_does_not_mutate_input() -> None:
    before = json.dumps(USER)
    project(USER, parse_query({"$select": "Number", "$expand": "Groups($select=Name)"}), NAV)
    assert json.dumps(USER) == before


# --- programmatic conditions ---------------------------------------------------------------


def test_condition_builds_typed_literals(db: sqlite3.Connection) -> None:
    def run(*cond: object) -> list[int]:
        sql, params = compile_filter(condition(*cond))  # type: ignore[arg-type]
        return [r[0] for r in db.execute(f"SELECT k FROM t WHERE {sql} ORDER BY k", params)]

    assert run("StartTime", "ge", "2025-03-13T23:00:00Z") == [1, 2, 3]
    assert run("StartTime", "lt", datetime(2025, 3, 13, 23, tzinfo=UTC)) == [4]
    assert run("Enabled", "eq", False) == [2]
    assert run("Score", "eq", None) == [3, 4]
    assert run("Score", "gt", 2.0) == [2]
    assert run("Number", "in", ["100", "102"]) == [1, 3]
    assert run("Address/City", "eq", "Berlin") == [1]
    with pytest.raises(ValueError, match="unknown operator 'like'"):
        condition("Name", "like", "x")
    with pytest.raises(ValueError, match="cannot compare with a value of type dict"):
        condition("Name", "eq", {})


def test_the_parser_reads_the_one_table_of_query_options() -> None:
    """Every option of ``catalog.options.QUERY_OPTIONS`` fills its QueryOptions field."""
    import dataclasses

    from tcxkit.catalog.options import QUERY_OPTION_NAMES, QUERY_OPTIONS

    samples = {"select": "Number", "filter": "Id eq 1", "orderby": "Number", "expand": "Groups",
               "top": "5", "skip": "2", "count": "true", "search": "x"}  # fmt: skip
    assert set(samples) == set(QUERY_OPTION_NAMES)
    assert {f.name for f in dataclasses.fields(QueryOptions)} == set(QUERY_OPTION_NAMES)
    blank = QueryOptions()
    for option in QUERY_OPTIONS:
        parsed = parse_query({option.odata: samples[option.name]})
        assert getattr(parsed, option.name) != getattr(blank, option.name), option.name
    assert parse_query({"$unknown": "1", "select": "Number"}) == blank
