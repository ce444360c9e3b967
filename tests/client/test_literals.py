"""How values become URL text: keys, filter literals, parameters and coerced numbers.

Pure encoding questions, through ``prepare``/``literal`` (no request needed).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum

import pytest

from tcxkit import F, ValidationError, catalog
from tcxkit.odata import literal
from tcxkit.pipeline import prepare

CAT = catalog("20.0.10")


def build(action: str, **args):
    return prepare(CAT.require(action), args, CAT)


def test_string_key_with_url_specials_is_percent_encoded_inside_the_quotes() -> None:
    req = build("GetPeerByNumber", Number="a/b#c%d?e\nf é'")
    assert req.path == "/xapi/v1/Peers(Number='a%2Fb%23c%25d%3Fe%0Af%20%C3%A9''')"


def test_negative_and_float_integer_keys() -> None:
    assert build("GetUser", Id=-5).path == "/xapi/v1/Users(-5)"
    assert build("GetUser", Id=7.0).path == "/xapi/v1/Users(7)"
    with pytest.raises(ValidationError) as err:
        build("GetUser", Id=2**40)
    assert "Id: 1099511627776 is out of range [-2147483648, 2147483647]" in str(err.value)
    with pytest.raises(ValidationError) as err:
        build("GetUser", Id=None)
    assert "Id: must not be null (expected integer (int32))" in str(err.value)


class _Kind(enum.Enum):
    EXT = "Extension"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (decimal.Decimal("1.50"), "1.50"),
        (dt.timedelta(minutes=1, seconds=12.5), "duration'PT1M12.5S'"),
        (_Kind.EXT, "'Extension'"),
        (float("nan"), "NaN"),
        (float("-inf"), "-INF"),
        (
            dt.datetime(2025, 1, 1, 1, 1, 1, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            "2025-01-01T01:01:01.123456-05:00",
        ),
    ],
)
def test_untyped_literals_for_filters(value, expected) -> None:
    assert literal(value) == expected


def test_filter_with_enum_and_duration() -> None:
    assert str(F.Type == _Kind.EXT) == "Type eq 'Extension'"
    assert str(F.Talk > dt.timedelta(hours=1)) == "Talk gt duration'PT1H'"


def test_offset_date_time_parameter_keeps_its_plus_sign_encoded() -> None:
    when = dt.datetime(2025, 3, 14, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    req = build(
        "GetCallLogData",
        periodFrom=when,
        periodTo=when,
        sourceType=0,
        sourceFilter="",
        destinationType=0,
        destinationFilter="",
        callsType=0,
        callTimeFilterType=0,
        callTimeFilterFrom="0:00:0",
        callTimeFilterTo="0:00:0",
        hidePcalls=True,
    )
    assert "periodFrom=2025-03-14T01:00:00%2B02:00," in req.path


def test_integral_float_numbers_become_integer_text_where_the_spec_says_string() -> None:
    req = build("RetreivePeersByNumbers", peers_request={"DnNumbers": [1234.0, 12, "7"]})
    assert req.json == {"peersRequest": {"DnNumbers": ["1234", "12", "7"]}}


def test_non_canonical_integer_text_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        build("GetUser", Id="01")
    assert "Id: expected an integer, got string '01'" in str(err.value)
