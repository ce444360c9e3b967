"""One core for every face: four things are done in one place each, and nowhere else.

An AST scan of every module under ``src/tcxkit`` (so a face added later, such as events,
health or backups, is held the moment it exists), except the module that owns the behaviour:

======================  =====================================  ===============================
behaviour               what the scan looks for                the one owner
======================  =====================================  ===============================
rows out of a result    ``x["value"]``, ``x.get("@odata.count")``  :mod:`tcxkit.results`
                        ... (a read; building a result is not)
wrapping a body         ``{wrapped[0]: body}``                 :func:`tcxkit.pipeline.wrap_body`
bridging sync to async  ``asyncio.run``, a new event loop,     :mod:`tcxkit.fleet.bridge`
                        ``queue.Queue``, thread pools, ...
a fleet's error rows    a dict with ``pbx`` and ``error``;     ``FleetReport`` and
                        ``FleetFailure(...)``                  ``cli.fleet.error_row``
======================  =====================================  ===============================

What looks like a copy but is not one is declared below, each with the reason; a self-test
plants each kind of copy in a file and shows the scan finds it.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tcxkit.results import Page, items_of, page_of, records_of, rows_of, value_of

SRC = Path(__file__).resolve().parents[1] / "src" / "tcxkit"
ROW_KEYS = frozenset({"value", "@odata.count", "@odata.nextLink"})

#: The module that owns each behaviour: the only one not scanned for it.
OWNERS = {
    "rows": "results.py",
    "bodies": "pipeline.py",
    "bridges": "fleet/bridge.py",
    "fleet errors": "fleet/runner.py",
}

#: ``(check, file, what)`` found by a scan that is no copy, with the reason. ``what`` is the
#: receiver of a row lookup, the call of a bridge, or the function around a fleet error row.
NOT_COPIES = {
    ("rows", "airflow/conditions.py", "condition"): "a sensor condition spec's own 'value' field",
    ("rows", "airflow/sensors.py", "event"): "the trigger's event payload",
    (
        "rows",
        "catalog/model.py",
        "(self.schema or {}).get('properties') or {}",
    ): "a schema's property named value, not a result",
    ("bridges", "mcp/server.py", "anyio.run"): "the MCP HTTP server's own main loop (its entry)",
    ("bridges", "exports/drivers.py", "concurrent.futures.ThreadPoolExecutor"): (
        "one worker thread reading the next window ahead on a sync client; no event loop"
    ),
    ("fleet errors", "cli/fleet.py", "error_row"): "the CLI's wording of a FleetResult as a row",
    ("fleet errors", "health/notify.py", "summary_body"): (
        "the notification's list of PBXs not reached, read from the face's error rows"
    ),
}

#: Calls that start an event loop from synchronous code, or pump work between threads.
BRIDGE_CALLS = frozenset(
    {
        "asyncio.run",
        "asyncio.new_event_loop",
        "asyncio.get_event_loop",
        "asyncio.run_coroutine_threadsafe",
        "anyio.run",
        "anyio.from_thread.run",
        "anyio.from_thread.start_blocking_portal",
        "queue.Queue",
        "queue.SimpleQueue",
        "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.ProcessPoolExecutor",
    }
)
LOOP_METHODS = frozenset({"run_until_complete", "run_forever"})


@dataclass(frozen=True)
class Hit:
    check: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.check}: {self.what}"


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted module path, from the module's absolute imports."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _names_wrapped(node: ast.expr | None) -> bool:
    """``wrapped[...]``, ``x.wrapped[...]``: an action's wrapped argument name."""
    if not isinstance(node, ast.Subscript):
        return False
    base = node.value
    return (isinstance(base, ast.Name) and base.id == "wrapped") or (
        isinstance(base, ast.Attribute) and base.attr == "wrapped"
    )


