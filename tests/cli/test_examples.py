"""Every example on every action page runs as printed against the demo PBX.

``3cx actions show`` and docs/actions/ print three calls per action: a ``3cx``
command, a ``3cx call`` command and a Python call.  Here all of them meet a
private demo emulator (examples write: create, update, delete):

* the ``3cx`` command of every action runs in-process through the CLI's own
  ``main`` (a subprocess per example would cost minutes; a small sample below
  goes through the installed console script);
* for reads, the ``3cx call`` and Python forms run too; for writes, which can
  run once only, both must carry exactly the request of the ``3cx`` command;
* writes run in the order a person trying them would follow: creates first
  (later examples name what they create), then reads, updates, other actions,
  deletes, and bulk deletes last.

An example may come back empty, or find nothing (exit 7), only where
``examples.json`` says why (``demo_has_none``, ``no_result``).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcxkit import Client, catalog
from tcxkit.catalog import Action
from tcxkit.catalog.examples import Usage, example_data, usage
from tcxkit.catalog.naming import snake
from tcxkit.catalog.render import cli_options, render_markdown, render_text
from tcxkit.cli.safety import asks_first
from tcxkit.emulator import EmulatorConfig, running

from .conftest import SECRET, ConsoleScript, InProcess

_DESTRUCTIVE = re.compile(r"(Delete|Purge|BatchDelete|Bulk\w*Delete|CleanUp|MultiDelete)")


def _phase(action: Action) -> int:
    """Creates, reads, updates, other actions, deletes, bulk deletes."""
    if action.method == "POST" and action.id.startswith("Create"):
        return 0
    if action.method == "POST" and _DESTRUCTIVE.match(action.id):
        return 5
    return {"GET": 1, "PATCH": 2, "POST": 3, "DELETE": 4}[action.method]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A private demo PBX: these examples change it, other tests must not see that."""
    config = EmulatorConfig(
        client_id="examples",
        client_secret=SECRET,
        port=0,
        single_token=False,  # the CLI and the Python client take turns
        options={"backup_delay": 0},
    )
    with running(config) as emu:
        yield emu


@pytest.fixture(scope="module")
def pristine() -> Iterator[Any]:
    """The demo as `3cx emulator --data demo` starts it (``demo`` gets edited)."""
    with running(EmulatorConfig(client_id="examples", client_secret=SECRET, port=0)) as emu:
        yield emu


