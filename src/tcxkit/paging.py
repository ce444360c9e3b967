"""Client-driven paging: XAPI has no ``@odata.nextLink``.

:class:`Pager` decides the next ``$top``/``$skip`` and when to stop; the sync
and async clients only loop over it.
"""

from __future__ import annotations

from typing import Any

from .catalog import Action
from .errors import UsageError
from .odata import integer_too_long
from .pipeline import ENTITY_SET_TOP_LIMIT
from .results import page_of

__all__ = ["Pager"]

REPORT_PAGE_SIZE = 1000


class Pager:
    """Plans pages for one listing.

    ``top`` given by the caller is the total wanted, not a page size; the page
    size is at most 100 on ordinary entity sets (the PBX refuses more).
    Paging stops on a short page, or once ``@odata.count`` items have been
    seen when ``count=True`` was asked for.
    """

    def __init__(self, action: Action, params: dict[str, Any], page_size: int | None) -> None:
        if not action.pageable:
            raise UsageError(
                f"{action.id} cannot be paged (it takes no $top/$skip).",
                hint="Call it once with client.call(...) instead.",
            )
        self.params = dict(params)
        top = self.params.pop("top", None)
        self.limit: int | None = None if top is None else _whole("top", top)
        self.skip: int = _whole("skip", self.params.pop("skip", None) or 0)
        cap = REPORT_PAGE_SIZE if action.is_report else ENTITY_SET_TOP_LIMIT
        if page_size is not None and (_whole("page_size", page_size) <= 0):
            raise UsageError(
                f"page_size must be a positive number, not {page_size!r}.",
                hint=f"Leave it out for the default ({cap} for {action.id}).",
            )
        size = int(page_size) if page_size is not None else cap
        self.page_size = min(size, cap) if not action.is_report else size
        self.total: int | None = None
        self.seen = 0
        self.done = False

    def next_params(self) -> dict[str, Any] | None:
        if self.done:
            return None
        size = self.page_size
        if self.limit is not None:
            size = min(size, self.limit - self.seen)
            if size <= 0:
                return None
        return {**self.params, "top": size, "skip": self.skip + self.seen}

    def feed(self, page: Any) -> list[Any]:
        """Items of a page; marks the end when the page is short or the count is reached."""
        found = page_of(page)
        items = found.items
        if self.total is None and found.count is not None:
            self.total = found.count
        asked = self.next_params()
        if asked is None or len(items) < asked["top"]:
            self.done = True
        if self.limit is not None:
            items = items[: max(self.limit - self.seen, 0)]
        self.seen += len(items)
        if self.total is not None and self.seen + self.skip >= self.total:
            self.done = True
        return list(items)


def _whole(name: str, value: Any) -> int:
    """``top``/``skip``/``page_size`` as an int; text like ``"20"`` (a command line) is fine."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        if (why := integer_too_long(value)) is not None:  # counted before int()
            raise UsageError(f"{name} {why}.", hint=f"Pass e.g. {name}=100.")
        number = int(value.strip())
    else:
        raise UsageError(
            f"{name} must be a whole number, not {value!r}.",
            hint=f"Pass e.g. {name}=100.",
        )
    if number < 0:
        raise UsageError(
            f"{name} must not be negative (got {number}).", hint=f"Pass e.g. {name}=100."
        )
    return number
