"""The table of checks: each one's name, title, severity, reads, thresholds and fix.

A check module declares its checks with :func:`check`; the engine reads :data:`CHECKS`
(``--only``/``--skip`` and the thresholds' names come from it, so they cannot disagree).
A check function gets the answers of its reads, its thresholds and the time of the run,
and returns a :class:`Finding`; it never does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["CHECKS", "Check", "Finding", "check", "days_until", "parse_time"]


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


#: Every check by name, in the order they are declared (and documented).
CHECKS: dict[str, Check] = {}


def check(
    name: str,
    title: str,
    *,
    severity: str,
    reads: tuple[str, ...],
    fix: str,
    thresholds: dict[str, float] | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Decorator: declare a check."""

    def declare(fn: CheckFn) -> CheckFn:
        CHECKS[name] = Check(name, title, severity, reads, fix, fn, dict(thresholds or {}))
        return fn

    return declare


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