@pytest.fixture
def cli_env(demo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("config", "data", "cache"):
        (tmp_path / name).mkdir()
        monkeypatch.setenv(f"TCX_{name.upper()}_DIR", str(tmp_path / name))
    monkeypatch.setenv("TCX_NO_KEYRING", "1")
    monkeypatch.setenv("TCX_URL", demo.url)
    monkeypatch.setenv("TCX_CLIENT_ID", demo.client_id)
    monkeypatch.setenv("TCX_CLIENT_SECRET", SECRET)
    for name in ("TCX_PROFILE", "TCX_RELEASE", "TCX_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _run(line: str, cwd: Path) -> tuple[int, str, str]:
    """One printed ``3cx ...`` line through the CLI's entry point, in this process."""
    args = shlex.split(line)
    assert args[0] == "3cx", line
    cwd.mkdir(parents=True, exist_ok=True)  # file results land in a directory of their own
    r = InProcess(dict(os.environ), cwd)(*args[1:])
    return r.code, r.out, r.err


def _empty(text: str, cwd: Path) -> bool:
    return text.strip() in ("", "[]", "{}") and not any(cwd.iterdir())


def _judge(action: Action, code: int, out: str, err: str, cwd: Path) -> str | None:
    """None when the outcome is what the page promises, else why not."""
    data = example_data()
    if code == 7 and _finds_nothing_on_demo(action):
        return None
    if code == 8 and action.id in data["refused_on_demo"]:
        return None
    if code != 0:
        return f"exit {code}: {' | '.join(err.strip().splitlines()[:2])}"
    if action.response.shape == "none" or action.id in data["no_result"]:
        return None
    if action.response.shape == "collection" and action.resource in data["demo_has_none"]:
        return None
    return "empty result" if _empty(out, cwd) else None


def _finds_nothing_on_demo(action: Action) -> bool:
    """A lookup by key in a set the demo leaves empty: exit 7 is the right answer."""
    data = example_data()
    keyed = any(p.role == "key" for p in action.params)
    return action.id in data["finds_nothing"] or (
        keyed and action.resource in data["demo_has_none"]
    )


# ----------------------------------------------------------------------------- same request


def _request_of_command(action: Action, u: Usage) -> tuple[dict[str, str], Any]:
    opts = {o.flag: o for o in cli_options(action, catalog())}
    words = shlex.split(u.command)[3:]
    params: dict[str, str] = {}
    body: Any = None
    for flag, value in zip(words[::2], words[1::2], strict=True):
        o = opts[flag]
        if o.source == "param":
            params[o.name] = value
        elif o.source == "arg":
            body = {**(body or {}), o.name: json.loads(value)}
        elif o.source == "body":
            body = json.loads(value)
    return params, body


def _request_of_call(u: Usage) -> tuple[dict[str, str], Any]:
    words = shlex.split(u.call)[3:]
    params: dict[str, str] = {}
    body: Any = None
    for flag, value in zip(words[::2], words[1::2], strict=True):
        if flag == "--param":
            name, _, v = value.partition("=")
            params[name] = v
        elif flag == "--body":
            body = json.loads(value)
    return params, body


def _request_of_python(action: Action, u: Usage) -> tuple[dict[str, str], Any]:
    call = ast.parse(u.python, mode="eval").body
    assert isinstance(call, ast.Call)
    by_py = {p.python_name: p.name for p in action.params}
    wrapped = {snake(n): n for n in ((action.body and action.body.wrapped) or ())}
    params: dict[str, str] = {}
    body: Any = None
    for kw in call.keywords:
        value = ast.literal_eval(kw.value)
        if kw.arg in by_py:
            params[by_py[kw.arg]] = "null" if value is None else json.dumps(value).strip('"')
        elif kw.arg == "body":
            body = value
        elif kw.arg in wrapped:
            body = {**(body or {}), wrapped[kw.arg]: value}
    return params, body


def _same_request(action: Action, u: Usage) -> str | None:
    cmd = _request_of_command(action, u)
    if _request_of_call(u) != cmd:
        return f"`3cx call` sends another request: {u.call}"
    if _request_of_python(action, u) != cmd:
        return f"the Python call sends another request: {u.python}"
    return None


# ----------------------------------------------------------------------------- the tests


def test_every_example_runs_on_the_demo(demo: Any, cli_env: Path) -> None:
    cat = catalog()
    problems: list[str] = []
    ran = 0
    with Client(demo.url, demo.client_id, SECRET) as client:
        for action in sorted(cat, key=lambda a: (_phase(a), a.id)):
            u = usage(action, cli_options(action, cat), cat)
            forms = [("3cx", u.command)]
            if action.method == "GET":
                forms.append(("call", u.call))
            elif (why := _same_request(action, u)) is not None:
                problems.append(f"{action.id}: {why}")
            for form, line in forms:
                if form == "3cx" and asks_first(action):
                    line += " --yes"  # a delete asks on a terminal; a script confirms so
                cwd = cli_env / "out" / action.id / form
                code, out, err = _run(line, cwd)
                ran += 1
                if (why := _judge(action, code, out, err, cwd)) is not None:
                    problems.append(f"{action.id} ({form}): {why}\n    {line}")
            if action.method == "GET":
                problems += _run_python(action, u, client)
                ran += 1
    assert not problems, f"{len(problems)} of {ran} examples failed:\n" + "\n".join(problems)
    assert ran > len(cat)


def _run_python(action: Action, u: Usage, client: Client) -> list[str]:
    data = example_data()
    try:
        result = eval(u.python, {"client": client})  # the printed line, as printed
    except Exception as exc:  # reported with the line, like the CLI forms
        code = getattr(exc, "exit_code", 1)
        if (code == 7 and _finds_nothing_on_demo(action)) or (
            code == 8 and action.id in data["refused_on_demo"]
        ):
            return []
        return [f"{action.id} (python): {type(exc).__name__}: {exc}\n    {u.python}"]
    if result not in (None, [], {}, "") or action.id in data["no_result"]:
        return []
    if action.response.shape == "collection" and action.resource in data["demo_has_none"]:
        return []
    return [f"{action.id} (python): empty result\n    {u.python}"]


def test_report_examples_use_a_period_with_demo_calls(cli_env: Path) -> None:
    """The call-log example as printed returns calls of extension 100 (the period holds the demo)."""
    u = usage(catalog().require("GetCallLogData"), cli_options(catalog().require("GetCallLogData")))
    assert "--source-filter 100" in u.command and "--calls-type 0" in u.command
    code, out, _ = _run(u.command, cli_env / "log")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 10
    assert all(r["SourceDn"] == "100" for r in rows)


def test_codes_are_explained_on_the_action_page() -> None:
    cat = catalog()
    text = render_text(cat.require("GetCallLogData"), cat)
    assert "'callsType': 0 all calls, 1 answered only, 2 unanswered only" in text
    assert "0 extension, 1 queue, 2 ring group, 3 IVR, 4 fax, 5 external line, 6 parking" in text
    md = render_markdown(cat.require("GetAbandonedQueueCallsData"), cat)
    assert "ISO-8601 duration: only calls that waited at least this long" in md


def test_examples_data_names_real_actions_resources_and_parameters() -> None:
    cat = catalog()
    data = example_data()
    names = {p.name for a in cat for p in a.params}
    assert set(data["params"]) <= names, set(data["params"]) - names
    assert set(data["codes"]) <= names, set(data["codes"]) - names
    resources = set(cat.resources())
    assert set(data["resources"]) <= resources and set(data["demo_has_none"]) <= resources
    ids = {a.id for a in cat}
    listed = [data[k] for k in ("actions", "no_result", "finds_nothing", "refused_on_demo")]
    assert set().union(*listed) <= ids
    reasons = [*data["demo_has_none"].values(), *data["no_result"].values()]
    reasons += [*data["finds_nothing"].values(), *data["refused_on_demo"].values()]
    assert all(r.strip() for r in reasons)


@pytest.mark.parametrize(
    "action_id", ["RetreivePeersByNumbers", "GetUserByNumber", "GetExtensionStatisticsData"]
)
def test_examples_run_through_the_installed_command(
    action_id: str, pristine: Any, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sample through the real console script, exactly as pasted into a shell."""
    monkeypatch.setenv("TCX_URL", pristine.url)
    action = catalog().require(action_id)
    u = usage(action, cli_options(action, catalog()), catalog())
    r = ConsoleScript(dict(os.environ), cli_env)(*shlex.split(u.command)[1:])
    assert r.code == 0, r.err
    assert r.json()
