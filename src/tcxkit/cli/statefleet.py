"""``3cx state pull|plan|apply --fleet SELECTOR``: configuration as code over many PBXs.

The engine (:mod:`tcxkit.state`) runs once per PBX on one event loop through
:class:`tcxkit.Fleet`; this module only decides what each PBX gets and prints one
row per PBX with the one printer:

* ``plan`` is the drift report: a row per PBX with its creates, updates and deletes
  (``-o json``: the changes too).  Exit 0 when no PBX drifted, 2 when some did, and
  a failed PBX is an error row with the fleet's exit code (10, or the common code).
* ``apply`` plans every PBX, shows that report, asks once, then applies each PBX's
  own plan, ``--concurrency`` at a time; a row per PBX says what was applied and
  where it stopped.  One PBX failing stops only that PBX.
* ``pull`` writes one file per PBX: ``-f`` must name them with ``{pbx}``.

A FILE (and ``-f``) may contain ``{pbx}``: each PBX then has a file of its own (a
customer's file that ``extends:`` the MSP's standard); without it every PBX is
compared with the same file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import click

from ..errors import FleetFailure, TcxError, UsageError
from ..fleet.files import file_for, names_each_pbx
from ..fleet.runner import FleetReport
from .exitcodes import exit_code_of
from .fleet import error_row, fleet_targets, open_fleet

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..fleet import FleetResult, PbxTarget
    from ..state import ApplyReport, Plan

__all__ = ["apply_fleet", "plan_fleet", "pull_fleet"]

DRIFT_COLUMNS = "pbx,create,update,delete,file"
APPLY_COLUMNS = "pbx,applied,failed_at,not_attempted"
PULL_COLUMNS = "pbx,file,objects"


def _documents(
    pattern: str, targets: list[PbxTarget]
) -> tuple[dict[str, dict[str, Any]], dict[str, FleetResult[Any]]]:
    """Each PBX's document, every file read (and checked) before any PBX is asked.

    With ``{pbx}`` in the pattern a PBX whose own file is missing or wrong is that
    PBX's failure (an error row naming the file), not the whole report's; one file
    shared by every PBX stops the run, as it would for a single PBX."""
    from ..fleet import FleetResult
    from ..state import load_document

    own_files = names_each_pbx(pattern)
    loaded: dict[str, dict[str, Any]] = {}
    docs: dict[str, dict[str, Any]] = {}
    bad: dict[str, FleetResult[Any]] = {}
    for t in targets:
        path = file_for(pattern, t.name)
        try:
            if path not in loaded:
                loaded[path] = load_document(path)
        except TcxError as exc:
            if not own_files:
                raise
            bad[t.name] = FleetResult(t.name, error=exc)
            continue
        docs[t.name] = loaded[path]
    return docs, bad


def _printer(ctx: click.Context, output: str | None, columns: str) -> Any:
    from .columns import Layout
    from .output import Printer
    from .settings import settle

    opts = settle(ctx.find_root().obj)
    fmt = output or opts.output or "table"
    return Printer(
        fmt=fmt, layout=Layout(None, columns if fmt in ("table", "csv") else None, fleet=True)
    )


def _each(
    ctx: click.Context,
    targets: list[PbxTarget],
    work: Callable[[str, AsyncClient], Awaitable[Any]],
) -> list[FleetResult[Any]]:
    """``work`` on every PBX, ``--concurrency`` at a time, on the fleet engine."""
    return open_fleet(targets, ctx.find_root().obj, None).run_sync(work).rows


def _drift_row(name: str, plan: Plan, file: str, detail: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"pbx": name, **plan.counts(), "file": file}
    if detail:
        row["changes"] = plan.to_dict()["changes"]
    return row


def _planned(
    ctx: click.Context, pattern: str, prune: bool, output: str | None
) -> tuple[list[PbxTarget], dict[str, Plan], list[FleetResult[Any]], list[dict[str, Any]]]:
    """Plan every selected PBX: (targets, plans of those that answered, failures, rows)."""
    from ..state import plan
    from ..state.plan import CheckedFields

    targets = fleet_targets(ctx.find_root().obj)
    docs, bad = _documents(pattern, targets)
    readable = [t for t in targets if t.name in docs]
    checked = CheckedFields()  # PBXs sharing a file and a release: its fields checked once
    work = lambda n, c: plan(c, docs[n], prune=prune, checked=checked)  # noqa: E731
    asked = {r.pbx: r for r in (_each(ctx, readable, work) if readable else [])}
    results = [bad.get(t.name) or asked[t.name] for t in targets]
    detail = output in ("json", "jsonl")
    plans: dict[str, Plan] = {}
    failures: list[FleetResult[Any]] = []
    rows = []
    for r in results:
        file = file_for(pattern, r.pbx)
        if r.ok:
            plans[r.pbx] = r.value
            rows.append(_drift_row(r.pbx, r.value, file, detail))
        else:
            failures.append(r)
            rows.append(error_row(r, file=file))
    return targets, plans, failures, rows


def plan_fleet(
    ctx: click.Context, pattern: str, prune: bool, output: str | None, *, detailed_exit: bool = True
) -> None:
    """The drift report: one row per PBX. Exit 0 none drifted, 2 some did (only with
    ``detailed_exit``: ``apply --dry-run`` exits 0 as every dry run does), else errors."""
    targets, plans, failures, rows = _planned(ctx, pattern, prune, output)
    _printer(ctx, output, DRIFT_COLUMNS).rows(rows)
    try:
        FleetReport(failures).raise_for_failures(len(targets))
    except FleetFailure as failure:
        if exit_code_of(failure) == 2:  # for plan, 2 means "changes": usage errors are 3
            failure.exit_code = 3
        raise
    if detailed_exit and any(plans.values()):
        ctx.exit(2)


def _apply_row(name: str, report: ApplyReport) -> dict[str, Any]:
    failed = report.failed
    return {
        "pbx": name,
        "applied": len(report.applied),
        "failed_at": f"{failed.op} {failed.kind} {failed.key or ''}".strip() if failed else None,
        "not_attempted": len(report.skipped),
    }


def apply_fleet(
    ctx: click.Context, pattern: str, prune: bool, yes: bool, output: str | None
) -> None:
    """Plan all, show the drift, ask once, apply each PBX's own plan; a row per PBX."""
    import sys

    from ..fleet import FleetResult
    from ..state import apply
    from .safety import confirm

    targets, plans, failures, rows = _planned(ctx, pattern, prune, None)
    drifted = {name: p for name, p in plans.items() if p}
    if drifted:
        print("Plan per PBX:", file=sys.stderr)
        for row in rows:
            if "error" in row:
                print(f"  {row['pbx']}: cannot plan: {row['error']['message']}", file=sys.stderr)
            else:
                print(
                    f"  {row['pbx']}: {row['create']} to create, {row['update']} to update, "
                    f"{row['delete']} to delete",
                    file=sys.stderr,
                )
        total = {
            k: sum(p.counts()[k] for p in drifted.values()) for k in ("create", "update", "delete")
        }
        confirm(
            f"apply {total['create']} creates, {total['update']} updates, {total['delete']} "
            f"deletes to {len(drifted)} PBX{'s' if len(drifted) != 1 else ''} "
            f"({', '.join(drifted)})",
            yes=yes,
        )
        chosen = [t for t in targets if t.name in drifted]
        results = _each(ctx, chosen, lambda name, client: apply(client, drifted[name]))
    else:
        results = []
    done = {r.pbx: r for r in results}
    out: list[dict[str, Any]] = []
    for row in rows:
        name = row["pbx"]
        if "error" in row:
            out.append(row)
        elif name not in done:
            out.append({"pbx": name, "applied": 0, "failed_at": None, "not_attempted": 0})
        elif not done[name].ok:
            failures.append(done[name])
            out.append(error_row(done[name]))
        else:
            report = done[name].value
            out.append(_apply_row(name, report))
            if not report.ok:
                failures.append(FleetResult(name, error=report.error))
    _printer(ctx, output, APPLY_COLUMNS).rows(out)
    FleetReport(failures).raise_for_failures(len(targets))


