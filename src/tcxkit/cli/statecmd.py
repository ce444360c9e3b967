"""``3cx state pull|plan|apply``: configuration as code (engine: :mod:`tcxkit.state`).

This module only parses options and prints; it imports the engine, PyYAML and
the HTTP client inside the callbacks, so ``3cx --help`` stays lean.  Each
step runs one coroutine of the engine on one PBX through :func:`_on_pbx` (the
place a fleet runner would call once per PBX); ``apply`` plans, asks outside
any event loop, then applies that plan.

Exit codes: ``plan`` 0 = no changes, 2 = changes, anything else an error (a
usage error exits 3 here, so that 2 always means "changes", as with
``terraform plan -detailed-exitcode``); ``apply`` 0 = done (or nothing to do),
else the exit code of the error that stopped it (see docs/state.md).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from .cmdkit import CONTEXT
from .cmdkit import printer as _printer
from .globalopts import OUTPUT_FORMATS
from .safety import YES_HELP
from .statefiles import counts, write_atomically

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..state import ApplyReport, Plan

__all__ = ["state_group"]

_OUTPUT = click.option(
    "-o", "--output", type=click.Choice(OUTPUT_FORMATS), help="json: the plan/report as data."
)
_PRUNE = click.option(
    "--prune",
    is_flag=True,
    help="Also delete objects of the file's kinds that the file does not name.",
)
_FILE = click.argument("file", type=click.Path(dir_okay=False))


@click.group(
    "state", context_settings=CONTEXT, short_help="Configuration as code: pull, plan, apply."
)
def state_group() -> None:
    """A PBX's configuration as a YAML file: pull it, edit it, plan and apply it.

    See docs/state.md: kinds, keys, extends (standards), ${ENV} secrets, exit codes.
    """


def _on_pbx(ctx: click.Context, work: Callable[[AsyncClient], Awaitable[Any]]) -> tuple[Any, str]:
    """Run ``work(client)`` against the configured PBX; returns its result and the PBX's URL."""
    from ..fleet.bridge import run_sync
    from .connect import make_async_client, resolve

    opts = ctx.find_root().obj
    conn = resolve(opts)

    async def run() -> Any:
        async with make_async_client(conn, opts) as client:
            return await work(client)

    return run_sync(run), conn.url


def _fleet(ctx: click.Context) -> bool:
    """``--fleet`` given: the step runs on every selected PBX (:mod:`.statefleet`)."""
    return bool(ctx.find_root().obj.fleet)


@state_group.command("pull", context_settings=CONTEXT)
@click.option(
    "--only", metavar="MANAGED_TYPES", help="Comma list of kinds (default: all); see docs/state.md."
)
@click.option("-f", "--file", "path", metavar="FILE", help="Write here (default: stdout).")
@click.option("--force", is_flag=True, help="Replace an existing FILE.")
@click.pass_context
def pull_cmd(ctx: click.Context, only: str | None, path: str | None, force: bool) -> None:
    """Write the PBX's configuration as YAML (no Ids, no live values, no secrets)."""
    from datetime import UTC, datetime
    from pathlib import Path

    from ..errors import OutputExistsError
    from ..state import dump_document, pull
    from ..state.managed import select_types

    select_types(only)  # an unknown kind fails before connecting
    if _fleet(ctx):
        from .statefleet import pull_fleet

        pull_fleet(ctx, only, path, force)
        return
    if path and Path(path).exists() and not force:
        raise OutputExistsError(
            f"{path} exists; nothing was pulled.", hint="Add --force to replace it."
        )
    doc, url = _on_pbx(ctx, lambda client: pull(client, only))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = dump_document(
        doc,
        f"3cx state pull of {url}, {stamp}.\nSecrets are not written: refer to them as ${{ENV_NAME}}.",
    )
    if path:
        write_atomically(path, text)
        print(f"3cx: wrote {path}: " + ", ".join(counts(doc)), file=sys.stderr)
    else:
        sys.stdout.write(text)


def _what(change: Any) -> str:
    """``users '100'``, or just ``office_hours`` for the one-object kinds."""
    return f"{change.kind} {change.key!r}" if change.key else change.kind


def _load(path: str) -> dict[str, Any]:
    from ..state import load_document

    return load_document(path)


