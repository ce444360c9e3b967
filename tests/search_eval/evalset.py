"""The search evaluation set: admin requests with the actions that answer them.

``requests.jsonl`` holds one request a line: ``query`` (as a person types it),
``form`` (``sentence``, ``keywords`` or ``typo``) and ``expect`` (the operation
ids of 20.0.10 that answer it; any one of them counts as a hit).  The requests
were written from the spec and 3CX's admin vocabulary before the search was
tuned, and every resource of 20.0.10 is covered.

The split into a tuning half and a held-out half is fixed by the text alone
(:func:`split_of`), so adding a request never moves another one between halves.
Tune the search on ``tuning`` only; the test suite holds ``held-out`` to its bar.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

__all__ = ["FORMS", "SPLITS", "Request", "Score", "load", "score", "split_of"]

_FILE = Path(__file__).with_name("requests.jsonl")
FORMS = ("sentence", "keywords", "typo")
SPLITS = ("tuning", "held-out")


class Request(NamedTuple):
    query: str
    form: str
    expect: frozenset[str]
    split: str


def split_of(query: str) -> str:
    """``tuning`` or ``held-out``: the first byte of the text's SHA-256, even or odd."""
    return SPLITS[hashlib.sha256(query.encode("utf-8")).digest()[0] % 2]


def load(split: str | None = None, form: str | None = None) -> list[Request]:
    """The requests, optionally of one split and one form, in file order."""
    out = []
    for line in _FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        req = Request(rec["query"], rec["form"], frozenset(rec["expect"]), split_of(rec["query"]))
        if (split is None or req.split == split) and (form is None or req.form == form):
            out.append(req)
    return out


class Score(NamedTuple):
    """Hits at rank 1, within 3 and within 10, of ``n`` requests; misses listed."""

    n: int
    top1: int
    top3: int
    top10: int
    misses: list[tuple[Request, list[str]]]  # top-3 misses with what came back

    def rate(self, k: int) -> float:
        hits = {1: self.top1, 3: self.top3, 10: self.top10}[k]
        return hits / self.n if self.n else 1.0


def score(requests: Iterable[Request], ranked: Callable[[str], Sequence[str]]) -> Score:
    """Score ``ranked(query)`` (action ids, best first) against the expected ids."""
    n = top1 = top3 = top10 = 0
    misses = []
    for req in requests:
        got = list(ranked(req.query))[:10]
        rank = next((i for i, a in enumerate(got) if a in req.expect), None)
        n += 1
        top1 += rank == 0
        top3 += rank is not None and rank < 3
        top10 += rank is not None
        if rank is None or rank >= 3:
            misses.append((req, got[:3]))
    return Score(n, top1, top3, top10, misses)
