"""One database file, one emulator: a second one on the same file refuses to start.

Two emulators sharing a file would each number DNs from their own view and hand out the
same extension twice; the first holds an exclusive lock until it stops.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tcxkit.emulator import EmulatorConfig, running
from tcxkit.errors import ConfigurationError

from .conftest import Connect


def test_second_emulator_on_the_same_file_refuses(tmp_path: Path, connect: Connect) -> None:
    db = tmp_path / "pbx.db"
    with running(EmulatorConfig(data="empty", db=db)) as first:
        second = EmulatorConfig(data="empty", db=db)
        with pytest.raises(ConfigurationError) as refused, running(second):
            pass  # pragma: no cover - must not start
        assert f"The emulator database {db} is in use by another emulator." in str(refused.value)
        with connect(first) as api:  # the first one is unharmed
            assert api.post("/Contacts", json={"FirstName": "Still"}).status_code == 201
    with running(EmulatorConfig(data="empty", db=db)) as again, connect(again) as api:
        # the lock went with the first emulator
        assert api.get("/Contacts").json()["value"][0]["FirstName"] == "Still"


def test_cli_says_why_it_cannot_start(tmp_path: Path) -> None:
    db = tmp_path / "pbx.db"
    with running(EmulatorConfig(data="empty", db=db)):
        done = subprocess.run(
            [sys.executable, "-m", "tcxkit.cli", "emulator", "--db", str(db), "--port", "0"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NO_COLOR": "1"},
        )
    assert done.returncode != 0
    assert "is in use by another emulator" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failed_start_releases_the_file(tmp_path: Path) -> None:
    db = tmp_path / "pbx.db"
    clash = EmulatorConfig(data="demo", db=db, client_id="100")  # a user's number
    with pytest.raises(ConfigurationError, match="is the number of another DN"), running(clash):
        pass  # pragma: no cover - must not start
    with running(EmulatorConfig(data="demo", db=db)) as emu:
        assert emu.url
