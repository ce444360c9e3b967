"""The evaluation set is sound, and the library's search holds the held-out bar.

The same bar is held through the faces: ``tests/cli/test_search_eval.py``
(``3cx actions search``) and ``tests/mcp/test_search_eval.py`` (``search_actions``
over stdio).
"""

from __future__ import annotations

from collections import Counter

from tcxkit import catalog
from tcxkit.catalog.search import search_actions

from .evalset import FORMS, SPLITS, load, score, split_of

#: Held-out sentence queries: top-3 and top-1 hit rates the search must keep.
TOP3, TOP1 = 0.90, 0.70


def test_the_set_is_sound() -> None:
    requests = load()
    assert len(requests) >= 200
    assert len({r.query for r in requests}) == len(requests)  # no request twice
    cat = catalog("20.0.10")
    for r in requests:
        assert r.form in FORMS, r
        assert r.expect and all(cat.get(i) is not None and cat.get(i).id == i for i in r.expect), r
    covered = {cat.require(i).resource for r in requests for i in r.expect}
    assert covered == set(cat.resources())  # every resource of 20.0.10
    sizes = Counter(r.split for r in requests)
    assert set(sizes) == set(SPLITS) and min(sizes.values()) > 0.4 * len(requests)
    assert split_of("Make a backup now") == split_of("Make a backup now")  # by the text alone


def test_held_out_sentences_through_the_library() -> None:
    cat = catalog("20.0.10")
    s = score(
        load("held-out", "sentence"), lambda q: [a.id for a in search_actions(q, cat, limit=10)]
    )
    assert s.n >= 100
    assert s.rate(3) >= TOP3 and s.rate(1) >= TOP1, (s.rate(1), s.rate(3), s.misses)
