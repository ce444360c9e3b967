"""Property-based runs: every operation of XAPI 20.0.10 against the running emulator.

Two tests.  ``test_schemathesis_cli_all_phases`` is the issue's hostile run, bounded: the
Schemathesis CLI with the examples, coverage and fuzzing phases (positive and negative
cases) and the stateful phase (links Schemathesis infers), checks ``not_a_server_error``
and ``response_schema_conformance``, one fixed seed.  ``scripts/fuzz_emulator.py`` is
the deeper pass (more examples, seeds 1, 2, 3).  ``test_every_operation_answers_within_
the_spec`` below sends positive cases only, but checks more per case (status code and
content type as well).

Schemathesis generates requests from the official OpenAPI document and sends them over
real HTTP to an emulator served by uvicorn.  A request the PBX would legitimately refuse
(400, 404, 405) is fine; what fails the test is a server error (5xx) or an answer the
spec does not allow (status, content type or body schema).

Why a hand-written loop instead of ``schema.parametrize()``: one test item that owns the
emulator and the token lets us count the generated cases per operation, prove that all
601 operations were exercised, and report every failing operation at once instead of
stopping at the first.

Two deliberate adjustments, both explained in docs/emulator.md ("Property-based run"):

* ``content_type_conformance`` is not applied to operations whose catalog response kind
  is ``"file"``: the spec declares every download as ``application/json``
  (``Pbx.IActionResult``), but a PBX sends CSV, WAV, ZIP, XML or text.
* ``format: time`` is dropped from the spec copy used for validation where the same
  schema carries a ``pattern``: the spec's own pattern (``hh:mm:ss[.fff]``, OData
  ``Edm.TimeOfDay``) forbids the UTC offset that JSON Schema's RFC 3339 ``time`` format
  requires, so no value could satisfy both.
"""

from __future__ import annotations

import collections
import copy
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tcxkit.catalog import catalog, load_spec
from tcxkit.emulator import EmulatorConfig, running

from .conftest import fetch_token

RELEASE = "20.0.10"
#: Generated cases per operation at most (operations without inputs get one). Raise it
#: locally with TCXKIT_PBT_EXAMPLES=50 for a deeper run.
MAX_EXAMPLES = int(os.environ.get("TCXKIT_PBT_EXAMPLES", "10"))
CHECKS = (not_a_server_error, status_code_conformance, response_schema_conformance)
#: Formats the spec's own ``pattern`` contradicts on the same property (docs/emulator.md).
CONTRADICTED_FORMATS = frozenset({"time", "duration"})
#: The CLI run's bounds: examples per operation in the fuzzing phase, and the coverage
#: phase without its extra cases for undeclared methods and duplicated query parameters
#: (both answered by the router alone: 405 and "last one wins").  About 2 minutes here.
CLI_EXAMPLES = int(os.environ.get("TCXKIT_PBT_CLI_EXAMPLES", "1"))
CLI_CONFIG = """\
headers = { Authorization = "Bearer ${TCX_FUZZ_TOKEN}" }

[phases.coverage]
unexpected-methods = []
generate-duplicate-query-parameters = false
"""


@dataclass
class OperationRun:
    """What happened to one operation: cases sent, statuses seen, failures found."""

    cases: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)


def _validation_spec() -> dict[str, Any]:
    """The official document, minus the self-contradictory formats (see above)."""
    spec = copy.deepcopy(load_spec(RELEASE))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("format") in CONTRADICTED_FORMATS and "pattern" in node:
                del node["format"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return spec


def _exercise(
    operation: Any,
    base_url: str,
    session: requests.Session,
    headers: dict[str, str],
    file_ids: frozenset[str],
    run: OperationRun,
) -> None:
    """Send up to MAX_EXAMPLES generated cases to one operation and record the outcome."""
    checks = list(CHECKS)
    if operation.definition.raw.get("operationId") not in file_ids:
        checks.append(content_type_conformance)

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,  # the same cases on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are kept whole
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def send(case: Any) -> None:
        run.cases += 1
        try:
            response = case.call(base_url=base_url, session=session, headers=headers)
            run.statuses[response.status_code] += 1
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # FailureGroup is a BaseExceptionGroup
            run.failures.append(str(exc))

    send()


@pytest.mark.slow
def test_every_operation_answers_within_the_spec() -> None:
    cat = catalog(RELEASE)
    file_ids = frozenset(a.id for a in cat if a.response.kind == "file")
    schema = schemathesis.openapi.from_dict(_validation_spec())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len(cat) == 601

    runs: dict[str, OperationRun] = {}
    # A private demo PBX: the run creates and deletes things, so it must not share the
    # session emulator.  Only this test fetches a token from it, so the PBX's
    # one-token-per-client rule (single_token=True, the default) stays on.
    with running(EmulatorConfig(version=RELEASE, data="demo")) as emu:
        token = fetch_token(emu)
        headers = {"Authorization": f"Bearer {token}"}
        with requests.Session() as session:
            for operation in operations:
                run = runs.setdefault(operation.label, OperationRun())
                _exercise(operation, emu.api_url, session, headers, file_ids, run)

    missed = sorted(label for label, run in runs.items() if run.cases == 0)
    assert not missed, f"{len(missed)} operations were never exercised: {missed}"
    assert len(runs) == 601

    unexpected = [f"== {label}\n{text}" for label, run in runs.items() for text in run.failures]
    total = sum(run.cases for run in runs.values())
    statuses = sum((run.statuses for run in runs.values()), collections.Counter())
    print(f"\n{total} generated cases over {len(runs)} operations; statuses {dict(statuses)}")
    assert not unexpected, f"{len(unexpected)} spec violations or server errors:\n\n" + "\n\n".join(
        unexpected
    )


@pytest.mark.slow
def test_schemathesis_cli_all_phases(tmp_path: Path) -> None:
    """0 server errors and 0 schema violations over all 601 operations, every phase."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(_validation_spec()), encoding="utf-8")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CLI_CONFIG, encoding="utf-8")
    exe = Path(sys.executable).with_name("schemathesis")
    with running(EmulatorConfig(version=RELEASE, data="demo")) as emu:
        # The token goes through the environment, never on the command line.
        env = {**os.environ, "TCX_FUZZ_TOKEN": fetch_token(emu)}
        done = subprocess.run(
            [
                str(exe),
                "--config-file",
                str(config),
                "run",
                str(spec),
                "--url",
                emu.api_url,
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--mode",
                "all",
                "-n",
                str(CLI_EXAMPLES),
                "--workers",
                "2",
                "--no-shrink",
                "--seed",
                "1",
                "--no-color",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
    report = done.stdout + done.stderr
    summary = report[report.rfind("SUMMARY") :] if "SUMMARY" in report else report[-3000:]
    print(summary)
    assert "Tested: 601" in summary, summary
    assert not re.search(r"❌ ST\d+", summary), report[-20000:]
    assert done.returncode == 0, summary
