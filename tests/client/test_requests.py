"""What the pipeline builds from Python arguments: literals, quoting, coercion, checks.

These exercise :func:`tcxkit.pipeline.prepare` directly (it does no I/O); the
same requests going over HTTP are covered in test_client_http.py.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tcxkit import F, ValidationError, catalog
from tcxkit.odata import literal, query_string
from tcxkit.pipeline import prepare

CAT = catalog("20.0.10")


def build(action: str, **args):
    return prepare(CAT.require(action), args, CAT)


@pytest.mark.parametrize(
    ("value", "edm", "expected"),
    [
        ("100", "Edm.String", "'100'"),
        ("O'Brien", "Edm.String", "'O''Brien'"),
        ("''", "Edm.String", "''''''"),
        (42, "Edm.Int32", "42"),
        (True, "Edm.Boolean", "true"),
        (False, "", "false"),
        (None, "Edm.String", "null"),
        ("2025-03-13T23:00:00Z", "Edm.DateTimeOffset", "2025-03-13T23:00:00Z"),
        (dt.datetime(2025, 3, 13, 23, 0, tzinfo=dt.UTC), "", "2025-03-13T23:00:00Z"),
        (dt.datetime(2025, 3, 13, 23, 0), "Edm.DateTimeOffset", "2025-03-13T23:00:00Z"),
        (
            dt.datetime(2025, 3, 14, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "",
            "2025-03-14T01:00:00+02:00",
        ),
        (dt.date(2025, 3, 13), "", "2025-03-13T00:00:00Z"),
        (uuid.UUID(int=1), "", "00000000-0000-0000-0000-000000000001"),
        ("Extension", "Pbx.PeerType", "'Extension'"),
    ],
)
def test_literals(value, edm, expected) -> None:
    assert literal(value, edm) == expected


def test_query_string_uses_percent_20_and_keeps_odata_punctuation() -> None:
    q = query_string(
        [("$filter", "Name eq 'a b&c+d#e%'"), ("$expand", "Groups($select=Name;$top=1)")]
    )
    assert q == "$filter=Name%20eq%20'a%20b%26c%2Bd%23e%25'&$expand=Groups($select=Name;$top=1)"


def test_filter_builder_escapes_and_combines() -> None:
    expr = (F.LastName == "O'Brien") & ((F.Number >= "100") | ~F.Enabled.__eq__(True))
    assert (
        str(expr) == "(LastName eq 'O''Brien') and ((Number ge '100') or (not (Enabled eq true)))"
    )
    assert str(F("Address/City").contains("New York")) == "contains(Address/City,'New York')"
    assert str(F.Name.icontains("ÄB")) == "contains(tolower(Name),'äb')"
    assert str(F.Number.in_(["100", "101"])) == "(Number eq '100' or Number eq '101')"
    with pytest.raises(ValueError, match="not an OData property path"):
        F("Name) or (1 eq 1")
    with pytest.raises(TypeError, match=r"use & \| ~ to combine"):
        bool(F.Name == "x")


def test_alternate_key_is_quoted_and_encoded() -> None:
    req = build("GetPeerByNumber", Number="10 0'x/y")
    assert req.method == "GET"
    assert req.path == "/xapi/v1/Peers(Number='10%200''x%2Fy')"


def test_integer_key_from_text_is_coerced() -> None:
    assert build("GetUser", Id="42").path == "/xapi/v1/Users(42)"


def test_parameterless_function_keeps_its_parentheses() -> None:
    assert build("GetSystemParameters").path == "/xapi/v1/Defs/Pbx.GetSystemParameters()"


def test_function_parameters_by_spec_or_snake_name() -> None:
    req = build(
        "GetCallLogData",
        periodFrom=dt.datetime(2025, 3, 13, 23, tzinfo=dt.UTC),
        period_to="2025-03-14T23:00:00Z",
        source_type=0,
        source_filter=None,
        destination_type="0",
        destination_filter="1'0",
        calls_type=0,
        call_time_filter_type=0,
        call_time_filter_from=None,
        call_time_filter_to=None,
        hide_pcalls="true",
        top=500,
        count=True,
    )
    assert req.path == (
        "/xapi/v1/ReportCallLogData/Pbx.GetCallLogData(periodFrom=2025-03-13T23:00:00Z,"
        "periodTo=2025-03-14T23:00:00Z,sourceType=0,sourceFilter=null,destinationType=0,"
        "destinationFilter='1''0',callsType=0,callTimeFilterType=0,callTimeFilterFrom=null,"
        "callTimeFilterTo=null,hidePcalls=true)"
    )
    assert req.query == "$top=500&$count=true"  # report functions may ask for more than 100


def test_numbers_given_as_ints_become_strings() -> None:
    req = build("RetreivePeersByNumbers", peers_request={"DnNumbers": [1234, 5678]})
    assert req.json == {"peersRequest": {"DnNumbers": ["1234", "5678"]}}
    assert req.content() == b'{"peersRequest":{"DnNumbers":["1234","5678"]}}'
    same = build("RetreivePeersByNumbers", body={"peersRequest": {"DnNumbers": [1234]}})
    assert same.json == {"peersRequest": {"DnNumbers": ["1234"]}}


def test_list_options_are_joined() -> None:
    req = build(
        "ListUser",
        select=["Number", "FirstName"],
        orderby="Number desc",
        expand=["Groups($select=Name)"],
        filter=F.Number == "100",
        top=100,
        skip=0,
        count=False,
    )
    assert req.query == (
        "$select=Number,FirstName&$filter=Number%20eq%20'100'&$orderby=Number%20desc"
        "&$expand=Groups($select=Name)&$top=100&$skip=0&$count=false"
    )


def test_header_parameter_is_sent_as_header() -> None:
    assert build("DeleteUser", Id=1, if_match='W/"1"').headers == {"If-Match": 'W/"1"'}


def problems(action: str, **args) -> list[str]:
    with pytest.raises(ValidationError) as err:
        build(action, **args)
    assert err.value.exit_code == 3
    assert str(err.value).startswith(f"{action}: ")
    assert "nothing was sent" in str(err.value)
    return [str(p) for p in err.value.problems]


def test_every_problem_is_listed_with_its_path() -> None:
    assert problems(
        "UpdateUser", Id="x", body={"FirstName": "A", "Nmber": 3, "Require2FA": "maybe"}
    ) == [
        "Id: expected an integer, got string 'x'",
        "body.Nmber: unknown property (did you mean Number?)",
        "body.Require2FA: expected true or false, got string 'maybe'",
    ]


def test_missing_and_unknown_parameters() -> None:
    assert problems("GetPeerByNumber", numbr="100") == [
        "Number: is required (Edm.String)",
        "numbr: unknown parameter (did you mean number?); GetPeerByNumber accepts: number, select, expand",
    ]


def test_top_above_the_pbx_limit_is_refused_before_sending() -> None:
    assert problems("ListUser", top=500) == [
        "top: 500 is above the PBX's limit of 100 for Users; page instead "
        "(client.paginate(...) or --all)"
    ]


def test_option_the_action_does_not_take() -> None:
    assert problems("GetSystemParameters", filter="x eq 1") == [
        "filter: GetSystemParameters does not accept $filter (it accepts no OData options)"
    ]


def test_the_inner_object_of_a_single_argument_is_wrapped() -> None:
    inner = build("RetreivePeersByNumbers", body={"DnNumbers": ["1"]})
    wrapped = build("RetreivePeersByNumbers", body={"peersRequest": {"DnNumbers": ["1"]}})
    assert inner.json == wrapped.json == {"peersRequest": {"DnNumbers": ["1"]}}


def test_the_inner_object_is_checked_inside_its_argument() -> None:
    assert problems("RetreivePeersByNumbers", body={"DnNumbrs": ["1"]}) == [
        "body.peersRequest.DnNumbrs: unknown property (did you mean DnNumbers?)"
    ]


def test_body_and_named_arguments_together() -> None:
    assert problems("RetreivePeersByNumbers", body={}, peers_request={}) == [
        "body: give either body= or peersRequest, not both"
    ]


def test_entity_body_is_required() -> None:
    assert problems("CreateUser") == ["body: is required (Pbx.User)"]


def test_bad_date_time_and_enum() -> None:
    out = problems(
        "GetCallLogData",
        periodFrom="yesterday",
        periodTo="2025-03-14T23:00:00Z",
        sourceType=0,
        sourceFilter=None,
        destinationType=0,
        destinationFilter=None,
        callsType=0,
        callTimeFilterType=0,
        callTimeFilterFrom=None,
        callTimeFilterTo=None,
        hidePcalls=True,
    )
    assert out == [
        "periodFrom: 'yesterday' is not a valid date-time (use ISO 8601 with an offset, "
        "e.g. 2025-03-13T23:00:00Z)"
    ]
    peers = problems("ListPeer", top="ten")
    assert peers == ["top: expected an integer, got string 'ten'"]


def test_booleans_are_not_numbers_or_strings() -> None:
    assert problems("GetUser", Id=True) == ["Id: expected an integer, got boolean true"]
    assert problems("RetreivePeersByNumbers", peers_request={"DnNumbers": [True]}) == [
        "body.peersRequest.DnNumbers[0]: expected a string, got boolean true"
    ]


def test_function_parameters_named_like_odata_options() -> None:
    """20.0.4's GetLogs has function parameters top/skip/search *and* takes $top/$skip."""
    old = catalog("20.0.4")
    args = dict(
        startDate="2025-01-01T00:00:00Z",
        endDate="2025-01-02T00:00:00Z",
        extension="100",
        call=None,
        search="boot",
        severity=0,
        top=10,
        skip=0,
    )
    req = prepare(old.require("GetLogs"), {**args, "$top": 5, "$skip": 20}, old)
    assert "top=10,skip=0)" in req.path and ",search='boot'," in req.path
    assert req.query == "$top=5&$skip=20"


