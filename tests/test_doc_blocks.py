"""Docs that run: every shell block of README.md and docs/*.md runs, or says why not.

A block is a fenced ```sh, ```bash, ```console or ```shell block.  The line just
before its fence may carry a marker (an HTML comment, invisible when rendered):

* ``<!-- not run: REASON -->``: the block is not run, for the stated reason (a real
  PBX, an install, a server that runs until stopped, ...);
* ``<!-- run: exit N -->``: the block runs and its last command exits ``N``.

Every other block in a file of :data:`RUN` runs, in order, in one bash per block,
against one private demo emulator (``TCX_URL``/``TCX_CLIENT_ID``/``TCX_CLIENT_SECRET``)
and one emulated fleet of five at ``~/fleet-lab/fleet.toml`` (what docs/fleet.md's
first block starts), with a temporary HOME, XDG and TCX_* directories, the venv's
bin first on PATH.  A block passes when its last command exits as expected (0
unless marked) and nothing printed a traceback; a file reads as one shell session,
so the ``export`` lines of its earlier blocks are run again before each block.  Files not in :data:`RUN` are not
run yet: each of their blocks must be marked ``not run`` with its reason, so
the counts below say exactly what is covered.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tcxkit.emulator import EmulatorConfig
from tcxkit.emulator.fleet import running_fleet
from tcxkit.emulator.server import running

ROOT = Path(__file__).resolve().parents[1]
#: The files whose unmarked blocks are run; the others must mark every block.
RUN = ("README.md", "docs/cli.md", "docs/fleet.md", "docs/backups.md", "docs/recordings.md")
#: (blocks run, blocks marked not run) per file: a changed count is a reviewed change.
COUNTS = {
    "README.md": (0, 1),
    "docs/airflow.md": (0, 5),
    "docs/backups.md": (5, 1),
    "docs/cli.md": (3, 0),
    "docs/emulator.md": (0, 1),
    "docs/fleet.md": (5, 2),
    "docs/mcp.md": (0, 2),
    "docs/recordings.md": (5, 1),
    "docs/state.md": (0, 2),
}
SECRET = "doc-blocks-secret-7q2w"
_FENCE = re.compile(r"^```(sh|bash|console|shell)\n(.*?)^```$", re.M | re.S)
_NOT_RUN = re.compile(r"<!-- not run: (\S.*?) -->")
_EXIT = re.compile(r"<!-- run: exit (\d+) -->")


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    text: str
    not_run: str | None  # the reason, when marked
    exit_code: int


def blocks(rel: str) -> list[Block]:
    """The shell blocks of one file, each with its marker."""
    text = (ROOT / rel).read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _NOT_RUN.fullmatch(before.strip())
        code = _EXIT.fullmatch(before.strip())
        found.append(
            Block(
                rel,
                text[: m.start()].count("\n") + 1,
                m.group(2),
                skip.group(1) if skip else None,
                int(code.group(1)) if code else 0,
            )
        )
    return found


def _doc_files() -> list[str]:
    return ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]


def test_every_block_is_counted_and_marked_where_not_run() -> None:
    counts = {}
    for rel in _doc_files():
        found = blocks(rel)
        if not found:
            continue
        run = [b for b in found if b.not_run is None]
        if rel not in RUN:
            assert not run, f"{rel}:{run[0].line}: mark it <!-- not run: REASON -->"
        counts[rel] = (len(run), len(found) - len(run))
    assert counts == COUNTS


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment every block runs in: one emulator, one fleet, private dirs."""
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TCX_", "XDG_"))}
    for name in ("config", "data", "cache"):
        (home / f".{name}").mkdir()
        env[f"XDG_{name.upper()}_HOME"] = str(home / f".{name}")
    with (
        running(EmulatorConfig(data="demo", client_secret=SECRET)) as emulator,
        running_fleet(5, home / "fleet-lab" / "fleet.toml", EmulatorConfig(data="demo")),
    ):
        env.update(
            HOME=str(home),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            TCX_URL=emulator.url,
            TCX_CLIENT_ID=emulator.config.client_id,
            TCX_CLIENT_SECRET=SECRET,
            TCX_NO_KEYRING="1",
            COLUMNS="200",
        )
        yield env


_RUNNABLE = [b for rel in RUN for b in blocks(rel) if b.not_run is None]


@pytest.mark.parametrize("block", _RUNNABLE, ids=[f"{b.file}:{b.line}" for b in _RUNNABLE])
def test_block_runs(block: Block, shell: dict[str, str]) -> None:
    cwd = Path(shell["HOME"]) / "work" / block.file.replace("/", "_")
    cwd.mkdir(parents=True, exist_ok=True)
    # A doc reads as one shell session: what an earlier block exported still holds.
    earlier = [b for b in _RUNNABLE if b.file == block.file and b.line < block.line]
    exports = [ln for b in earlier for ln in b.text.splitlines() if ln.startswith("export ")]
    done = subprocess.run(
        ["bash", "-c", "\n".join([*exports, block.text])],
        env=shell,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    where = f"{block.file}:{block.line}\n{done.stdout}\n{done.stderr}"
    assert done.returncode == block.exit_code, where
    assert "Traceback" not in done.stdout + done.stderr, where