class _PlanUsageError(UsageError):
    exit_code = 3


class _PlanClickUsageError(click.UsageError):
    exit_code = 3


class _PlanCommand(click.Command):
    """Usage errors exit 3, not click's 2: for ``state plan`` 2 means "changes"."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            # format_message(): a missing argument's own ``message`` is empty.
            raise _PlanClickUsageError(exc.format_message(), exc.ctx) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise _PlanUsageError(exc.message, hint=exc.hint) from exc


@state_group.command("plan", cls=_PlanCommand, context_settings=CONTEXT)
@_FILE
@_PRUNE
@_OUTPUT
@click.pass_context
def plan_cmd(ctx: click.Context, file: str, prune: bool, output: str | None) -> None:
    """Show what `apply FILE` would change. Exit 0: none, 2: changes, else an error."""
    from ..state import plan

    if _fleet(ctx):
        from .statefleet import plan_fleet

        plan_fleet(ctx, file, prune, output)
        return
    doc = _load(file)
    result, _url = _on_pbx(ctx, lambda client: plan(client, doc, prune=prune))
    _print_plan(ctx, result, output)
    ctx.exit(2 if result else 0)


def _text(ctx: click.Context, output: str | None) -> bool:
    """Text for people unless a data format is asked for (-o, TCX_OUTPUT, config.toml)."""
    from .settings import settle

    return (output or settle(ctx.find_root().obj).output) in (None, "table")


def _print_plan(ctx: click.Context, result: Plan, output: str | None) -> None:
    if _text(ctx, output):
        sys.stdout.write(result.render())
    else:
        _printer(ctx, output).result(result.to_dict())


@state_group.command("apply", context_settings=CONTEXT)
@_FILE
@_PRUNE
@click.option("--yes", is_flag=True, help="Apply without asking (" + YES_HELP.split("(")[1])
@click.option(
    "--dry-run", is_flag=True, help="Only show the plan (as `state plan`); change nothing."
)
@_OUTPUT
@click.pass_context
def apply_cmd(
    ctx: click.Context, file: str, prune: bool, yes: bool, dry_run: bool, output: str | None
) -> None:
    """Make the PBX match FILE: create and update what differs; delete only with --prune."""
    from ..state import apply, plan
    from .safety import confirm

    if _fleet(ctx):
        from .statefleet import apply_fleet, plan_fleet

        if dry_run:
            plan_fleet(ctx, file, prune, output, detailed_exit=False)
            return
        apply_fleet(ctx, file, prune, yes, output)
        return
    doc = _load(file)
    planned, url = _on_pbx(ctx, lambda client: plan(client, doc, prune=prune))
    text = _text(ctx, output)
    if dry_run:
        _print_plan(ctx, planned, output)
        return
    if not planned:
        print("3cx: no changes: the PBX matches the file.", file=sys.stderr)
        return
    if text:
        _print_plan(ctx, planned, output)
    c = planned.counts()
    what = f"{c['create']} creates, {c['update']} updates, {c['delete']} deletes"
    confirm(f"apply {what} to {url}", yes=yes)
    report, _url = _on_pbx(
        ctx, lambda client: apply(client, planned, progress=_progress if text else None)
    )
    if not text:
        _printer(ctx, output).result(report.to_dict())
    _report(report)


def _report(report: ApplyReport) -> None:
    """One line for success; on failure what was applied, what failed, what was not tried."""
    n = len(report.applied)
    if report.ok:
        print(f"3cx: applied {n} change{'s' if n != 1 else ''}.", file=sys.stderr)
        return
    failed = report.failed
    assert failed is not None and report.error is not None
    print(
        f"3cx: stopped at {failed.op} of {_what(failed)}: applied {n}, "
        f"failed 1, not attempted {len(report.skipped)}.",
        file=sys.stderr,
    )
    for change in report.skipped:
        print(f"3cx:   not attempted: {change.op} {_what(change)}", file=sys.stderr)
    raise report.error


_PAST = {"create": "created", "update": "updated", "delete": "deleted"}


def _progress(change: Any) -> None:
    print(f"3cx: {_PAST[change.op]} {_what(change)}", file=sys.stderr)