def test_required_action_arguments_are_asked_for() -> None:
    assert problems("RetreivePeersByNumbers") == [
        "peersRequest: is required (give peers_request=..., or body=...)"
    ]
    assert build("RetreivePeersByNumbers", body={}).json == {}


HUGE = "9" * 5000  # past Python's 4 300-digit int()/str() limit


@pytest.mark.parametrize(
    ("action", "args", "path"),
    [
        ("GetUser", {"id": HUGE}, "Id"),  # a key, as text
        ("GetUser", {"id": int("9" * 4000)}, "Id"),  # a key, as a Python int
        ("DownloadRecording", {"rec_id": HUGE}, "recId"),  # a function parameter
        ("ListUser", {"top": HUGE}, "top"),  # an OData option
        ("RetreivePeersByNumbers", {"peers_request": {"DnNumbers": [10**4500]}}, "body"),
    ],
)
def test_huge_numbers_are_counted_before_conversion(action, args, path) -> None:
    with pytest.raises(ValidationError) as info:
        build(action, **args)
    (problem,) = info.value.problems
    assert problem.path.startswith(path)
    assert problem.message.endswith("digits; at most 100 are accepted")
    assert info.value.exit_code == 3


def test_huge_numbers_in_the_filter_builder_and_literals() -> None:
    cases = [(lambda: F.Id == 10**5000, 5001), (lambda: literal(-(10**4400), "Edm.Int64"), 4401)]
    for make, digits in cases:
        with pytest.raises(ValidationError) as info:
            make()
        assert str(info.value) == (
            "literal: 1 problem in the request, nothing was sent:\n"
            f"  - value: {info.value.problems[0].message}\n"
            "No OData type holds such a number (Edm.Int64 has 19 digits): check the value."
        )
        assert info.value.problems[0].message == (
            f"is an integer of about {digits} digits; at most 100 are accepted"
        )
    assert str(F.Id == 10**99) == f"Id eq {10**99}"  # the largest accepted still works


def test_a_3000_term_filter_is_refused_before_sending() -> None:
    terms = F.Number.in_([str(1000 + i) for i in range(3000)])
    with pytest.raises(ValidationError) as info:
        build("ListUser", filter=terms)
    (problem,) = info.value.problems
    assert problem.path == "filter"
    assert "a PBX's web server reads at most 8 192 and answers a longer one with 414" in (
        problem.message
    )
    assert "`in` list" in info.value.hint and "split the values" in info.value.hint
    # Just under the limit is sent as is.
    fits = "Number in (" + ",".join(f"'{1000 + i}'" for i in range(1000)) + ")"
    assert len(build("ListUser", filter=fits).target) < 8192


def test_huge_paging_numbers_are_counted_before_conversion() -> None:
    from tcxkit import UsageError
    from tcxkit.paging import Pager

    for params, page_size, name in (
        ({"top": HUGE}, None, "top"),
        ({"skip": HUGE}, None, "skip"),
        ({}, HUGE, "page_size"),
    ):
        with pytest.raises(UsageError) as info:
            Pager(CAT.require("ListUser"), params, page_size)
        assert str(info.value) == (
            f"{name} is a number of 5000 digits; at most 100 are accepted.\nPass e.g. {name}=100."
        )
