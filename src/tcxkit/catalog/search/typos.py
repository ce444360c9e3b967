"""Typos: edit distance, and the catalog words near a misspelt one.

A query word neither the catalog nor the vocabulary knows is read as the nearest
catalog word: within one edit (two from eight letters), transpositions counting one.
Words are kept by length with their letters, so a look-up compares a word with the
few catalog words of about its length and letters, not with all of them.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

__all__ = ["Lexicon", "edit_distance"]


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance with adjacent transpositions, capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


class Lexicon:
    """Catalog words by length, for :meth:`near` (typo candidates) and :meth:`closest`."""

    def __init__(self, words: Iterable[str]) -> None:
        self._sorted = sorted(set(words))
        self._by_length: dict[int, list[tuple[str, frozenset[str]]]] = defaultdict(list)
        for w in self._sorted:
            self._by_length[len(w)].append((w, frozenset(w)))

    def near(self, word: str, short: int = 6) -> list[tuple[str, int]]:
        """Words within edit distance 1 of ``word`` (2 when longer than ``short``), with it."""
        limit = 1 if len(word) <= short else 2
        letters = frozenset(word)
        out = []
        for n in range(len(word) - limit, len(word) + limit + 1):
            for w, its in self._by_length.get(n, ()):
                if len(letters - its) > limit or len(its - letters) > limit:
                    continue
                d = edit_distance(word, w, limit)
                if d <= limit:
                    out.append((w, d))
        return out

    def prefixed(self, word: str, n: int = 20) -> list[str]:
        """Up to ``n`` longer words that start with ``word`` (``recor`` -> recording)."""
        start = bisect.bisect_right(self._sorted, word)
        out = []
        for w in self._sorted[start : start + n]:
            if not w.startswith(word):
                break
            out.append(w)
        return out
