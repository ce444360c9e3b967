"""Values read from one generation of a table, which can never outlive that generation.

The store numbers the states of each table: :meth:`.db.Store.writing` moves a table's
generation forward while it still holds the store's lock, after the write's statements
and before any other thread can read.  A reader takes the generation and the rows it
reads in one locked section, so the pair always describes one state of the table.

A :class:`GenerationCache` keeps values tagged with the generation they were read in:

* a lookup for generation ``g`` finds only values stored for ``g`` (one for a newer
  generation drops everything older first);
* a store for an older generation than the cache's is refused: a reader that read its
  rows before a write, and comes to store them after another reader has already seen
  the write, cannot put pre-write rows under the post-write generation.

So invalidation needs no hook in the write path and holds whatever the thread
interleaving: the worst a race can do is a miss.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

__all__ = ["GenerationCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class GenerationCache(Generic[K, V]):
    """A bounded map of values read in one table generation (oldest evicted first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit  # 0: keep nothing
        self._values: dict[K, V] = {}
        self._generation = -1
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """The generation the kept values were read in (-1: none yet)."""
        return self._generation

    def __len__(self) -> int:
        return len(self._values)

    def get(self, generation: int, key: K) -> V | None:
        """The value of ``key`` read in ``generation``, or None."""
        with self._lock:
            if not self._current(generation):
                return None
            return self._values.get(key)

    def get_many(self, generation: int, keys: Iterable[K]) -> dict[K, V]:
        """The values of those ``keys`` that were read in ``generation``."""
        with self._lock:
            if not self._current(generation):
                return {}
            values = self._values
            return {k: values[k] for k in keys if k in values}

    def put(self, generation: int, key: K, value: V) -> None:
        """Keep ``value``, read in ``generation`` (dropped if the table has moved on)."""
        self.put_many(generation, {key: value})

    def put_many(self, generation: int, items: Mapping[K, V]) -> None:
        """Keep ``items``, read in ``generation`` (dropped if the table has moved on)."""
        if self.limit <= 0:
            return
        with self._lock:
            if not self._current(generation):
                return
            values = self._values
            for key, value in items.items():
                if key not in values and len(values) >= self.limit:
                    del values[next(iter(values))]  # oldest first
                values[key] = value

    def _current(self, generation: int) -> bool:
        """Whether ``generation`` is the kept one, moving to it when it is newer."""
        if generation > self._generation:
            self._values.clear()
            self._generation = generation
        return generation == self._generation
