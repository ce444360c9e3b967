"""Docs that run: every shell and Python block of README.md and docs/*.md runs, or says why not.

A shell block is a fenced ```sh, ```bash, ```console or ```shell block; a Python
block is a ```python block.  The files are found, not listed: a new docs/*.md is
held to the same rule the moment it exists.  The line just before a fence may
carry a marker (an HTML comment, invisible when rendered):

* ``<!-- not run: REASON -->``: the block is not run, for the stated reason (a real
  PBX, an install, Airflow, a server on every interface, a fragment of a larger
  program, ...);
* ``<!-- run: exit N -->`` (shell): the block runs and its last command exits ``N``;
* ``<!-- run: on the test PBX -->`` (Python): the block runs with its placeholder PBX
  (``"https://pbx.example.com"``), API client (``"my-api-client"``) and ``api_key`` made
  the test PBX's (:data:`PLACEHOLDERS`), and nothing else changed;
* ``<!-- run: with client -->`` (Python): the block runs after docs/client.md's imports
  and "Connecting" block (so with ``client``), pointed at the test's PBX as above;
* ``<!-- run: pytest ARGS -->`` (Python): the block is a test suite (files start at
  a ``# NAME.py`` line; without one it is ``test_doc.py``), run by pytest with ARGS
  in an empty folder; it passes when every test passed and none was skipped.

Every other block runs: a shell block in bash, a Python block as a script, with
the venv's ``python``.  They run against one private demo emulator
(``TCX_URL``/``TCX_CLIENT_ID``/``TCX_CLIENT_SECRET``, and profile ``acme`` stored
by ``3cx login`` for the docs that name a customer's profile) and one emulated fleet
of five at ``~/fleet-lab/fleet.toml`` (what docs/fleet.md's first block starts),
one of three offered an update at ``~/update-lab/fleet.toml`` (docs/updates.md's), with a temporary HOME, XDG and TCX_* directories, the venv's bin first on PATH and
``EDITOR`` a script that makes the edit docs/state.md's walkthrough describes.
A file reads as one session: its blocks run in order in one working directory
(so a file an earlier block wrote is there), the ``export`` lines of its earlier
blocks are run again before each shell block, and a ```yaml block whose first
line names a file (``# customers/acme.yaml``) is written there first, as a reader
following the page would have saved it.  A block passes when it exits as
expected (0 unless marked) and nothing printed a traceback.  :data:`COUNTS` says
exactly what is covered; ``python tests/test_doc_blocks.py`` lists every block
not run with its reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: (blocks run, blocks marked not run) per file: a changed count is a reviewed change.
COUNTS = {
    "README.md": (1, 1),
    "docs/airflow.md": (0, 16),
    "docs/backups.md": (4, 2),
    "docs/cli.md": (3, 0),
    "docs/client.md": (5, 2),
    "docs/emulator.md": (3, 2),
    "docs/events.md": (3, 3),
    "docs/exports.md": (2, 3),
    "docs/fleet.md": (7, 2),
    "docs/health.md": (3, 3),
    "docs/mcp.md": (0, 3),
    "docs/recordings.md": (6, 1),
    "docs/state.md": (2, 0),
    "docs/updates.md": (5, 3),
}
SECRET = "doc-blocks-secret-7q2w"
_FENCE = re.compile(r"^( *)```(sh|bash|console|shell|python)\n(.*?)^\1```$", re.M | re.S)
_FENCE_LINE = re.compile(r"^ *```(.*)$", re.M)
_YAML_FILE = re.compile(r"^```yaml\n# ([\w./-]+\.ya?ml)\n(.*?)^```$", re.M | re.S)
_NOT_RUN = re.compile(r"<!-- not run: (\S.*?) -->")
_RUN = re.compile(
    r"<!-- run: (exit (?P<code>\d+)|(?P<client>with client)|(?P<pbx>on the test PBX)"
    r"|pytest(?P<args>.*?)) -->"
)
#: A page's placeholders for a PBX, its API client and key -> the test PBX's.
PLACEHOLDERS = {
    '"https://pbx.example.com:5001"': 'os.environ["TCX_URL"]',
    '"https://pbx.example.com"': 'os.environ["TCX_URL"]',
    '"my-api-client"': 'os.environ["TCX_CLIENT_ID"]',
}
_PY_FILE = re.compile(r"^# (\w+\.py)$", re.M)
#: The editor docs/state.md's walkthrough opens: renames a queue and adds an extension.
EDITOR = """\
import sys, yaml
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    doc = yaml.safe_load(f)
queue = next(iter(doc["queues"].values()))
queue["Name"] = queue["Name"] + " (renamed)"
doc["users"]["170"] = {"FirstName": "Nia", "LastName": "Okafor"}
with open(path, "w", encoding="utf-8") as f:
    yaml.safe_dump(doc, f, sort_keys=False)