class _Scan(ast.NodeVisitor):
    """Every hit of the four checks in one module, with the function each stands in."""

    def __init__(self, tree: ast.AST) -> None:
        self.aliases = _aliases(tree)
        self.hits: list[Hit] = []
        self.function = "<module>"
        self.visit(tree)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key = node.slice.value if isinstance(node.slice, ast.Constant) else None
        if key in ROW_KEYS and isinstance(node.ctx, ast.Load):  # building a result is fine
            self.hits.append(Hit("rows", node.lineno, ast.unparse(node.value)))
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(_names_wrapped(k) for k in node.keys):
            self.hits.append(Hit("bodies", node.lineno, ast.unparse(node)))
        if {"pbx", "error"} <= {k.value for k in node.keys if isinstance(k, ast.Constant)}:
            self.hits.append(Hit("fleet errors", node.lineno, self.function))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = _dotted(func, self.aliases)
        first = node.args[0] if node.args else None
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("get", "pop")
            and isinstance(first, ast.Constant)
            and first.value in ROW_KEYS
        ):
            self.hits.append(Hit("rows", node.lineno, ast.unparse(func.value)))
        if name in BRIDGE_CALLS or (isinstance(func, ast.Attribute) and func.attr in LOOP_METHODS):
            self.hits.append(Hit("bridges", node.lineno, name or ast.unparse(func)))
        if name == "threading.Thread":  # a thread whose target is an event loop
            target = next((k.value for k in node.keywords if k.arg == "target"), None)
            looped = _dotted(target, self.aliases) if target is not None else None
            if looped and looped.startswith(("asyncio.", "anyio.")):
                self.hits.append(Hit("bridges", node.lineno, f"threading.Thread(target={looped})"))
        if name is not None and name.split(".")[-1] == "FleetFailure":
            self.hits.append(Hit("fleet errors", node.lineno, self.function))
        self.generic_visit(node)


def scan(source: str) -> list[Hit]:
    return sorted(_Scan(ast.parse(source)).hits, key=lambda h: (h.line, h.check))


