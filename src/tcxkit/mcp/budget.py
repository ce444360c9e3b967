"""Results that fit a model's context: at most ``--max-result-kb`` of JSON per answer.

A list (a JSON array, or an OData ``{"value": [...]}``) always comes back as one
shape, ``{"items", "returned", "skip", "total", "next"}``: ``total`` when the PBX
counted, ``next`` (the ``skip``/``top`` to ask for) when more items exist.  One that
is too long is cut to the first items that fit, with ``"truncated": true``.  Anything else that is too long is cut
with a note saying how to narrow it (``select``).  Sizes are measured on the
compact JSON the model receives, so the budget is the real one.
"""

from __future__ import annotations

import json
from typing import Any

from ..results import items_of

__all__ = ["dumps", "fit"]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _size(value: Any) -> int:
    return len(dumps(value).encode())


def fit(result: Any, budget: int, *, skip: int = 0, action: str = "") -> str:
    """``result`` as compact JSON of at most ``budget`` bytes (see the module docstring)."""
    found = items_of(result)
    if found is None:
        text = dumps(result)
        if len(text.encode()) <= budget:
            return text
        return _cut(text, budget)
    items, total = found.items, found.count
    page: dict[str, Any] = {"items": items, "returned": len(items), "skip": skip}
    if total is not None:
        page["total"] = total
        if skip + len(items) < total and items:
            page["next"] = _next(action, skip + len(items), len(items))
    if _size(page) <= budget:
        return dumps(page)
    return _trim(page, items, budget, action)


def _trim(page: dict[str, Any], items: list[Any], budget: int, action: str) -> str:
    """The longest prefix of ``items`` whose page (with its hint) fits ``budget``."""
    skip = page["skip"]

    def build(n: int) -> dict[str, Any]:
        out = dict(page, items=items[:n], returned=n, truncated=True)
        out["next"] = _next(action, skip + n, max(n, 1))
        out["note"] = (
            f"Only {n} of {page.get('total', 'more than ' + str(len(items)))} items fit the "
            f"{budget // 1024} KB result budget. Ask for the next page with the 'next' "
            "arguments, or fewer fields with select."
        )
        return out

    lo, hi = 0, len(items)
    while lo < hi:  # largest n with size(build(n)) <= budget
        mid = (lo + hi + 1) // 2
        if _size(build(mid)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:  # not even one item fits: paging cannot help, fewer fields can
        empty = dict(page, items=[], returned=0, truncated=True)
        empty["note"] = (
            f"One item alone is larger than the {budget // 1024} KB result budget; "
            "ask for fewer fields with select."
        )
        return dumps(empty) if _size(empty) <= budget else _cut(dumps(empty), budget)
    return dumps(build(lo))


def _next(action: str, skip: int, top: int) -> dict[str, Any]:
    nxt: dict[str, Any] = {"skip": skip, "top": top}
    if action:
        nxt = {"action": action, **nxt}
    return nxt


def _cut(text: str, budget: int) -> str:
    note = (
        f"\n[cut: the result is {len(text.encode()) // 1024} KB, over the {budget // 1024} KB "
        "budget; ask for fewer fields with select, or fewer items with top/filter]"
    )
    keep = max(0, budget - len(note.encode()))
    return text.encode()[:keep].decode(errors="ignore") + note