"""


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    lang: str  # "sh" or "python"
    text: str
    not_run: str | None  # the reason, when marked
    exit_code: int = 0
    with_client: bool = False
    on_pbx: bool = False  # placeholders replaced (PLACEHOLDERS)
    pytest_args: tuple[str, ...] | None = None  # a test suite, run by pytest with these


def blocks(rel: str, root: Path = ROOT) -> list[Block]:
    """The shell and Python blocks of one file (of this checkout, or another), with markers."""
    text = (root / rel).read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        lang = "python" if m.group(2) == "python" else "sh"
        skip = _NOT_RUN.fullmatch(before)
        run = _RUN.fullmatch(before)
        if run:
            assert (lang == "sh") == bool(run["code"]), f"{rel}: {before} on a {lang} block"
        found.append(
            Block(
                rel,
                text[: m.start()].count("\n") + 1,
                lang,
                textwrap.dedent(m.group(3)),
                skip.group(1) if skip else None,
                int(run["code"]) if run and run["code"] else 0,
                bool(run and run["client"]),
                bool(run and run["pbx"]),
                tuple(run["args"].split()) if run and run["args"] is not None else None,
            )
        )
    return found


def doc_files() -> list[str]:
    return ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]


def _counts() -> dict[str, tuple[int, int]]:
    counts = {}
    for rel in doc_files():
        found = blocks(rel)
        if found:
            run = sum(b.not_run is None for b in found)
            counts[rel] = (run, len(found) - run)
    return counts


def test_every_block_is_counted() -> None:
    """A new file or block, run or not, changes this table: nothing slips in unseen."""
    assert _counts() == COUNTS, "\n".join(_listing())


def test_fences_are_well_formed() -> None:
    """A fence with text after it, or one left open, would hide blocks from this test."""
    for rel in doc_files():
        infos = _FENCE_LINE.findall((ROOT / rel).read_text(encoding="utf-8"))
        bad = [i for i in infos if not re.fullmatch(r"[\w+-]*", i)]
        assert not bad, f"{rel}: a fence line is ``` or ```LANGUAGE alone: {bad}"
        assert len(infos) % 2 == 0, f"{rel}: a fence is not closed"


def _listing() -> list[str]:
    return [
        f"{b.file}:{b.line} [{b.lang}] not run: {b.not_run}"
        for rel in doc_files()
        for b in blocks(rel)
        if b.not_run is not None
    ]


def _on_test_pbx(source: str) -> str:
    """A page's code with its placeholder PBX, client id and ``api_key`` made the test PBX's."""
    for placeholder, value in PLACEHOLDERS.items():
        source = source.replace(placeholder, value)
    assert "example.com" not in source, source
    return f'import os\napi_key = os.environ["TCX_CLIENT_SECRET"]\n{source}'


def _connecting() -> str:
    """docs/client.md's imports and "Connecting" block: what makes ``client``."""
    page = blocks("docs/client.md")
    imports = next(b for b in page if b.text.startswith("from tcxkit import"))
    connect = next(b for b in page if b.text.startswith("client = Client("))
    return imports.text + connect.text


