"""What a health check finds: a status, a severity, the evidence read and the fix.

Statuses order from best to worst (``pass`` < ``warn`` < ``unknown`` < ``fail``) so a
report sorts worst first and a run's exit code is its worst status.  ``unknown`` is a
check that could not read what it needs (a permission too low, an action this release
lacks): it counts as a warning, never as healthy, because a check that cannot see is
no reason to be calm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "STATUSES", "CheckResult", "PbxHealth", "status_rank", "worst"]

#: Statuses, best first.
STATUSES = ("pass", "warn", "unknown", "fail")
#: Severities, least first: how much a failure of the check matters.
SEVERITIES = ("low", "medium", "high", "critical")


def status_rank(status: str) -> int:
    return STATUSES.index(status)


def worst(statuses: Any) -> str:
    """The worst of some statuses (``pass`` when there are none)."""
    return max(statuses, key=status_rank, default="pass")


@dataclass(frozen=True)
class CheckResult:
    """One check on one PBX: ``summary`` says what was found in a line, ``evidence`` the
    values read (JSON-able), ``fix`` where to change it (console place or command)."""

    check: str
    title: str
    status: str
    severity: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""

    def sort_key(self) -> tuple[int, int, str]:
        """Worst status first, then the most severe, then by name."""
        return (-status_rank(self.status), -SEVERITIES.index(self.severity), self.check)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "title": self.title,
            "status": self.status,
            "severity": self.severity,
            "summary": self.summary,
            "evidence": self.evidence,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class PbxHealth:
    """Every check run on one PBX, worst first."""

    pbx: str
    results: list[CheckResult]

    @property
    def status(self) -> str:
        return worst(r.status for r in self.results)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r.status == s) for s in STATUSES}
