"""One core for every face: rows come out of results, and bodies are wrapped, in one place.

An AST scan of the faces (``tcxkit.cli``, ``mcp``, ``airflow``, ``fleet``, ``state``): a
lookup of ``"value"``, ``"@odata.count"`` or ``"@odata.nextLink"`` on a result (``x["value"]``,
``x.get("value")``) belongs in :mod:`tcxkit.results`, and a dict keyed by an action's
wrapped argument name (``{wrapped[0]: body}``) in :func:`tcxkit.pipeline.wrap_body`.
Lookups of ``"value"`` on things that are not results are declared below, with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tcxkit.results import Page, items_of, page_of, records_of, rows_of, value_of

SRC = Path(__file__).resolve().parents[1] / "src" / "tcxkit"
FACES = ("cli", "mcp", "airflow", "fleet", "state")
ROW_KEYS = frozenset({"value", "@odata.count", "@odata.nextLink"})

#: ``(file, receiver)`` pairs whose ``"value"`` lookup reads no result.
NOT_RESULTS = {
    ("airflow/conditions.py", "condition"): "a sensor condition spec's own 'value' field",
    ("airflow/sensors.py", "event"): "the trigger's event payload",
    ("cli/globalopts.py", "_ARGV_RELEASE"): "a module-level holder, not a result",
}


def _receiver(node: ast.expr) -> str:
    return ast.unparse(node)


def _row_lookups(tree: ast.AST) -> list[tuple[int, str, str]]:
    """``(line, receiver, key)`` of every ``x[KEY]`` and ``x.get(KEY...)`` with a row key."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if node.slice.value in ROW_KEYS:
                found.append((node.lineno, _receiver(node.value), node.slice.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in ROW_KEYS
        ):
            found.append((node.lineno, _receiver(node.func.value), node.args[0].value))
    return found


def _names_wrapped(node: ast.expr) -> bool:
    """``wrapped[...]``, ``x.wrapped[...]``: an action's wrapped argument name."""
    if not isinstance(node, ast.Subscript):
        return False
    base = node.value
    return (isinstance(base, ast.Name) and base.id == "wrapped") or (
        isinstance(base, ast.Attribute) and base.attr == "wrapped"
    )


def _body_wraps(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        and any(k is not None and _names_wrapped(k) for k in node.keys)
    ]


def _face_files() -> list[Path]:
    return sorted(p for face in FACES for p in (SRC / face).rglob("*.py"))


def test_no_face_extracts_rows_itself() -> None:
    wrong = []
    for path in _face_files():
        rel = path.relative_to(SRC).as_posix()
        for line, receiver, key in _row_lookups(ast.parse(path.read_text())):
            if key == "value" and (rel, receiver) in NOT_RESULTS:
                continue
            wrong.append(f"{rel}:{line}: {receiver}[{key!r}] (use tcxkit.results)")
    assert wrong == []


def test_no_face_wraps_bodies_itself() -> None:
    wrong = [
        f"{path.relative_to(SRC).as_posix()}:{line}"
        for path in _face_files()
        for line in _body_wraps(ast.parse(path.read_text()))
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "source",
    [
        'rows = result["value"]',
        'n = page.get("@odata.count")',
        'link = answer["@odata.nextLink"]',
        'rows = tb.run(action, {}).get("value", [])',
    ],
)
def test_the_scan_sees_a_row_lookup(source: str) -> None:
    assert _row_lookups(ast.parse(source))


def test_the_scan_sees_a_body_wrap() -> None:
    assert _body_wraps(ast.parse("body = {action.body.wrapped[0]: body}")) == [1]
    assert _body_wraps(ast.parse("body = {wrapped[0]: inner}")) == [1]
    assert _body_wraps(ast.parse("kwargs[wrapped[0]] = {**arg}")) == []


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
