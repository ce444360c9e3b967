"""Conditions over action results, for ``ThreeCXSensor``.

A condition is either a callable ``f(result) -> value`` (truthy means done) or a small spec
that can live in a DAG file, be templated and be shown in the UI::

    {"path": "value", "op": "nonempty"}                       # a collection has items
    {"path": "0.WaitingCalls", "op": "gt", "value": 0}          # a number crossed a threshold
    {"op": "any", "where": {"path": "FileName", "op": "startswith", "value": "nightly"}}
    [spec, spec]                                               # all of them

``path`` walks dicts by key and lists by index, dot-separated; an empty path is the result
itself. A collection result in the OData envelope (``{"value": [...]}``) is unwrapped first
when the path does not start with ``value``, so ``{"op": "nonempty"}`` works on both forms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import UsageError
from ..results import items_of

__all__ = ["OPS", "Condition", "check", "evaluate"]

Condition = Callable[[Any], Any] | Mapping[str, Any] | list[Mapping[str, Any]]

_MISSING = object()


def _compare(op: str, left: Any, right: Any) -> bool:
    try:
        return {
            "gt": lambda: left > right,
            "ge": lambda: left >= right,
            "lt": lambda: left < right,
            "le": lambda: left <= right,
        }[op]()
    except TypeError:
        return False


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "exists": lambda v, _: v is not _MISSING and v is not None,
    "missing": lambda v, _: v is _MISSING or v is None,
    "nonempty": lambda v, _: (
        v is not _MISSING and v is not None and v != "" and v != [] and v != {}
    ),
    "empty": lambda v, _: v is _MISSING or v is None or v in ("", [], {}),
    "truthy": lambda v, _: v is not _MISSING and bool(v),
    "falsy": lambda v, _: v is _MISSING or not v,
    "eq": lambda v, x: v == x,
    "ne": lambda v, x: v != x,
    "gt": lambda v, x: _compare("gt", v, x),
    "ge": lambda v, x: _compare("ge", v, x),
    "lt": lambda v, x: _compare("lt", v, x),
    "le": lambda v, x: _compare("le", v, x),
    "contains": lambda v, x: isinstance(v, str | list | dict) and x in v,
    "startswith": lambda v, x: isinstance(v, str) and v.startswith(str(x)),
    "endswith": lambda v, x: isinstance(v, str) and v.endswith(str(x)),
    "count_ge": lambda v, x: isinstance(v, list | dict) and len(v) >= int(x),
}
_NESTED = ("any", "all")
_NEEDS_VALUE = frozenset(
    ("eq", "ne", "gt", "ge", "lt", "le", "contains", "startswith", "endswith", "count_ge")
)


def _resolve(result: Any, path: str) -> Any:
    value = result
    page = None if path.startswith("value") else items_of(value)
    if page is not None:  # the envelope is unwrapped unless the path names it
        value = page.items
    for part in [p for p in path.split(".") if p] if path else []:
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list):
            try:
                value = value[int(part)]
            except (ValueError, IndexError):
                return _MISSING
        else:
            return _MISSING
    return value


def _spec_error(spec: Any, problem: str) -> UsageError:
    return UsageError(
        f"Sensor condition {spec!r}: {problem}.",
        hint=f"Use {{'path': 'a.b', 'op': OP, 'value': X}} with OP one of "
        f"{', '.join([*OPS, *_NESTED])}, or a callable.",
    )


def evaluate(condition: Condition | None, result: Any) -> tuple[bool, Any]:
    """Whether the condition holds, and the value worth handing downstream.

    The value is what a callable returned (when not a plain bool), the first matching item for
    ``any``, the value at ``path`` otherwise, or the whole result.
    """
    if condition is None:
        return OPS["nonempty"](_resolve(result, ""), None), result
    if callable(condition):
        out = condition(result)
        if isinstance(out, bool) or out is None:
            return bool(out), result
        return bool(out), out
    if isinstance(condition, list | tuple):
        value: Any = result
        for spec in condition:
            ok, value = evaluate(spec, result)
            if not ok:
                return False, None
        return True, value
    if not isinstance(condition, Mapping):
        raise _spec_error(condition, "must be a mapping, a list of mappings or a callable")
    op = condition.get("op", "nonempty")
    path = str(condition.get("path", "") or "")
    value = _resolve(result, path)
    if op in _NESTED:
        where = condition.get("where")
        if where is None:
            raise _spec_error(condition, f"op {op!r} needs a 'where' condition for each item")
        items = value if isinstance(value, list) else []
        matches = [item for item in items if evaluate(where, item)[0]]
        if op == "any":
            return bool(matches), (matches[0] if matches else None)
        return bool(items) and len(matches) == len(items), items
    check_op = OPS.get(op)
    if check_op is None:
        raise _spec_error(condition, f"unknown op {op!r}")
    if op in _NEEDS_VALUE and "value" not in condition:
        raise _spec_error(condition, f"op {op!r} needs a 'value'")
    ok = check_op(value, condition.get("value"))
    return ok, (None if value is _MISSING else value)


def check(condition: Condition | None) -> None:
    """Reject a malformed spec at DAG parse time rather than at the first poke."""
    if condition is None or callable(condition):
        return
    specs = condition if isinstance(condition, list | tuple) else [condition]
    for spec in specs:
        if not isinstance(spec, Mapping):
            raise _spec_error(spec, "must be a mapping, a list of mappings or a callable")
        op = spec.get("op", "nonempty")
        if op not in OPS and op not in _NESTED:
            raise _spec_error(spec, f"unknown op {op!r}")
        if op in _NEEDS_VALUE and "value" not in spec:
            raise _spec_error(spec, f"op {op!r} needs a 'value'")
        if op in _NESTED:
            if "where" not in spec:
                raise _spec_error(spec, f"op {op!r} needs a 'where' condition for each item")
            check(spec["where"])
