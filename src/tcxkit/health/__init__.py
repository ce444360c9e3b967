"""Fleet health: named checks over XAPI reads, with evidence and the fix (docs/health.md).

A face over the core and the fleet engine: :func:`check_pbx` runs the checks on one
PBX's :class:`~tcxkit.AsyncClient`, :func:`check_fleet` on a :class:`~tcxkit.Fleet`;
:mod:`.report` words the results (JSON, JUnit XML, HTML) for the CLI and others.
"""

from __future__ import annotations

from .engine import check_fleet, check_pbx, default_thresholds, select_checks
from .model import STATUSES, CheckResult, PbxHealth, worst
from .registry import CHECKS, Check

__all__ = [
    "CHECKS",
    "STATUSES",
    "Check",
    "CheckResult",
    "PbxHealth",
    "check_fleet",
    "check_pbx",
    "default_thresholds",
    "select_checks",
    "worst",
]
