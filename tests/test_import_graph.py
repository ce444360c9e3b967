"""No import cycles among tcxkit's modules, function-level imports included.

A cycle hidden in a function-level import still couples two modules both ways and
breaks as soon as someone moves the import up; ``if TYPE_CHECKING:`` blocks are the
one exception (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / "tcxkit").rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                if node.level:
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("tcxkit"):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def connect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_checker_sees_a_function_level_cycle() -> None:
    graph = {"tcxkit.a": {"tcxkit.b"}, "tcxkit.b": {"tcxkit.a"}, "tcxkit.c": {"tcxkit.a"}}
    assert cycles(graph) == [["tcxkit.a", "tcxkit.b"]]
    tree = ast.parse("def f():\n    from .b import x\nif TYPE_CHECKING:\n    from .c import y\n")
    assert [type(n).__name__ for n in _imports(tree)] == ["ImportFrom"]


#: The faces, and which other faces each may import (the core is open to all).
#: ``fleet`` and ``state`` are faces over the core that other faces build on (``health``
#: too, for the exporter; ``exports`` for the CLI); the CLI
#: fronts everything; MCP and Airflow run on one or many PBXs through fleet/state but
#: never through the CLI (settings come from ``tcxkit.config``); the emulator stands alone.
#: ``storage`` (local/SFTP/S3 stores, optional libraries) stands alone; ``backups`` runs
#: over the fleet and writes through storage; ``recordings`` too.
ALLOWED: dict[str, tuple[str, ...]] = {
    "tcxkit.cli": (
        "tcxkit.mcp", "tcxkit.airflow", "tcxkit.emulator", "tcxkit.fleet", "tcxkit.state",
        "tcxkit.health", "tcxkit.exporter", "tcxkit.exports", "tcxkit.backups", "tcxkit.storage",
        "tcxkit.recordings", "tcxkit.updates",
    ),
    "tcxkit.mcp": ("tcxkit.fleet", "tcxkit.state"),
    "tcxkit.airflow": (
        "tcxkit.fleet", "tcxkit.state", "tcxkit.health", "tcxkit.backups", "tcxkit.exports",
        "tcxkit.recordings", "tcxkit.storage", "tcxkit.updates",
    ),
    "tcxkit.fleet": (),
    "tcxkit.state": (),
    "tcxkit.exports": (),
    "tcxkit.emulator": (),
    # Health checks run one PBX or a fleet (FleetReport); the exporter serves their
    # statuses and its own reads of the same fleet as Prometheus metrics.
    "tcxkit.health": ("tcxkit.fleet",),
    "tcxkit.exporter": ("tcxkit.fleet", "tcxkit.health"),
    "tcxkit.backups": ("tcxkit.fleet", "tcxkit.storage"),
    "tcxkit.storage": (),
    "tcxkit.recordings": ("tcxkit.fleet", "tcxkit.storage"),
    # Updates back up first (backups, storage), roll out through the fleet, check health.
    "tcxkit.updates": ("tcxkit.fleet", "tcxkit.storage", "tcxkit.backups", "tcxkit.health"),
}  # fmt: skip
#: Single modules allowed one more face, each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # The pytest plugin's emulated fleet hands out a ready Fleet over its PBXs.
    ("tcxkit.emulator.fleet", "tcxkit.fleet"): "EmulatedFleet.fleet()",
}
FACES = tuple(ALLOWED)


def is_face(module: str, faces: tuple[str, ...] = FACES) -> bool:
    """tcxkit.client is core, though its name starts with "tcxkit.cli"."""
    return any(module == f or module.startswith(f + ".") for f in faces)


def face_of(module: str) -> str | None:
    return next((f for f in FACES if is_face(module, (f,))), None)


def face_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import of one face by another that :data:`ALLOWED` does not declare."""
    wrong = []
    for name, targets in sorted(graph.items()):
        face = face_of(name)
        if face is None:
            continue
        for target in sorted(targets):
            other = face_of(target)
            if other in (None, face) or other in ALLOWED[face]:
                continue
            if (name, other) not in EXCEPTIONS:
                wrong.append(f"{name} imports {target}")
    return wrong


def test_no_face_imports_a_face_it_is_not_declared_to_use() -> None:
    found = face_violations(import_graph())
    assert found == [], "face-to-face imports:\n" + "\n".join(found)


def test_the_face_checker_sees_a_forbidden_import() -> None:
    graph = {
        "tcxkit.mcp.launch": {"tcxkit.cli.connect", "tcxkit.config", "tcxkit.fleet"},
        "tcxkit.cli.app": {"tcxkit.mcp.launch"},
        "tcxkit.emulator.fleet": {"tcxkit.fleet"},
        "tcxkit.emulator.app": {"tcxkit.fleet.runner"},
    }
    assert face_violations(graph) == [
        "tcxkit.emulator.app imports tcxkit.fleet.runner",
        "tcxkit.mcp.launch imports tcxkit.cli.connect",
    ]


def test_the_core_imports_no_face() -> None:
    # ``python -m tcxkit`` (tcxkit.__main__) is the CLI's second entry point, not core.
    graph = import_graph()
    faces = (*FACES, "tcxkit.__main__")
    for name, targets in graph.items():
        if is_face(name, faces):
            continue
        wrong = sorted(t for t in targets if is_face(t, faces))
        assert not wrong, f"{name} (core) imports {wrong}"


#: Core packages that faces build on (never faces themselves): the check above holds
#: them to importing no face; this list makes sure they stay core, not declared faces.
CORE_PACKAGES = ("tcxkit.events", "tcxkit.webhooks")


def test_events_and_webhooks_are_core() -> None:
    graph = import_graph()
    for package in CORE_PACKAGES:
        assert face_of(package) is None
        modules = [m for m in graph if m == package or m.startswith(package + ".")]
        assert modules, f"{package} has no modules"
        for name in modules:
            assert not [t for t in graph[name] if is_face(t)], name