#: docs/updates.md's fleet: offered the next build, restarting in a second.
UPDATE_LAB_OPTIONS = {"offer_update": "next", "update_downtime": 1, "backup_delay": 0.2}


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment every block runs in: one emulator, one fleet, private dirs."""
    from tcxkit.emulator import EmulatorConfig
    from tcxkit.emulator.fleet import running_fleet
    from tcxkit.emulator.server import running

    home = tmp_path_factory.mktemp("home")
    update_lab = EmulatorConfig(data="demo", options=UPDATE_LAB_OPTIONS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TCX_", "XDG_"))}
    if env.get("PYTHONPATH"):  # blocks run in their own folders: the same sources from there
        paths = env["PYTHONPATH"].split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths)
    for name in ("config", "data", "cache"):
        (home / f".{name}").mkdir()
        env[f"XDG_{name.upper()}_HOME"] = str(home / f".{name}")
    editor = home / "doc-editor.py"
    editor.write_text(EDITOR, encoding="utf-8")
    with (
        running(EmulatorConfig(data="demo", client_secret=SECRET)) as emulator,
        running_fleet(5, home / "fleet-lab" / "fleet.toml", EmulatorConfig(data="demo")),
        running_fleet(3, home / "update-lab" / "fleet.toml", update_lab),
    ):
        env.update(
            HOME=str(home),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            TCX_URL=emulator.url,
            TCX_CLIENT_ID=emulator.config.client_id,
            TCX_CLIENT_SECRET=SECRET,
            TCX_NO_KEYRING="1",
            COLUMNS="200",
            EDITOR=f"{sys.executable} {editor}",
        )
        argv = ["3cx", "login", "--name", "acme", "--url", emulator.url]
        login = _run([*argv, "--client-id", emulator.config.client_id], env, home)
        assert login.returncode == 0, login.stderr
        yield env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run as from a shell script: no terminal, no stdin, output captured."""
    return subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _command(block: Block, earlier: list[Block], cwd: Path) -> list[str]:
    """What runs one block: bash, python, or pytest over the files the block holds."""
    if block.lang == "sh":
        exports = [
            ln for b in earlier if b.lang == "sh" for ln in b.text.splitlines()
            if ln.startswith("export ")
        ]  # fmt: skip
        # -e: every command of the block must succeed, not only the last one (a block
        # marked ``run: exit N`` ends on the command that exits N).
        return ["bash", "-e", "-c", "\n".join([*exports, block.text])]
    if block.pytest_args is None:
        source = _connecting() + block.text if block.with_client else block.text
        if block.with_client or block.on_pbx:
            source = _on_test_pbx(source)
        return [sys.executable, "-c", source]
    suite = cwd / f"pytest-{block.line}"
    suite.mkdir()
    parts = _PY_FILE.split(block.text)
    files = dict(zip(parts[1::2], parts[2::2], strict=True)) if len(parts) > 1 else {}
    for name, source in (files or {"test_doc.py": block.text}).items():
        (suite / name).write_text(source, encoding="utf-8")
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *block.pytest_args,
            str(suite)]  # fmt: skip


def _run_block(block: Block, earlier: list[Block], env: dict[str, str], cwd: Path) -> str | None:
    """Run one block; None when it passed, else what went wrong."""
    done = _run(_command(block, earlier, cwd), env, cwd)
    out = done.stdout + done.stderr
    problems = []
    if done.returncode != block.exit_code:
        problems.append(f"exit {done.returncode}, expected {block.exit_code}")
    if "Traceback" in out:
        problems.append("a traceback")
    if block.pytest_args is not None and (" passed" not in out or "skipped" in out):
        problems.append("pytest did not pass every test")
    if not problems:
        return None
    return f"{block.file}:{block.line}: {', '.join(problems)}\n{done.stdout}\n{done.stderr}"


def _write_named_yaml(rel: str, cwd: Path) -> None:
    for m in _YAML_FILE.finditer((ROOT / rel).read_text(encoding="utf-8")):
        path = cwd / m.group(1)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {m.group(1)}\n{m.group(2)}", encoding="utf-8")


_RUN_FILES = [rel for rel in doc_files() if any(b.not_run is None for b in blocks(rel))]


@pytest.mark.parametrize("rel", _RUN_FILES)
def test_doc_runs(rel: str, shell: dict[str, str]) -> None:
    """Every unmarked block of one file, in order, as a reader following the page."""
    cwd = Path(shell["HOME"]) / "work" / rel.replace("/", "_")
    cwd.mkdir(parents=True)
    _write_named_yaml(rel, cwd)
    runnable = [b for b in blocks(rel) if b.not_run is None]
    failures = []
    for i, block in enumerate(runnable):
        failure = _run_block(block, runnable[:i], shell, cwd)
        if failure:
            failures.append(failure)
    assert not failures, "\n\n".join(failures)


if __name__ == "__main__":
    for rel, (run, marked) in _counts().items():
        print(f"{rel}: {run} run, {marked} not run")
    print("\n".join(_listing()))
