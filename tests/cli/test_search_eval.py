"""`3cx actions search` holds the evaluation set's bar (tests/search_eval/)."""

from __future__ import annotations

from tcxkit import catalog
from tests.search_eval.evalset import load, score
from tests.search_eval.test_evalset import TOP1, TOP3

from .conftest import Runner


def test_held_out_sentences_through_the_cli(bare: Runner) -> None:
    cat = catalog("20.0.10")

    def ranked(query: str) -> list[str]:
        r = bare("--release", "20.0.10", "actions", "search", "-n", "10", query)
        assert r.code == 0, (query, r.err)
        return [cat.require(line.split()[1]).id for line in r.out.splitlines()]

    s = score(load("held-out", "sentence"), ranked)
    assert s.n >= 100
    assert s.rate(3) >= TOP3 and s.rate(1) >= TOP1, (s.rate(1), s.rate(3), s.misses)
