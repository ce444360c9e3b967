"""Installed the way users install it: from the built wheel, not this checkout.

Built once per session (``uv build``: the sdist, then the wheel from the sdist,
as pip does from PyPI); metadata checked with ``twine check``.  The wheel goes
into two fresh virtualenvs (``uv pip install``, from uv's cache: about 2 s each):
with the ``cli`` and ``emulator`` extras together (one venv for both: the
emulator extra's own venv would hold no file the other lacks), where the
README's first command runs against the embedded emulator and a library call
against an emulator on a port; and with no extra, where the library alone talks
to the suite's emulator.  The ``airflow`` extra (~200 packages) is checked from
the Airflow venv the suite already builds: tests/airflow/test_wheel.py.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tcxkit import RELEASES

from ..cli.test_embedded import _alive
from ..stubs.test_stubs import _generator

ROOT = Path(__file__).resolve().parents[2]
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


@dataclass
class Dist:
    wheel: Path
    sdist: Path


@dataclass
class Install:
    venv: Path
    python: Path
    site: Path


def _run(cmd: list[str | Path], **kw: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    assert UV, "uv is installed with the dev tools (scripts/test)"
    out = tmp_path_factory.mktemp("dist")
    _run([UV, "build", "--quiet", "--out-dir", out, ROOT])
    (wheel,) = out.glob("tcxkit-*.whl")
    (sdist,) = out.glob("tcxkit-*.tar.gz")
    return Dist(wheel, sdist)


def _install(requirement: str, tmp_path_factory: pytest.TempPathFactory) -> Install:
    venv = tmp_path_factory.mktemp("venv") / "v"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    _run([UV, "venv", "--quiet", "--python", sys.executable, venv], env=env)
    python = venv / "bin" / "python"
    _run([UV, "pip", "install", "--quiet", "--python", python, requirement])
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    return Install(venv, python, Path(site.stdout.strip()))


@pytest.fixture(scope="session")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Install:
    """The wheel with the cli and emulator extras."""
    return _install(f"{dist.wheel}[cli,emulator]", tmp_path_factory)


def _package_files() -> set[str]:
    """Every file of src/tcxkit that git tracks, as a path inside the wheel."""
    out = _run(["git", "ls-files", "src/tcxkit"], cwd=ROOT).stdout.split()
    return {p.removeprefix("src/") for p in out}


def test_metadata_passes_twine_check(dist: Dist) -> None:
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", dist.wheel, dist.sdist])
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_wheel_holds_every_package_file_and_the_stubs(dist: Dist) -> None:
    stub_files = {f"tcxkit/{n}" for n in _generator().STUB_FILES}
    with zipfile.ZipFile(dist.wheel) as zf:
        names = set(zf.namelist())
        missing = (_package_files() | stub_files) - names
        assert not missing, f"not in the wheel: {sorted(missing)}"
        stubs = {n: zf.read(f"tcxkit/{n}").decode() for n in _generator().STUB_FILES}
    data = "tcxkit/catalog/data/"
    for release in RELEASES:
        assert {f"{data}catalog-{release}.json.gz", f"{data}spec-{release}.json.gz"} <= names
    assert "tcxkit/py.typed" in names
    # The build hook ran the generator the tests check (tests/stubs).
    assert stubs == _generator().build_stubs()
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(dist.wheel) as zf:
        text = zf.read(meta).decode()
        assert "Provides-Extra: airflow" in text and "Provides-Extra: cli" in text
        assert "3cx = tcxkit.cli:main" in zf.read(entry_points).decode()


def test_sdist_rebuilds_the_wheel(dist: Dist) -> None:
    """The sdist carries what the build needs: hook, generator, specs, catalogs."""
    import tarfile

    with tarfile.open(dist.sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    needed = {"hatch_build.py", "scripts/gen_stubs.py", "pyproject.toml", "README.md"}
    needed |= {f"src/{p}" for p in _package_files()}
    assert not needed - names, sorted(needed - names)
    assert not any(n.endswith(".pyi") for n in names)  # generated when the wheel is built


def test_install_is_the_wheel_not_this_checkout(installed: Install) -> None:
    proc = _run([installed.python, "-c", "import tcxkit, tcxkit.client; print(tcxkit.__file__)"])
    assert Path(proc.stdout.strip()).is_relative_to(installed.site)
    assert not list(installed.site.glob("*.pth")) or all(
        str(ROOT) not in p.read_text() for p in installed.site.glob("*.pth")
    )
    for stub in _generator().STUB_FILES:
        assert (installed.site / "tcxkit" / stub).is_file()


def _readme_first_command() -> list[str]:
    """The `3cx ...` part of the README's first setup line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("python3 -m venv"))
    command = line.split("&&")[-1].strip()
    assert command.startswith(".venv/bin/3cx "), command
    return shlex.split(command.removeprefix(".venv/bin/"))


