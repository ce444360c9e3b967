#!/usr/bin/env python3
"""The deep pass of ``tests/client/test_wire_fuzz.py`` (the suite runs a bounded one).

Feeds many more generated and corrupted HTTP answers, from random seeds, to tcxkit's
wire reader and to h11, and holds them to the same property: the same answer where h11
reads one, ``httpcore.RemoteProtocolError`` where it refuses, never a hang.  A failure
is shrunk by Hypothesis and printed with the seed that finds it again.

    python scripts/fuzz_wire.py                 # 20,000 answers, a random seed
    python scripts/fuzz_wire.py -n 100000 --seed 7

About 350 answers a second on the 2-core development machine (a minute for 20,000).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from tests.client.test_wire_fuzz import answers, check  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--examples", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=answers())
    def deep(case: tuple[bytes, bytes]) -> None:
        check(*case)

    if args.seed is not None:
        deep = seed(args.seed)(deep)
    start = time.monotonic()
    deep()
    print(
        f"{args.examples} answers read alike by the wire and h11 in {time.monotonic() - start:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
