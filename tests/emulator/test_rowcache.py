"""The row cache cannot be stale: generations, compare-and-set, and a two-thread interleave."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tcxkit.emulator.odata import parse_query
from tcxkit.emulator.store import Store
from tcxkit.emulator.store.rowcache import GenerationCache

orjson = pytest.importorskip("orjson")


def _names(items: list[Any]) -> list[str]:
    return [orjson.loads(orjson.dumps(item))["FirstName"] for item in items]


def test_a_newer_generation_drops_older_values() -> None:
    cache: GenerationCache[int, str] = GenerationCache(10)
    cache.put_many(1, {1: "a", 2: "b"})
    assert cache.get_many(1, [1, 2, 3]) == {1: "a", 2: "b"}
    assert cache.get(2, 1) is None  # the table moved on: nothing of generation 1 is served
    assert len(cache) == 0 and cache.generation == 2


def test_values_read_before_the_newest_generation_are_refused() -> None:
    cache: GenerationCache[int, str] = GenerationCache(10)
    cache.put(3, 1, "new")
    cache.put(2, 1, "old")  # a slow reader arriving after a newer one
    cache.put(2, 2, "old")
    assert cache.get_many(3, [1, 2]) == {1: "new"}
    assert cache.get(2, 1) is None


def test_the_cache_is_bounded_oldest_first() -> None:
    cache: GenerationCache[int, int] = GenerationCache(2)
    cache.put_many(0, {1: 1, 2: 2, 3: 3})
    assert cache.get_many(0, [1, 2, 3]) == {2: 2, 3: 3}
    off: GenerationCache[int, int] = GenerationCache(0)
    off.put(0, 1, 1)
    assert off.get(0, 1) is None


def test_the_generation_moves_under_the_writers_lock() -> None:
    """A reader holding the lock sees the write and its generation together, or neither."""
    with Store() as store:
        things = store.entity_set("Things")
        inside, release = threading.Event(), threading.Event()

        def write() -> None:
            with store.writing(things.table):
                store.execute(f"INSERT INTO \"{things.table}\" (k, data) VALUES (1, '{{}}')")
                inside.set()
                assert release.wait(10)

        writer = threading.Thread(target=write)
        writer.start()
        assert inside.wait(10)
        assert store.writes(things.table) == 0  # not yet: the writer still holds the lock
        release.set()
        with store.locked():
            generation = store.writes(things.table)
            rows = store.execute(f'SELECT count(*) FROM "{things.table}"')
        writer.join()
        assert (generation, rows) == (1, [(1,)])


def test_a_read_racing_a_write_never_caches_pre_write_rows() -> None:
    """Reader A reads old rows -> a write -> reader B caches new rows -> A offers its rows.

    Before the split, A's pre-write rows landed in the cache B had stamped with the
    post-write generation, and every later page served them (``Bob`` for ``Bobby``).
    """
    with Store() as store:
        users = store.entity_set("Users")
        users.insert_many([{"FirstName": "Ann"}, {"FirstName": "Bob"}])
        opts = parse_query({})
        cache = users.reader.row_cache()
        real_put = cache.put_many
        read_done, go = threading.Event(), threading.Event()

        def slow_put(generation: int, items: dict[Any, Any]) -> None:
            if threading.current_thread().name == "reader-a":
                read_done.set()  # A has read and encoded the pre-write rows
                assert go.wait(10)
            real_put(generation, items)

        cache.put_many = slow_put  # type: ignore[method-assign]
        seen: list[list[str]] = []
        reader = threading.Thread(
            target=lambda: seen.append(_names(users.query(opts, encoded=True).items)),
            name="reader-a",
        )
        reader.start()
        assert read_done.wait(10)
        users.update(2, {"FirstName": "Bobby"})
        assert _names(users.query(opts, encoded=True).items) == ["Ann", "Bobby"]  # reader B
        go.set()
        reader.join()
        assert seen == [["Ann", "Bob"]]  # A answered from the state it read
        assert _names(users.query(opts, encoded=True).items) == ["Ann", "Bobby"]
        users.update(1, {"FirstName": "Anna"})
        assert _names(users.query(opts, encoded=True).items) == ["Anna", "Bobby"]
