"""A bounded cache per object, for the index's per-word look-ups.

``functools.lru_cache`` on a method keeps every ``self`` it saw alive in one cache
of the class: an index (and its catalog's documents) would outlive its catalog.
:func:`memo` keeps the cache in the object instead, so it goes with it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["memo"]

F = TypeVar("F", bound=Callable[..., Any])


def memo(maxsize: int) -> Callable[[F], F]:
    """Cache a method's results by its positional arguments, in the object; cleared when full."""

    def decorate(fn: F) -> F:
        slot = f"_memo_{fn.__name__}"

        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any) -> Any:
            cache: dict[tuple[Any, ...], Any] | None = self.__dict__.get(slot)
            if cache is None:
                cache = self.__dict__[slot] = {}
            try:
                return cache[args]
            except KeyError:
                if len(cache) >= maxsize:
                    cache.clear()
                value = cache[args] = fn(self, *args)
                return value

        return wrapper  # type: ignore[return-value]

    return decorate