def pull_fleet(ctx: click.Context, only: str | None, pattern: str | None, force: bool) -> None:
    """One file per PBX (``-f 'state/{pbx}.yaml'``); a row per PBX."""
    from datetime import UTC, datetime
    from pathlib import Path

    from ..errors import OutputExistsError
    from ..state import dump_document, pull
    from .statefiles import counts, write_atomically

    if not pattern or not names_each_pbx(pattern):
        raise UsageError(
            "state pull --fleet writes one file per PBX: name them with {pbx} in -f.",
            hint="For example: 3cx state pull --fleet all -f 'state/{pbx}.yaml'",
        )
    targets = fleet_targets(ctx.find_root().obj)
    existing = [p for t in targets if Path(p := file_for(pattern, t.name)).exists()]
    if existing and not force:
        raise OutputExistsError(
            f"{', '.join(existing)} exist{'s' if len(existing) == 1 else ''}; nothing was pulled.",
            hint="Add --force to replace them.",
        )
    results = _each(ctx, targets, lambda name, client: pull(client, only))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    by_name = {t.name: t for t in targets}
    rows = []
    for r in results:
        path = file_for(pattern, r.pbx)
        if not r.ok:
            rows.append(error_row(r, file=path))
            continue
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        header = (
            f"3cx state pull of {r.pbx} ({by_name[r.pbx].url}), {stamp}.\n"
            "Secrets are not written: refer to them as ${ENV_NAME}."
        )
        write_atomically(path, dump_document(r.value, header))
        rows.append({"pbx": r.pbx, "file": path, "objects": ", ".join(counts(r.value))})
    _printer(ctx, None, PULL_COLUMNS).rows(rows)
    FleetReport(results).raise_for_failures()
