"""The generated type stubs: in sync with the catalog, complete, and read right by
both mypy and pyright (a clean sample passes, each of three mistakes is reported)."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

import tcxkit
from tcxkit import catalog
from tcxkit.catalog import snake
from tcxkit.catalog.examples import usage
from tcxkit.catalog.render import cli_options
from tcxkit.resources import signature_for

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
PACKAGE = Path(tcxkit.__file__).parent


@cache
def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_stubs", ROOT / "scripts" / "gen_stubs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _stub_tree() -> ast.Module:
    return ast.parse((PACKAGE / "client.pyi").read_text(encoding="utf-8"))


def test_stubs_match_catalog() -> None:
    """What type checkers read is what the generator makes of the catalog now."""
    files = _generator().build_stubs()
    assert set(files) == set(_generator().STUB_FILES)
    stale = [
        name
        for name, text in files.items()
        if not (PACKAGE / name).is_file() or (PACKAGE / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"{stale} stale: run scripts/gen_stubs.py (or pip install -e . again)"


def _methods(class_name: str) -> dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in _stub_tree().body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            out: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    out.setdefault(item.name, []).append(item)
            return out
    raise AssertionError(f"no class {class_name} in client.pyi")


def _keywords(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, bool]:
    """Keyword-only parameter -> required."""
    args = fn.args
    return {a.arg: d is None for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)}


@pytest.mark.parametrize("is_async", [False, True], ids=["Client", "AsyncClient"])
def test_every_action_has_its_runtime_signature(is_async: bool) -> None:
    """Each resource is a property, each action a method whose keywords are the ones the
    run time's signature (tcxkit.resources.signature_for) has, required where it requires."""
    cat = catalog()
    gen = _generator()
    client = _methods("AsyncClient" if is_async else "Client")
    for resource in cat.resources():
        assert snake(resource) in client, resource
        methods = _methods(gen._namespace_class(resource, is_async))
        actions = cat.by_resource(resource)
        assert set(methods) == {a.python_name for a in actions}, resource
        for action in actions:
            variants = methods[action.python_name]
            assert all(isinstance(v, ast.AsyncFunctionDef) == is_async for v in variants)
            runtime = signature_for(action).parameters
            stub: dict[str, bool] = {}
            for v in variants:
                stub |= _keywords(v)
            assert set(stub) - {"body", "headers"} == set(runtime) - {"body"}, action.id
            if len(variants) == 1:  # overloads: by name or body=, each required in its own
                required = {n for n, p in runtime.items() if p.default is inspect.Parameter.empty}
                assert {n for n, r in stub.items() if r} == required, action.id


def test_client_surface_follows_client_py() -> None:
    """Public methods of the real classes are in the stub with the same parameters."""
    from tcxkit.client import AsyncClient, Client

    for cls in (Client, AsyncClient):
        stub = _methods(cls.__name__) | _methods("_Base")
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") and name not in ("__init__", "__enter__", "__aenter__"):
                continue
            assert name in stub, f"{cls.__name__}.{name} missing from client.pyi"
            if inspect.isfunction(member):
                params = list(inspect.signature(member).parameters)
                node = stub[name][0].args
                names = [a.arg for a in [*node.posonlyargs, *node.args, *node.kwonlyargs]]
                names += [a.arg for a in (node.vararg, node.kwarg) if a is not None]
                assert sorted(names) == sorted(params), name


# -- the checkers -------------------------------------------------------------

# (line, words that must appear in the checker's report on that line)
MISTAKES = {
    "mypy": [
        (10, '"UsersResource" has no attribute "list_usr"; maybe "list_user"?'),
        (11, 'Unexpected keyword argument "idd" for "get_user"'),
        (12, 'Extra key "FirstNme" for TypedDict "UserIn"'),
        (13, 'expression has type "str | None", variable has type "int"'),
        (17, 'expression has type "Coroutine[Any, Any, User]", variable has type "User"'),
    ],
    "pyright": [
        (10, 'Cannot access attribute "list_usr" for class "UsersResource"'),
        (11, 'No parameter named "idd"'),
        (12, '"FirstNme" is an undefined item in type "UserIn"'),
        (13, 'Type "str | None" is not assignable to declared type "int"'),
        (17, '"CoroutineType[Any, Any, User]" is not assignable to "User"'),
    ],
}


def _every_action_program() -> str:
    """One call per action, exactly the Python example its page prints (docs/actions): the
    stubs accept what the run time accepts (tests/cli/test_examples.py runs these calls)."""
    cat = catalog()
    lines = ["from tcxkit import AsyncClient, Client", "", "", "def every(pbx: Client) -> None:"]
    calls = [
        "pbx." + usage(action, cli_options(action, cat), cat).python.removeprefix("client.")
        for action in cat
    ]
    lines += [f"    {c}" for c in calls]
    lines += ["", "", "async def every_async(pbx: AsyncClient) -> None:"]
    lines += [f"    await {c}" for c in calls]
    return "\n".join(lines) + "\n"


def _run(cmd: list[str], tmp_path: Path) -> str:
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "mypy-cache")}
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 1: errors were found
    return proc.stdout


def _errors(report: str, sample: str) -> list[str]:
    """Error lines of one sample file, as ``LINE: text``."""
    out: list[str] = []
    current = False
    for line in report.splitlines():
        line = line.strip()
        if line.startswith(f"{sample}:") and ": error:" in line:  # mypy
            _, number, rest = line.split(":", 2)
            out.append(f"{number}:{rest}")
        elif f"/{sample}:" in line and " - error: " in line:  # pyright
            where, rest = line.split(" - error: ", 1)
            out.append(f"{where.rsplit(':', 2)[1]}: {rest}")
            current = True
            continue
        elif current and line and " - " not in line and not line.startswith("/"):
            out[-1] += " " + line  # pyright explains on the lines below
            continue
        current = False
    return out


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_checker_accepts_sample_and_reports_each_mistake(checker: str, tmp_path: Path) -> None:
    files = ["sample_ok.py", "sample_bad.py", "every_action.py"]
    for name in files[:2]:
        shutil.copy(HERE / name, tmp_path / name)
    (tmp_path / files[2]).write_text(_every_action_program())
    if checker == "mypy":
        report = _run([sys.executable, "-m", "mypy", "--no-error-summary", *files], tmp_path)
    else:
        pyright = Path(sys.executable).with_name("pyright")
        report = _run([str(pyright), "--pythonpath", sys.executable, *files], tmp_path)
    assert _errors(report, "sample_ok.py") == [], report
    assert _errors(report, "every_action.py") == [], report
    assert " - warning: " not in report and ": warning:" not in report, report
    bad = _errors(report, "sample_bad.py")
    for line, words in MISTAKES[checker]:
        assert any(e.startswith(f"{line}:") and words in e for e in bad), (line, words, report)
    lines = {line for line, _ in MISTAKES[checker]}
    assert all(int(e.split(":")[0]) in lines for e in bad), report
