"""Measure the action search against the evaluation set (tests/search_eval/).

    python scripts/eval_search.py                 # both splits, per query form
    python scripts/eval_search.py --split tuning --misses

Prints top-1 / top-3 / top-10 hit rates per split and per form (sentence,
keywords, typo).  ``--misses`` lists the requests whose expected action is not
in the top 3, with what came back instead: tune on the tuning split only, and
read the held-out misses only after the tuning is done (docs/benchmarks.md,
"Measuring search quality").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.search_eval.evalset import FORMS, SPLITS, load, score

from tcxkit.catalog import catalog
from tcxkit.catalog.search import search_actions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=SPLITS, help="only this split")
    ap.add_argument("--misses", action="store_true", help="list the top-3 misses")
    ap.add_argument("--release", default="20.0.10")
    args = ap.parse_args(argv)
    cat = catalog(args.release)

    def ranked(query: str) -> list[str]:
        return [a.id for a in search_actions(query, cat, limit=10)]

    print(f"{'split':<9} {'form':<9} {'n':>4} {'top-1':>7} {'top-3':>7} {'top-10':>7}")
    for split in [args.split] if args.split else SPLITS:
        for form in (*FORMS, None):
            s = score(load(split, form), ranked)
            print(
                f"{split:<9} {form or 'all':<9} {s.n:>4} "
                f"{s.rate(1):>7.1%} {s.rate(3):>7.1%} {s.rate(10):>7.1%}"
            )
            if args.misses and form is None:
                for req, got in s.misses:
                    print(
                        f"  miss [{req.form}] {req.query!r}: want {sorted(req.expect)}, got {got}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