def _modules(src: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(src.rglob("*.py")):
        yield path.relative_to(src).as_posix(), path


@functools.cache
def _hits(src: Path) -> tuple[tuple[str, Hit], ...]:
    """Every hit under ``src`` (read and parsed once for all the checks)."""
    return tuple(
        (rel, hit) for rel, path in _modules(src) for hit in scan(path.read_text(encoding="utf-8"))
    )


def _copies(check: str) -> list[str]:
    return [
        f"{rel}: {hit}"
        for rel, hit in _hits(SRC)
        if hit.check == check and rel != OWNERS[check]
        if (check, rel, hit.what) not in NOT_COPIES
    ]


def test_no_module_extracts_rows_itself() -> None:
    assert _copies("rows") == [], "read rows with tcxkit.results (items_of, rows_of, ...)"


def test_no_module_wraps_bodies_itself() -> None:
    assert _copies("bodies") == [], "let pipeline.prepare wrap the body (pipeline.wrap_body)"


def test_no_module_bridges_sync_and_async_itself() -> None:
    assert _copies("bridges") == [], "use tcxkit.fleet.bridge (run_sync / iterate)"


def test_no_module_builds_fleet_error_rows_itself() -> None:
    assert _copies("fleet errors") == [], (
        "collect FleetResults in a FleetReport (raise_for_failures) and word a failed PBX "
        "with tcxkit.cli.fleet.error_row"
    )


def test_every_declared_exception_is_still_needed() -> None:
    """A stale entry would let a new copy at the same place pass unseen."""
    seen = {(hit.check, rel, hit.what) for rel, hit in _hits(SRC)}
    assert sorted(set(NOT_COPIES) - seen) == []
    assert all((SRC / owner).is_file() for owner in OWNERS.values())


PLANTED = """\
import asyncio, threading, queue as q
from concurrent.futures import ThreadPoolExecutor
from tcxkit.errors import FleetFailure

def rows(result, page, answer, tb, action):
    a = result["value"]
    b = page.get("@odata.count")
    c = answer["@odata.nextLink"]
    d = tb.run(action, {}).get("value", [])
    result["value"] = a  # building a result: not a copy

def wrap(action, body, inner):
    e = {action.body.wrapped[0]: body}
    f = {wrapped[0]: inner}
    kwargs[wrapped[0]] = {**inner}  # filling an argument: not a copy

def bridge(main, warm_up):
    asyncio.run(main())
    loop = asyncio.new_event_loop(); loop.run_until_complete(main())
    threading.Thread(target=asyncio.run, args=(main(),))
    q.Queue(10)
    ThreadPoolExecutor(4)
    threading.Thread(target=warm_up)  # not a bridge
    asyncio.gather(main(), main())  # inside async code: not a bridge

def fail(r, failures):
    row = {"pbx": r.pbx, "error": r.error.to_dict()}
    raise FleetFailure(failures, 3)
"""


def test_the_scan_finds_each_planted_copy() -> None:
    """The scan can fail: each copy it looks for, written the ways code writes it."""
    assert [(h.check, h.line, h.what) for h in scan(PLANTED)] == [
        ("rows", 6, "result"),
        ("rows", 7, "page"),
        ("rows", 8, "answer"),
        ("rows", 9, "tb.run(action, {})"),
        ("bodies", 13, "{action.body.wrapped[0]: body}"),
        ("bodies", 14, "{wrapped[0]: inner}"),
        ("bridges", 18, "asyncio.run"),
        ("bridges", 19, "asyncio.new_event_loop"),
        ("bridges", 19, "loop.run_until_complete"),
        ("bridges", 20, "threading.Thread(target=asyncio.run)"),
        ("bridges", 21, "queue.Queue"),
        ("bridges", 22, "concurrent.futures.ThreadPoolExecutor"),
        ("fleet errors", 27, "fail"),
        ("fleet errors", 28, "fail"),
    ]


def test_a_copy_planted_in_a_new_face_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: a new package (as events or backups will be) with a copy is reported."""
    tree = tmp_path / "tcxkit"
    for rel, path in _modules(SRC):
        if rel in OWNERS.values() or rel == "cli/fleet.py":
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            (tree / rel).write_text(path.read_text())
    (tree / "events").mkdir()
    (tree / "events" / "__init__.py").write_text(PLANTED)
    monkeypatch.setitem(globals(), "SRC", tree)
    for check in OWNERS:
        assert _copies(check), check
        assert all(c.startswith("events/__init__.py: ") for c in _copies(check))


@pytest.mark.parametrize(
    ("result", "page"),
    [
        ([1, 2], Page([1, 2])),
        ({"value": [1]}, Page([1])),
        (
            {"@odata.context": "c", "@odata.count": 9, "@odata.nextLink": "n", "value": [1]},
            Page([1], 9, "n"),
        ),
        ({"value": [1], "@odata.count": "9", "@odata.nextLink": 3}, Page([1])),
        ({"value": [1], "@odata.count": True}, Page([1])),
        ({"Id": 1, "value": [1]}, None),  # an entity with a field named value
        ({"@odata.context": "c", "value": 5}, None),  # a function's single answer
        ({"Id": 1}, None),
        (None, None),
        ("text", None),
    ],
)
def test_items_of_rule(result: object, page: Page | None) -> None:
    assert items_of(result) == page


def test_the_helpers_around_items_of() -> None:
    assert value_of({"@odata.context": "c", "value": 5}) == 5
    assert value_of({"value": [1]}) == {"value": [1]}
    assert value_of({"Id": 1}) == {"Id": 1}
    assert records_of(None) == [] and records_of({"Id": 1}) == [{"Id": 1}]
    assert records_of({"value": [{"Id": 1}]}) == [{"Id": 1}]
    assert rows_of({"Id": 1}) == [] and rows_of({"value": [2]}) == [2]
    assert page_of(None) == Page([])
