"""Edge cases found in review: literals, coercion, paging, parity, tokens, downloads.

Each test pins a behaviour docs/client.md promises and the first version of
the client missed (or that is easy to break): over real HTTP to the emulator
where a request is involved, and through ``prepare``/``literal`` for pure
encoding questions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import enum
import inspect
import threading
from pathlib import Path

import pytest

from tcxkit import F, NotFoundError, UsageError, ValidationError, catalog
from tcxkit.catalog import RELEASES
from tcxkit.odata import literal
from tcxkit.pipeline import prepare

from .conftest import PBX

CAT = catalog("20.0.10")


def build(action: str, **args):
    return prepare(CAT.require(action), args, CAT)


# -- literals ---------------------------------------------------------------------


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


# -- coercion ---------------------------------------------------------------------


def test_integral_float_numbers_become_integer_text_where_the_spec_says_string() -> None:
    req = build("RetreivePeersByNumbers", peers_request={"DnNumbers": [1234.0, 12, "7"]})
    assert req.json == {"peersRequest": {"DnNumbers": ["1234", "12", "7"]}}


def test_non_canonical_integer_text_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        build("GetUser", Id="01")
    assert "Id: expected an integer, got string '01'" in str(err.value)


# -- signatures and messages ---------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_every_action_has_a_signature(release: str) -> None:
    from tcxkit.resources import signature_for

    for action in catalog(release):
        sig = signature_for(action)
        assert "kwargs" not in sig.parameters


def test_get_logs_of_old_releases_can_be_helped(pbx: PBX) -> None:
    with pbx.client(release="20.0.4") as c:
        ns = getattr(c, c.catalog.require("GetLogs").resource_python_name)
        method = ns.get_logs
        sig = inspect.signature(method)
    assert "top" in sig.parameters
    assert "GetLogs" in (method.__doc__ or "")


def test_help_on_a_bound_action(pbx: PBX) -> None:
    import pydoc

    with pbx.client(release="20.0.10") as c:
        text = pydoc.render_doc(c.users.update_user, renderer=pydoc.plaintext)
    assert "update_user(*, id: 'int', body: 'dict')" in text
    assert "PATCH" in text


def test_unknown_keyword_names_the_snake_case_body_argument() -> None:
    with pytest.raises(ValidationError) as err:
        build("RetreivePeersByNumbers", peer_request={"DnNumbers": ["1"]})
    text = str(err.value)
    assert "peer_request: unknown parameter (did you mean peers_request?)" in text
    assert "accepts: body, peers_request" in text


# -- paging -----------------------------------------------------------------------


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


# -- async parity -----------------------------------------------------------------


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


# -- token cache ------------------------------------------------------------------


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


# -- retries ----------------------------------------------------------------------


def test_retry_after_is_honoured_in_seconds_and_capped() -> None:
    from tcxkit.retry import RetryPolicy

    policy = RetryPolicy()
    assert policy.delay(1, "2") == 2.0
    assert policy.delay(1, "0") == 0.0
    assert policy.delay(1, "100000") == 60.0
    assert policy.delay(1, "-3") >= 0.0
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    assert 25.0 <= policy.delay(1, later) <= 30.0


# -- downloads --------------------------------------------------------------------


def test_download_into_a_folder_that_does_not_exist_yet(demo_pbx: PBX, tmp_path: Path) -> None:
    with demo_pbx.client() as c:
        rec = c.call("ListRecording", top=1)["value"][0]
        saved = c.download("DownloadRecording", str(tmp_path / "calls") + "/", recId=rec["Id"])
    assert Path(saved.path).parent == tmp_path / "calls"
    assert saved.filename and Path(saved.path).name == saved.filename
    assert Path(saved.path).read_bytes()[:4] == b"RIFF"
    assert [p.name for p in (tmp_path / "calls").iterdir()] == [saved.filename]


def test_download_of_a_json_error_leaves_no_file(demo_pbx: PBX, tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.wav"
    with demo_pbx.client() as c, pytest.raises(NotFoundError) as err:
        c.download("DownloadRecording", target, recId=987654)
    assert err.value.exit_code == 7
    assert "DownloadRecording: not found (404)" in str(err.value)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


async def test_concurrent_downloads_into_one_folder_do_not_mix(
    demo_pbx: PBX, tmp_path: Path
) -> None:
    async with demo_pbx.aclient() as c:
        recs = (await c.call("ListRecording", top=4, orderby="Id"))["value"]
        assert len(recs) >= 2
        expected = [await c.call("DownloadRecording", recId=r["Id"]) for r in recs]
        saved = await asyncio.gather(
            *(c.download("DownloadRecording", tmp_path, recId=r["Id"]) for r in recs)
        )
    for want, got in zip(expected, saved, strict=True):
        assert Path(got.path).name == want.filename
        assert Path(got.path).read_bytes() == want.content
    assert not list(tmp_path.glob(".*.part"))


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


def test_misnamed_attributes_and_positional_values_say_what_to_do(pbx: PBX) -> None:
    with pbx.client(release="20.0.10") as c:
        with pytest.raises(AttributeError) as err:
            c.userz  # noqa: B018
        assert "Client has no resource 'userz' (did you mean users" in str(err.value)
        with pytest.raises(AttributeError) as err:
            c.users.get_usr  # noqa: B018
        assert "resource Users has no action 'get_usr' (did you mean get_user" in str(err.value)
        with pytest.raises(UsageError) as err:
            c.users.get_user(5)
    assert str(err.value).startswith(
        "get_user() takes its parameters by name, got 1 positional value(s)."
    )
    assert "get_user(id=...)" in err.value.hint
    assert err.value.exit_code == 2
    assert pbx.token_requests() == 0
