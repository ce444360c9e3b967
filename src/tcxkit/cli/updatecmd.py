"""``3cx update status|apply``: PBX updates across a fleet (tcxkit.updates).

This module parses options, asks, and prints; what is updated, skipped or failed, and
why, is the core's (:mod:`tcxkit.updates`).  ``status`` prints a row per PBX (exit 10
when some PBX could not be read); ``apply`` backs up, installs and checks PBX after PBX
in waves, asks first (``--yes`` without a terminal), prints a row per PBX and exits 10
when the roll-out stopped at a failure.  See docs/updates.md.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from .cmdkit import CONTEXT, OUTPUT_OPTION, opened_store, ranged_option, wait_option
from .cmdkit import printer as _printer
from .cmdkit import progress as _progress

if TYPE_CHECKING:
    from ..config.options import Options
    from ..fleet import Fleet
    from ..updates import RolloutOptions, RolloutReport, Window

__all__ = ["update_group"]

_STORE_HELP = "Where the backup taken before each update goes: a folder, sftp://... or s3://..."


@click.group(
    "update", context_settings=CONTEXT, short_help="Update PBXs in waves, each after a backup."
)
def update_group() -> None:
    """PBX updates: what each PBX runs and is offered, and a roll-out in waves that takes a
    verified backup of each PBX first (docs/updates.md)."""


@update_group.command("status", context_settings=CONTEXT)
@OUTPUT_OPTION
@click.pass_context
def status_cmd(ctx: click.Context, output: str | None) -> None:
    """The release each PBX runs, the 3CX update it is offered and how far behind it is."""
    from ..updates import fleet_status
    from .fleet import error_row, with_fleet

    printer = _printer(ctx, output)
    report = with_fleet(ctx.find_root().obj, fleet_status)
    printer.rows(r.value.as_row() if r.value is not None else error_row(r) for r in report.rows)
    report.raise_for_failures()


def _windows(opts: Options, window: str | None) -> tuple[Window | None, dict[str, Window | None]]:
    """--window for every PBX; else, with --fleet, the inventory's [updates] windows."""
    from ..config.health import inventory_table
    from ..updates import parse_window, windows_by_tag
    from .fleet import fleet_targets

    if window is not None:
        return parse_window(window), {}
    found = inventory_table(opts, "updates") if opts.fleet else None
    if found is None:
        return None, {}
    where, table = found
    return None, windows_by_tag(fleet_targets(opts), table, where)


@update_group.command("apply", context_settings=CONTEXT)
@click.option("--to", "target", required=True, metavar="TARGET", help=_STORE_HELP)
@ranged_option("--canary", click.IntRange(0, 1000), 1, "N", "PBXs updated first, before any batch.")
@ranged_option("--batch", click.IntRange(1, 1000), 1, "N", "PBXs updated at once in later waves.")
@click.option(
    "--window",
    metavar="'DAYS HH:MM-HH:MM'",
    help="Update only inside this window, in each PBX's time zone "
    "(e.g. 'Sat 02:00-05:00'); default: the inventory's [updates] windows, else any time.",
)
@click.option(
    "--version",
    "version",
    metavar="BUILD",
    help="Install only this offered build (a PBX offered another is skipped).",
)
@wait_option("--wait", 1800, "How long a PBX may take to come back on the new version.")
@wait_option("--backup-wait", 900, "How long a PBX may take to finish its backup.")
@click.option("--yes", is_flag=True, help="Update without asking (required without a terminal).")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@OUTPUT_OPTION
@click.pass_context
def apply_cmd(ctx: click.Context, target: str, output: str | None, **values: Any) -> None:  # fmt: skip
    """Update the PBX (or every --fleet PBX) in waves: canary first, then batches; each PBX
    is backed up (verified, into TARGET) before InstallUpdates, and checked after it.
    The roll-out stops at the first failure (exit 10); nothing is rolled back by itself."""
    from ..updates import RolloutOptions

    opts = ctx.find_root().obj
    window, windows = _windows(opts, values["window"])  # a bad window: exit 2, nothing sent
    given = ("canary", "batch", "version", "wait", "backup_wait")
    options = RolloutOptions(window=window, windows=windows, **{k: values[k] for k in given})
    printer = _printer(ctx, output)
    _confirm(opts, options, target, values["yes"])
    report = _roll_out(opts, options, target, quiet=values["quiet"])
    printer.rows(_row(r) for r in report.rows)
    report.raise_for_failures()


def _confirm(opts: Options, options: RolloutOptions, target: str, yes: bool) -> None:
    from .fleet import fleet_targets
    from .safety import confirm

    names = [t.name for t in fleet_targets(opts)] if opts.fleet else ["the PBX"]
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    when = f" inside {options.window}" if options.window else ""
    confirm(
        f"Update {shown}{when} (canary {options.canary}, then batches of {options.batch}; "
        f"each backed up to {target} first; service is interrupted while each restarts)",
        yes=yes,
        preview="after checking what each PBX is offered with `3cx update status`",
    )


def _roll_out(opts: Options, options: RolloutOptions, target: str, *, quiet: bool) -> RolloutReport:
    from ..backups import StoreLane
    from ..updates import roll_out
    from .fleet import with_fleet

    progress = (lambda _p, _m: None) if quiet else _progress
    with opened_store(target) as store:
        lane = StoreLane(store)

        async def work(fleet: Fleet) -> RolloutReport:
            return await roll_out(fleet, lane, options, progress=progress)

        report = with_fleet(opts, work)
    if not quiet:
        print(f"3cx: {report.summary()}.", file=sys.stderr)
    return report


def _row(r: Any) -> dict[str, Any]:
    from ..fleet import FleetResult
    from .fleet import error_row

    row = r.as_row()
    if r.error is None:
        return row
    row.pop("pbx")
    row.pop("reason")
    return error_row(FleetResult(r.pbx, error=r.error), **row)
