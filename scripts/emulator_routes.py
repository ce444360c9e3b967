"""Write docs/emulator-routes.md, the emulator's route table, from its routing.

``python scripts/emulator_routes.py`` rewrites the file; ``--check`` exits 1 when it is
stale (the test tests/emulator/test_route_table.py does the same).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tcxkit.emulator.routetable import route_table

TARGET = Path(__file__).resolve().parent.parent / "docs" / "emulator-routes.md"


def main(argv: list[str]) -> int:
    text = route_table()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is stale: run python scripts/emulator_routes.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
