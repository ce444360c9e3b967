"""Sensor conditions: the spec language and its error messages."""

from __future__ import annotations

from typing import Any

import pytest

from tcxkit.airflow.conditions import check, evaluate
from tcxkit.airflow.sensors import ThreeCXSensor
from tcxkit.errors import UsageError

BACKUPS = {
    "@odata.context": "x",
    "value": [
        {"FileName": "weekly-1.zip", "Size": 10},
        {"FileName": "airflow-20240303.zip", "Size": 353, "DownloadLink": "/backups/a.zip"},
    ],
}
QUEUE = {"Id": 3, "Name": "Sales", "WaitingCalls": 2, "Agents": []}


@pytest.mark.parametrize(
    ("condition", "result", "expected"),
    [
        (None, BACKUPS, (True, BACKUPS)),
        (None, {"value": []}, (False, {"value": []})),
        ({"op": "nonempty"}, BACKUPS, (True, BACKUPS["value"])),
        ({"path": "value", "op": "empty"}, {"value": []}, (True, [])),
        ({"path": "WaitingCalls", "op": "gt", "value": 0}, QUEUE, (True, 2)),
        ({"path": "WaitingCalls", "op": "ge", "value": 3}, QUEUE, (False, 2)),
        ({"path": "Agents", "op": "empty"}, QUEUE, (True, [])),
        ({"path": "Name", "op": "eq", "value": "Sales"}, QUEUE, (True, "Sales")),
        ({"path": "Missing", "op": "exists"}, QUEUE, (False, None)),
        ({"path": "1.Size", "op": "lt", "value": 400}, BACKUPS, (True, 353)),
        ({"path": "9.Size", "op": "exists"}, BACKUPS, (False, None)),
        ({"path": "Name", "op": "gt", "value": 1}, QUEUE, (False, "Sales")),
        (
            {"op": "any", "where": {"path": "FileName", "op": "startswith", "value": "airflow-"}},
            BACKUPS,
            (True, BACKUPS["value"][1]),
        ),
        (
            {"op": "all", "where": {"path": "FileName", "op": "endswith", "value": ".zip"}},
            BACKUPS,
            (True, BACKUPS["value"]),
        ),
        ({"op": "count_ge", "value": 3}, BACKUPS, (False, BACKUPS["value"])),
        (
            [{"path": "WaitingCalls", "op": "gt", "value": 0}, {"path": "Name", "op": "truthy"}],
            QUEUE,
            (True, "Sales"),
        ),
        (lambda r: r["WaitingCalls"] > 1, QUEUE, (True, QUEUE)),
        (lambda r: r.get("Name"), QUEUE, (True, "Sales")),
    ],
)
def test_evaluate(condition: Any, result: Any, expected: tuple[bool, Any]) -> None:
    assert evaluate(condition, result) == expected


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ({"op": "bigger"}, "unknown op 'bigger'"),
        ({"op": "eq", "path": "a"}, "op 'eq' needs a 'value'"),
        ({"op": "any"}, "op 'any' needs a 'where' condition for each item"),
        ({"op": "any", "where": {"op": "nope"}}, "unknown op 'nope'"),
        ("nonempty", "must be a mapping, a list of mappings or a callable"),
    ],
)
def test_bad_specs_fail_when_the_dag_is_parsed(condition: Any, problem: str) -> None:
    with pytest.raises(UsageError) as info:
        check(condition)
    assert problem in str(info.value)
    assert "Use {'path': 'a.b', 'op': OP, 'value': X}" in str(info.value)
    with pytest.raises(UsageError):
        ThreeCXSensor(task_id="s", action="ListUser", condition=condition)
