"""The ``airflow`` extra, from the built wheel (tests/packaging covers cli and emulator).

A fresh venv with Airflow would cost minutes and a second copy of ~200 packages,
so this runs in the Airflow venv the suite already has: the wheel's metadata must
resolve against the Airflow installed here (``uv pip install --dry-run``), and with
the unpacked wheel first on the path, ``tcxkit.airflow`` and the provider entry point
are imported from the wheel's files, not from the editable checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    for candidate in (shutil.which("uv"), ROOT / ".venv" / "bin" / "uv"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise AssertionError("uv not found: scripts/test installs it in .venv")


def _run(cmd: list[Any], **kw: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([_uv(), "build", "--wheel", "--quiet", "--out-dir", out, ROOT])
    (built,) = out.glob("tcxkit-*.whl")
    return built


def test_airflow_extra_resolves_against_installed_airflow(wheel: Path) -> None:
    proc = _run(
        [_uv(), "pip", "install", "--dry-run", "--python", sys.executable, f"{wheel}[airflow]"]
    )
    report = proc.stdout + proc.stderr
    changes = [line for line in report.splitlines() if line.startswith((" - ", " + "))]
    # Only the wheel would replace the editable checkout: Airflow and the rest fit as they are.
    assert len(changes) == 2 and all(" tcxkit" in c for c in changes), report


PROBE = """
import json, importlib.metadata as md, sys
import tcxkit, tcxkit.airflow
from tcxkit.airflow import ThreeCXHook, ThreeCXOperator, ThreeCXSensor
(dist,) = md.distributions(path=[sys.argv[1]])
(ep,) = [e for e in dist.entry_points if e.group == "apache_airflow_provider"]
info = ep.load()()
print(json.dumps({"file": tcxkit.airflow.__file__, "hook": ThreeCXHook.conn_type,
                  "types": [c["connection-type"] for c in info["connection-types"]]}))
"""


def test_import_tcxkit_airflow_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "wheel"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    proc = _run([sys.executable, "-c", PROBE, unpacked], env=env, cwd=tmp_path)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).is_relative_to(unpacked)
    assert out["hook"] == "threecx" and out["types"] == ["threecx"]
