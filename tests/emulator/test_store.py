"""Unit tests of the emulator's SQLite entity store."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tcxkit.emulator.odata import ODataQueryError, parse_query
from tcxkit.emulator.store import (
    DuplicateKeyError,
    EntityNotFoundError,
    EntitySet,
    Store,
    StoreError,
)

USER_PROPS = {"Id", "Number", "FirstName", "LastName", "Enabled", "Created", "Tags", "Groups"}


@pytest.fixture
def store() -> Store:
    with Store() as s:
        yield s


@pytest.fixture
def users(store: Store) -> EntitySet:
    users = store.entity_set(
        "Users",
        type_name="Pbx.User",
        properties=USER_PROPS,
        nav_props={"Groups"},
        datetime_props={"Created"},
        indexes=["Number"],
    )
    users.insert_many(
        [
            {"Number": "100", "FirstName": "Ann", "LastName": "O'Brien", "Enabled": True,
             "Created": "2025-01-01T10:00:00+01:00", "Tags": ["a"],
             "Groups": [{"Id": 1, "Name": "Sales"}, {"Id": 2, "Name": "Support"}]},
            {"Number": "101", "FirstName": "Bob", "LastName": "Smith", "Enabled": False,
             "Created": "2025-02-01T00:00:00Z", "Tags": [], "Groups": []},
            {"Number": "102", "FirstName": "Cid", "LastName": "Smith", "Enabled": True,
             "Created": "2025-03-01T00:00:00.5Z", "Tags": ["b"], "Groups": [{"Id": 2, "Name": "Support"}]},
        ]
    )  # fmt: skip
    return users


# --- CRUD -----------------------------------------------------------------------------------


def test_insert_assigns_int_keys_first(store: Store) -> None:
    things = store.entity_set("Things")
    first = things.insert({"Name": "a"})
    second = things.insert({"Name": "b", "Id": None})
    assert first == {"Id": 1, "Name": "a"}
    assert list(first) == ["Id", "Name"]
    assert second["Id"] == 2
    assert things.insert({"Id": 10, "Name": "c"})["Id"] == 10
    assert things.insert({"Name": "d"})["Id"] == 11
    # ids are not reused after deleting the highest one
    assert things.delete(11) is True
    assert things.insert({"Name": "e"})["Id"] == 12


def test_insert_duplicate_and_bad_keys(store: Store) -> None:
    things = store.entity_set("Things", type_name="Pbx.Thing")
    things.insert({"Id": 1})
    with pytest.raises(DuplicateKeyError) as info:
        things.insert({"Id": 1})
    assert str(info.value) == "A Pbx.Thing with Id 1 already exists."
    with pytest.raises(StoreError) as info2:
        things.insert({"Id": "abc"})
    assert str(info2.value) == "Things key Id must be an integer, not 'abc'."
    with pytest.raises(StoreError, match="must be an integer, not True"):
        things.insert({"Id": True})
    assert things.insert({"Id": "7"})["Id"] == 7  # numeric text is accepted


def test_string_and_uuid_keys(store: Store) -> None:
    backups = store.entity_set("Backups", key="FileName", key_type="str", type_name="Pbx.Backup")
    backups.insert({"FileName": "b1.zip", "Size": 10})
    assert backups.get("b1.zip") == {"FileName": "b1.zip", "Size": 10}
    with pytest.raises(StoreError) as info:
        backups.insert({"Size": 1})
    assert str(info.value) == "A new Pbx.Backup needs its key 'FileName' (a non-empty string)."
    clients = store.entity_set("OAuthClients", key_type="uuid")
    made = clients.insert({"Name": "x"})
    assert uuid.UUID(made["Id"])
    assert clients.get(made["Id"].upper()) == made  # GUIDs compare in canonical form
    assert clients.get("not-a-guid") is None
    with pytest.raises(StoreError, match="key Id must be a GUID, not 'nope'"):
        clients.insert({"Id": "nope"})


def test_get_find_update_replace_delete(users: EntitySet) -> None:
    assert users.get(1)["FirstName"] == "Ann"
    assert users.get("2")["FirstName"] == "Bob"
    assert users.get(99) is None
    assert users.get("x") is None
    assert [u["Id"] for u in users.find(LastName="Smith")] == [2, 3]
    assert [u["Id"] for u in users.find(LastName="Smith", Enabled=True)] == [3]
    assert users.find_one(Number="101")["Id"] == 2
    assert users.find_one(Number="999") is None
    assert users.find_one(LastName="O'Brien")["Id"] == 1

    updated = users.update(1, {"FirstName": "Anna", "Tags": [], "Id": 1})
    assert updated["FirstName"] == "Anna" and updated["Tags"] == []  # arrays replaced whole
    assert updated["Groups"] == [{"Id": 1, "Name": "Sales"}, {"Id": 2, "Name": "Support"}]
    assert users.get(1) == updated
    with pytest.raises(StoreError) as info:
        users.update(1, {"Id": 5})
    assert str(info.value) == "The key Id of a Pbx.User cannot be changed (1 -> 5)."
    with pytest.raises(EntityNotFoundError) as missing:
        users.update(42, {"FirstName": "x"})
    assert str(missing.value) == "No Pbx.User with Id 42 exists."

    replaced = users.replace(2, {"Number": "101", "FirstName": "Robert"})
    assert replaced == {"Id": 2, "Number": "101", "FirstName": "Robert"}
    assert users.get(2) == replaced
    with pytest.raises(EntityNotFoundError, match=r"No Pbx\.User with Id 42 exists\."):
        users.replace(42, {})

    assert users.delete(2) is True
    assert users.delete(2) is False
    assert users.delete("junk") is False
    assert [u["Id"] for u in users.all()] == [1, 3]
    assert users.count() == 2 and len(users) == 2


def test_datetimes_normalised_on_write(users: EntitySet) -> None:
    assert users.get(1)["Created"] == "2025-01-01T09:00:00Z"
    assert users.get(3)["Created"] == "2025-03-01T00:00:00.500000Z"
    assert users.update(2, {"Created": "2025-02-01T01:00:00+01:00"})["Created"] == (
        "2025-02-01T00:00:00Z"
    )
    made = users.insert({"Number": "103", "Created": datetime(2025, 5, 1, tzinfo=UTC)})
    assert made["Created"] == "2025-05-01T00:00:00Z"
    odd = users.insert({"Number": "104", "Created": "someday"})
    assert odd["Created"] == "someday"  # not a date-time: left for the caller to validate


def test_count_with_where(users: EntitySet) -> None:
    assert users.count([("LastName", "eq", "Smith")]) == 2
    assert users.count([("Created", "ge", "2025-02-01T00:00:00Z")]) == 2
    assert users.count([("Created", "gt", "2025-02-01T01:00:00+01:00")]) == 1
    assert users.count([("Number", "in", ["100", "102"])]) == 2
    with pytest.raises(ODataQueryError) as info:
        users.count([("Number", "like", "1%")])
    assert str(info.value).startswith("Invalid condition on 'Number': unknown operator 'like'")


# --- queries ----------------------------------------------------------------------------------


def q(users: EntitySet, **params: str) -> list[int]:
    result = users.query(parse_query({f"${k}": v for k, v in params.items()}))
    return [item.get("Id") for item in result.items]


def test_query_default_order_and_paging(users: EntitySet) -> None:
    assert q(users) == [1, 2, 3]
    assert q(users, top="2") == [1, 2]
    assert q(users, top="2", skip="2") == [3]
    assert q(users, skip="5") == []
    assert q(users, top="0") == []


def test_query_filter_orderby_count(users: EntitySet) -> None:
    assert q(users, filter="LastName eq 'Smith'", orderby="FirstName desc") == [3, 2]
    assert q(users, orderby="LastName desc") == [3, 2, 1]  # ties broken by key, same direction
    assert q(users, orderby="LastName") == [1, 2, 3]
    assert q(users, orderby="Id desc") == [3, 2, 1]
    assert q(users, filter="Id gt 1") == [2, 3]
    assert q(users, filter="Enabled") == [1, 3]
    assert q(users, filter="Groups/any(g: g/Name eq 'Support')") == [1, 3]
    assert q(users, filter="Created lt 2025-02-01T00:00:00Z") == [1]
    assert q(users, filter="LastName eq 'O''Brien'") == [1]
    assert q(users, filter="LastName eq 'x'' or 1 eq 1 or ''a'' eq ''a'") == []
    result = users.query(
        parse_query({"$filter": "LastName eq 'Smith'", "$top": "1", "$count": "true"})
    )
    assert result.count == 2 and len(result.items) == 1
    assert users.query(parse_query({})).count is None


def test_query_where_and_max_top(users: EntitySet) -> None:
    result = users.query(
        parse_query({"$orderby": "Created desc"}),
        where=[("Created", "ge", "2025-01-15T00:00:00Z"), ("Enabled", "eq", True)],
    )
    assert [u["Id"] for u in result.items] == [3]
    capped = users.query(parse_query({"$count": "true"}), max_top=2)
    assert [u["Id"] for u in capped.items] == [1, 2] and capped.count == 3
    assert len(users.query(parse_query({"$top": "3"}, max_top=None), max_top=1).items) == 1


def test_query_select_expand(users: EntitySet) -> None:
    plain = users.query(parse_query({"$filter": "Id eq 1"})).items[0]
    assert "Groups" not in plain and plain["Tags"] == ["a"]
    selected = users.query(parse_query({"$select": "Number,FirstName", "$top": "1"})).items
    assert selected == [{"Number": "100", "FirstName": "Ann"}]
    expanded = users.query(
        parse_query({"$select": "Number", "$expand": "Groups($select=Name;$filter=Id eq 2)"})
    ).items
    assert expanded == [
        {"Number": "100", "Groups": [{"Name": "Support"}]},
        {"Number": "101", "Groups": []},
        {"Number": "102", "Groups": [{"Name": "Support"}]},
    ]


def test_query_search(users: EntitySet) -> None:
    assert q(users, search="smith") == [2, 3]
    assert q(users, search='"o\'brien"') == [1]


@pytest.mark.parametrize(
    "params",
    [
        {"$select": "Nope"},
        {"$filter": "Nope eq 1"},
        {"$orderby": "Nope"},
        {"$expand": "Nope"},
    ],
)
def test_query_unknown_property(users: EntitySet, params: dict[str, str]) -> None:
    with pytest.raises(ODataQueryError) as info:
        users.query(parse_query(params))
    assert str(info.value) == "Could not find a property named 'Nope' on type 'Pbx.User'."


def test_query_without_property_list_accepts_anything(store: Store) -> None:
    loose = store.entity_set("Loose")
    loose.insert({"A": 1})
    assert loose.query(parse_query({"$filter": "B eq null"})).items == [{"Id": 1, "A": 1}]


# --- transactions, threads, persistence ---------------------------------------------------------


def test_transaction_rolls_back_and_nests(store: Store) -> None:
    things = store.entity_set("Things")
    with pytest.raises(RuntimeError, match="boom"), store.transaction():
        things.insert({"Name": "a"})
        raise RuntimeError("boom")
    assert things.count() == 0
    with store.transaction():
        things.insert({"Name": "kept"})
        with pytest.raises(DuplicateKeyError), store.transaction():
            things.insert({"Name": "inner"})
            things.insert({"Id": 1})
    assert [t["Name"] for t in things.all()] == ["kept"]
    # a failing bulk insert leaves nothing behind
    with pytest.raises(DuplicateKeyError, match="Bulk insert into Things failed"):
        things.insert_many([{"Name": "x"}, {"Id": 1}])
    assert things.count() == 1


def test_threads_share_one_store(store: Store) -> None:
    things = store.entity_set("Things")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                things.insert({"Name": threading.current_thread().name})
                things.query(parse_query({"$top": "5", "$orderby": "Id desc"}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert things.count() == 400
    assert [t["Id"] for t in things.all()] == list(range(1, 401))


def test_restart_keeps_data(tmp_path: Path) -> None:
    path = str(tmp_path / "emulator.db")
    with Store(path) as first:
        users = first.entity_set("Users", indexes=["Number"])
        users.insert({"Number": "100"})
        users.insert({"Number": "101"})
        users.delete(2)
        assert first.execute("PRAGMA journal_mode")[0][0] == "wal"
    with Store(path) as second:
        users = second.entity_set("Users", indexes=["Number"])
        assert users.all() == [{"Id": 1, "Number": "100"}]
        assert users.insert({"Number": "102"})["Id"] == 3  # ids keep counting after restart


def test_bad_names(store: Store) -> None:
    with pytest.raises(StoreError, match="'Users; DROP' is not a valid entity set name"):
        store.entity_set("Users; DROP")
    with pytest.raises(StoreError, match="'I d' is not a valid key property name"):
        store.entity_set("X", key="I d")
    with pytest.raises(StoreError, match="key_type must be 'int', 'str' or 'uuid', not 'float'"):
        store.entity_set("X", key_type="float")  # type: ignore[arg-type]
    with pytest.raises(ODataQueryError, match="is not a valid property path"):
        store.entity_set("X", indexes=["a')--"])


# --- bulk and performance -----------------------------------------------------------------------


def test_bulk_insert_and_indexed_queries(store: Store) -> None:
    calls = store.entity_set(
        "CallRecords",
        type_name="Pbx.CallLogData",
        datetime_props={"StartTime"},
        indexes=["StartTime", "Number"],
    )
    base = datetime(2024, 7, 1, tzinfo=UTC)
    rows = [
        {
            "StartTime": (base + timedelta(minutes=5 * i)).isoformat(),
            "Number": str(100 + i % 900),
            "Duration": f"PT{i % 600}S",
            "Answered": i % 3 != 0,
        }
        for i in range(100_000)
    ]
    calls.insert_many(rows)
    assert calls.count() == 100_000

    plan = store.execute(
        "EXPLAIN QUERY PLAN SELECT data FROM set_CallRecords "
        "WHERE json_extract(data, '$.StartTime') >= ? ORDER BY json_extract(data, '$.StartTime') DESC",
        ["x"],
    )
    assert "ix_CallRecords_StartTime" in str(plan)

    options = parse_query(
        {
            "$filter": "StartTime ge 2025-01-01T00:00:00Z and StartTime lt 2025-02-01T00:00:00Z",
            "$orderby": "StartTime desc",
            "$top": "100",
            "$count": "true",
        }
    )
    result = calls.query(options)
    assert len(result.items) == 100
    assert result.count == 31 * 24 * 12
    assert result.items[0]["StartTime"] == "2025-01-31T23:55:00Z"
    starts = [item["StartTime"] for item in result.items]
    assert starts == sorted(starts, reverse=True)

    answered = calls.query(
        parse_query({"$filter": "Answered eq false", "$top": "1", "$count": "true"})
    )
    assert answered.count == 33_334


# --- bulk load, programmatic conditions, encoded rows and counts ------------------------------


def test_insert_raw_loads_rows_as_given(store: Store) -> None:
    calls = store.entity_set("Calls", key="SegmentId", indexes=["StartTime"])
    calls.insert_raw(
        {"SegmentId": i, "StartTime": f"2025-01-0{i}T00:00:00Z", "Answered": i % 2 == 0}
        for i in range(1, 6)
    )
    assert len(calls) == 5 and calls.get(3) == {
        "SegmentId": 3,
        "StartTime": "2025-01-03T00:00:00Z",
        "Answered": False,
    }
    with pytest.raises(DuplicateKeyError, match="a key is used twice or already exists"):
        calls.insert_raw([{"SegmentId": 1, "StartTime": "x"}])
    clauses, params = calls.where_sql([("StartTime", "ge", "2025-01-04T00:00:00Z")])
    sql = f'SELECT k FROM "{calls.table}" WHERE {" AND ".join(clauses)} ORDER BY k'
    assert [row[0] for row in store.execute(sql, params)] == [4, 5]
    with pytest.raises(ODataQueryError, match="Invalid condition on 'StartTime'"):
        calls.where_sql([("StartTime", "like", "x")])


def test_query_order_names_the_default_sort(store: Store) -> None:
    calls = store.entity_set("Calls", key="SegmentId", indexes=["StartTime"])
    calls.insert_raw(
        [
            {"SegmentId": 1, "StartTime": "2025-01-03T00:00:00Z"},
            {"SegmentId": 2, "StartTime": "2025-01-01T00:00:00Z"},
            {"SegmentId": 3, "StartTime": "2025-01-01T00:00:00Z"},
        ]
    )
    opts = parse_query({})
    assert [r["SegmentId"] for r in calls.query(opts).items] == [1, 2, 3]
    ordered = calls.query(opts, order=("StartTime",))
    assert [r["SegmentId"] for r in ordered.items] == [2, 3, 1]


def test_encoded_rows_follow_every_write(users: EntitySet) -> None:
    orjson = pytest.importorskip("orjson")
    opts = parse_query({"$count": "true"})
    first = users.query(opts, encoded=True, hide=frozenset({"Tags"}))
    decoded = [orjson.loads(orjson.dumps(item)) for item in first.items]
    assert [u["FirstName"] for u in decoded] == ["Ann", "Bob", "Cid"]
    assert "Tags" not in decoded[0] and "Groups" not in decoded[0]  # hidden, navigation
    assert first.count == 3
    users.update(2, {"FirstName": "Bobby"})
    users.insert({"Number": "103", "FirstName": "Dee"})
    again = users.query(opts, encoded=True, hide=frozenset({"Tags"}))
    names = [orjson.loads(orjson.dumps(item))["FirstName"] for item in again.items]
    assert names == ["Ann", "Bobby", "Cid", "Dee"] and again.count == 4
    users.delete(1)
    assert users.query(opts, encoded=True).count == 3
    # $select needs shaping per request: plain dicts, not pre-encoded rows.
    picked = users.query(parse_query({"$select": "Number"}), encoded=True).items
    assert picked == [{"Number": "101"}, {"Number": "102"}, {"Number": "103"}]


def test_int_keys_stay_in_their_range_and_are_never_reused(store: Store) -> None:
    """``key_max`` (2**31 - 1 for an Edm.Int32 key) bounds assigned and given keys alike."""
    small = store.entity_set("Small", key_max=3)
    first, second = small.insert({}), small.insert({})
    assert small.delete(second["Id"])
    assert small.insert({})["Id"] == 3  # the deleted 2 does not come back
    with pytest.raises(StoreError, match="every key up to 3 has been used"):
        small.insert({})
    with pytest.raises(StoreError, match=r"outside its type's range \(-4..3\)"):
        small.insert({"Id": 4})
    assert small.get(2**40) is None
    assert first["Id"] == 1
