"""The table of checks: each one's name, title, severity, reads, thresholds and fix.

What a check is (title, severity, reads, fix, thresholds) is data, in ``checks.toml``;
how it judges is a function of the same name, marked with :func:`check`.  The engine
reads :data:`CHECKS` (``--only``/``--skip`` and the thresholds' names come from it, so
they cannot disagree).  A check function gets the answers of its reads, its thresholds
and the time of the run, and returns a :class:`Finding` (usually through
:func:`first`, the one place a verdict is built); it never does I/O.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .model import SEVERITIES

__all__ = [
    "CHECKS",
    "Check",
    "Finding",
    "check",
    "days_until",
    "first",
    "parse_time",
    "require_declared",
]


@dataclass(frozen=True)
class Finding:
    status: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


CheckFn = Callable[[dict[str, Any], dict[str, float], datetime], Finding]


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    severity: str
    reads: tuple[str, ...]
    fix: str
    run: CheckFn
    thresholds: dict[str, float] = field(default_factory=dict)


#: Every check by name, in the order ``checks.toml`` declares (and documents) them.
CHECKS: dict[str, Check] = {}

#: What each check is, by name, from ``checks.toml`` (read once, at import).
DECLARED: dict[str, dict[str, Any]] = tomllib.loads(
    Path(__file__).with_name("checks.toml").read_text(encoding="utf-8")
)


def check(fn: CheckFn) -> CheckFn:
    """Decorator: the judging function of the check declared under its name."""
    spec = DECLARED.get(fn.__name__)
    if spec is None:
        raise LookupError(f"health check {fn.__name__!r} is not declared in checks.toml")
    if spec["severity"] not in SEVERITIES:  # else the first report's sort fails, not import
        raise LookupError(f"health check {fn.__name__!r}: unknown severity {spec['severity']!r}")
    CHECKS[fn.__name__] = Check(
        fn.__name__,
        spec["title"],
        spec["severity"],
        tuple(spec["reads"]),
        spec["fix"],
        fn,
        dict(spec.get("thresholds") or {}),
    )
    return fn


def require_declared() -> None:
    """Fail at import, not in a run, when a declared check has no function; then put
    :data:`CHECKS` in the declared order, whatever order the modules were imported in."""
    missing = [name for name in DECLARED if name not in CHECKS]
    if missing:
        raise LookupError(f"health checks declared without a function: {', '.join(missing)}")
    ordered = {name: CHECKS[name] for name in DECLARED}
    CHECKS.clear()
    CHECKS.update(ordered)


def first(evidence: dict[str, Any], *rules: tuple[object, str, str]) -> Finding:
    """The verdict of the first rule ``(holds, status, summary)`` that holds, with the
    evidence; the last rule is the fallback and should hold always (``True``).  Every
    check ends here, so a verdict is built one way only."""
    for holds, status, summary in rules:
        if holds:
            return Finding(status, summary, evidence)
    raise ValueError("no rule holds: the last rule of a check must be its fallback")


def parse_time(text: Any) -> datetime | None:
    """An XAPI date-time (``2026-01-02T03:04:05Z``, with or without fraction or offset)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def days_until(when: datetime, now: datetime) -> float:
    return round((when - now).total_seconds() / 86400, 1)