@pytest.fixture
def user_env(installed: Install, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Isolated config/data/cache dirs, as a first-time user has; stops the embedded emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TCX_", "PYTHON"))}
    for name in ("config", "data", "cache"):
        (tmp_path / name).mkdir()
        env[f"TCX_{name.upper()}_DIR"] = str(tmp_path / name)
    env["TCX_NO_KEYRING"] = "1"
    yield env
    state = tmp_path / "data" / "emulator.json"
    if state.exists():  # the test failed before it stopped the emulator itself
        pid = json.loads(state.read_text())["pid"]
        subprocess.run([str(installed.venv / "bin" / "3cx"), "emulator", "stop"], env=env)
        assert not _alive(pid)


def test_readme_first_command(installed: Install, user_env: dict[str, str], tmp_path: Path) -> None:
    bin_dir = installed.venv / "bin"
    argv = _readme_first_command()
    assert argv[0] == "3cx"
    proc = subprocess.run(
        [str(bin_dir / "3cx"), *argv[1:]],
        capture_output=True,
        text=True,
        env=user_env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "using the built-in emulator" in proc.stderr
    assert sorted(p["Number"] for p in json.loads(proc.stdout)) == ["100", "101"]
    state = json.loads((tmp_path / "data" / "emulator.json").read_text())
    stop = _run([bin_dir / "3cx", "emulator", "stop"], env=user_env)
    assert f"stopped the background emulator (pid {state['pid']}" in stop.stderr
    assert not _alive(state["pid"])


def test_mcp_without_its_extra(installed: Install, user_env: dict[str, str]) -> None:
    """The cli extra alone has no MCP SDK: `3cx mcp` says which extra to install."""
    proc = subprocess.run(
        [str(installed.venv / "bin" / "3cx"), "mcp"],
        capture_output=True,
        text=True,
        env=user_env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Error: 3cx mcp needs the mcp extra: pip install 'tcxkit[mcp]'" in proc.stderr


LIBRARY_CALL = """
import json, tcxkit
from tcxkit import Client
from tcxkit.emulator import EmulatorConfig, running

with running(EmulatorConfig(client_id="pkg", client_secret="pkg-secret")) as emu:
    with Client(emu.url, "pkg", "pkg-secret", release="auto", token_cache=False) as pbx:
        peers = pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [100, 101]})
        one = pbx.call("GetPeerByNumber", Number="100")
        print(json.dumps({"peers": [p["Number"] for p in peers["value"]],
                          "one": one["Number"], "release": pbx.release,
                          "file": tcxkit.__file__}))
"""


def test_library_call(installed: Install, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TCX_", "PYTHON"))}
    proc = _run([installed.python, "-c", LIBRARY_CALL], env=env, cwd=tmp_path)
    out = json.loads(proc.stdout)
    assert sorted(out["peers"]) == ["100", "101"] and out["one"] == "100"
    assert out["release"] == "20.0.10"
    assert Path(out["file"]).is_relative_to(installed.site)


CORE_CALL = """
import importlib.util, json, sys
from tcxkit import Client
with Client(sys.argv[1], sys.argv[2], sys.argv[3], token_cache=False) as pbx:
    peer = pbx.peers.get_peer_by_number(number=100)
print(json.dumps({"number": peer["Number"], "extras": [m for m in ("click", "rich", "starlette")
                                                       if importlib.util.find_spec(m)]}))
"""


def test_core_install_without_extras(
    dist: Dist, emulator: Any, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The wheel alone (httpx, platformdirs, filelock) is a working library."""
    core = _install(str(dist.wheel), tmp_path_factory)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TCX_", "PYTHON"))}
    args = [emulator.url, emulator.client_id, emulator.client_secret]
    proc = _run([core.python, "-c", CORE_CALL, *args], env=env, cwd=tmp_path)
    assert json.loads(proc.stdout) == {"number": "100", "extras": []}
    # The console script is installed with the library: without its extra it says what to do.
    bare = subprocess.run(
        [str(core.venv / "bin" / "3cx"), "--help"], capture_output=True, text=True, env=env
    )
    assert bare.returncode == 2 and bare.stdout == ""
    assert bare.stderr == "3cx: the command line needs the cli extra: pip install 'tcxkit[cli]'\n"
