"""docs/emulator-routes.md is the emulator's routing, regenerated: it cannot drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tcxkit.emulator.routetable import route_table

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "emulator-routes.md"


def test_the_route_table_in_docs_is_current() -> None:
    text = route_table()
    assert TABLE.read_text(encoding="utf-8") == text, (
        "docs/emulator-routes.md is stale: run python scripts/emulator_routes.py"
    )
    # "How is GET /Users answered?" is one line: generically, from the store;
    # creating a user is the DN domain's (numbers, Peers).
    assert "| GET | `/Users` | `ListUser` | generic: list of Users from the store" in text
    assert "| POST | `/Users` | `CreateUser` | `domain.dns._create(...)` |" in text
    assert "| POST | `/connect/token` | `token_endpoint.TokenEndpoint.token` |" in text


def test_the_script_checks_and_writes_the_same_table() -> None:
    script = ROOT / "scripts" / "emulator_routes.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
