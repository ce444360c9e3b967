"""docs/mcp.md's test client runs as printed against a demo PBX and prints what the page says.

The script is taken from the page (the ``python`` block under "Try it"), run with
the interpreter of this environment (``3cx`` on its ``PATH``) and ``TCX_*`` pointing at a
fresh demo emulator; its output must equal the page's ``text`` block.  The demo's
scripted calls lie on yesterday of the emulator's start, the script asks for yesterday
of its own run: both fall on the same day unless midnight (London) passes in between,
which the test notices and then runs the example once more.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tcxkit.emulator import EmulatorConfig, running

from .conftest import SECRET, client_env

DOC = Path(__file__).parents[2] / "docs" / "mcp.md"


def _blocks() -> tuple[str, str]:
    """The test client's source and its printed output, as the page shows them."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Try it: a test client") :]
    script = re.search(r"```python\n(.*?)```", section, re.S)
    output = re.search(r"```text\n(.*?)```", section, re.S)
    assert script and output, "docs/mcp.md lost its test client or its output"
    return script.group(1), output.group(1)


def _london_day() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _ask(tmp_path: Path, script: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run the script against a fresh demo PBX; also say whether the PBX's day stayed the
    same from the emulator's start to the script's end (the demo's calls are on the
    start's yesterday, the script asks for its own yesterday)."""
    day = _london_day()
    config = EmulatorConfig(client_id="docs-example", client_secret=SECRET, port=0)
    with running(config) as emu:
        (tmp_path / "ask_pbx.py").write_text(script, encoding="utf-8")
        env = client_env(emu, tmp_path)
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        done = subprocess.run(
            [sys.executable, "ask_pbx.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    return done, _london_day() == day


def test_docs_test_client_runs_as_printed(tmp_path: Path) -> None:
    script, expected = _blocks()
    done, same_day = _ask(tmp_path, script)
    if not same_day:  # London's midnight passed during the run: ask again, on one day
        done, same_day = _ask(tmp_path, script)
        assert same_day  # two midnights cannot pass within two runs of seconds
    assert done.returncode == 0, done.stderr
    printed = [line.rstrip() for line in done.stdout.splitlines()]
    assert printed == expected.rstrip("\n").splitlines()
    assert "built-in emulator" not in done.stderr  # it asked the PBX it was pointed at
