"""``3cx backup run|verify|list|prune|restore``: backups you can restore (tcxkit.backups).

This module parses options and prints; the engine, the stores and the HTTP client load
inside the callbacks.  ``run`` works on the configured PBX or, with ``--fleet``, on every
selected one through :class:`tcxkit.Fleet`: a PBX whose backup fails or does not verify
is its error row, and the run exits 10 (every PBX failing alike: that failure's code).
``verify`` exits 10 when an archive does not verify, naming each; ``prune`` only shows
its plan unless ``--yes`` is given; ``restore`` checks, asks, then sends ``Restore`` once.
See docs/backups.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from ..errors import PartialFailure, UsageError
from .cmdkit import CONTEXT, OUTPUT_OPTION, opened_store, wait_option
from .cmdkit import printer as _printer
from .cmdkit import progress as _progress

if TYPE_CHECKING:
    from ..backups import ManifestEntry
    from ..storage import Storage

__all__ = ["backup_group"]

_TARGET = click.argument("target", metavar="TARGET")
_TARGET_HELP = "TARGET: a folder, sftp://user@host[:port]/folder or s3://bucket[/prefix]."


class BackupsDoNotVerify(PartialFailure):
    """Some archives of a store do not verify (each has its row)."""

    title = "backups do not verify"


@click.group(
    "backup", context_settings=CONTEXT, short_help="Take, verify, list and prune PBX backups."
)
def backup_group() -> None:
    """Backups you can restore: taken by the PBX, verified, kept in a store with a manifest.

    TARGET: a folder, sftp://user@host[:port]/folder or s3://bucket[/prefix]; credentials
    come from the environment only (docs/backups.md).
    """


def _open(target: str) -> Storage:
    from ..storage import open_storage

    return open_storage(target)


@backup_group.command("run", context_settings=CONTEXT)
@click.option("--to", "target", required=True, metavar="TARGET", help=_TARGET_HELP)
@click.option("--call-history", is_flag=True, help="Include the call history.")
@click.option("--fqdn", is_flag=True, help="Include the FQDN and its certificate.")
@click.option("--no-compression", is_flag=True, help="Ask the PBX not to compress.")
@wait_option("--wait", 900, "How long a PBX may take to finish its backup.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@OUTPUT_OPTION
@click.pass_context
def run_cmd(ctx: click.Context, target: str, output: str | None, **values: Any) -> None:
    """Take a backup on the PBX (or every --fleet PBX), download, verify and store it."""
    from ..backups import BackupOptions, StoreLane, backup_pbx
    from .fleet import error_row, run_each

    printer = _printer(ctx, output)
    opts = ctx.find_root().obj
    options = BackupOptions(
        call_history=values["call_history"],
        fqdn=values["fqdn"],
        compress=not values["no_compression"],
    )
    progress = (lambda _p, _m: None) if values["quiet"] else _progress
    store = _open(target)
    try:
        lane = StoreLane(store)

        async def one(pbx: str, client: Any) -> ManifestEntry:
            return await backup_pbx(
                pbx, client, lane, options, wait=values["wait"], progress=progress
            )

        report = run_each(opts, one)
    finally:
        store.close()
    printer.rows(
        (
            {"pbx": r.pbx, "status": "verified", **_entry_row(r.value)}
            if r.ok and r.value is not None
            else error_row(r)
        )
        for r in report.rows
    )
    report.raise_for_failures()


def _entry_row(e: ManifestEntry) -> dict[str, Any]:
    return {"time": e.time, "size": e.size, "sha256": e.sha256, "release": e.release, "key": e.key}


@backup_group.command("verify", context_settings=CONTEXT)
@_TARGET
@OUTPUT_OPTION
@click.pass_context
def verify_cmd(ctx: click.Context, target: str, output: str | None) -> None:
    """Re-check every archive in TARGET against its manifest entry (exit 10 names the bad)."""
    from ..backups import verify_store
    from ..fleet import FleetResult
    from .fleet import error_row

    printer = _printer(ctx, output)
    bad: list[str] = []
    total = 0

    def rows(store: Storage) -> Iterator[dict[str, Any]]:
        nonlocal total
        for check in verify_store(store):
            total += 1
            if check.error is None:
                yield {"pbx": check.pbx, "key": check.key, "status": "verified"}
            else:
                bad.append(check.key)
                yield error_row(FleetResult(check.pbx, error=check.error), key=check.key)

    with opened_store(target) as store:
        printer.rows(rows(store))
    if bad:
        raise BackupsDoNotVerify(
            f"{len(bad)} of {total} archives in {store.where} do not verify: {', '.join(bad)}.",
            hint="Each has its row; take new backups (3cx backup run) before deleting them.",
        )
    if not total:  # fail closed: a mistyped path or an emptied store is not "all fine"
        raise BackupsDoNotVerify(
            f"There are no backups in {store.where}.",
            hint="Check the TARGET, or take one: 3cx backup run --to TARGET.",
        )


@backup_group.command("list", context_settings=CONTEXT)
@_TARGET
@click.option("--pbx-name", "pbx", metavar="NAME", help="Only this PBX's backups.")
@OUTPUT_OPTION
@click.pass_context
def list_cmd(ctx: click.Context, target: str, pbx: str | None, output: str | None) -> None:
    """List the backups in TARGET per PBX, newest first, with their age."""
    from ..backups import list_rows, read_entries

    printer = _printer(ctx, output)
    with opened_store(target) as store:
        entries = [e for e in read_entries(store) if pbx is None or e.pbx == pbx]
    printer.rows(list_rows(entries, datetime.now(UTC)))


def _as_of(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--as-of {text!r} is not a date-time.", hint="e.g. --as-of 2026-12-31T00:00:00Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_KEEP: dict[str, Any] = {
    "type": click.IntRange(0, 10_000),
    "default": 0,
    "show_default": True,
    "metavar": "N",
}


@backup_group.command("prune", context_settings=CONTEXT)
@_TARGET
@click.option("--keep-daily", **_KEEP, help="Keep the newest backup of each of the last N days.")
@click.option("--keep-weekly", **_KEEP, help="... of each of the last N ISO weeks.")
@click.option("--keep-monthly", **_KEEP, help="... of each of the last N months.")
@click.option("--as-of", metavar="TIME", help="Count periods back from TIME (UTC), not now.")
@click.option("--yes", is_flag=True, help="Delete; without it prune only shows its plan.")
@OUTPUT_OPTION
@click.pass_context
def prune_cmd(ctx: click.Context, target: str, output: str | None, **values: Any) -> None:
    """Delete the backups a grandfather-father-son policy does not keep (per PBX)."""
    from ..backups import prune_plan, read_entries
    from ..backups.catalogue import delete_archive

    daily, weekly, monthly = values["keep_daily"], values["keep_weekly"], values["keep_monthly"]
    if not daily + weekly + monthly:
        raise UsageError(
            "prune without --keep-daily/--keep-weekly/--keep-monthly would delete every backup.",
            hint="e.g. 3cx backup prune TARGET --keep-daily 7 --keep-weekly 4 --keep-monthly 12",
        )
    printer = _printer(ctx, output)
    now = _as_of(values["as_of"])
    yes = values["yes"]
    with opened_store(target) as store:
        plan = prune_plan(read_entries(store), now, daily=daily, weekly=weekly, monthly=monthly)
        for entry, kept in plan:
            if not kept and yes:
                delete_archive(store, entry)
    gone = "deleted" if yes else "would delete"
    printer.rows(
        {"pbx": e.pbx, "time": e.time, "action": "keep" if kept else gone, "key": e.key}
        for e, kept in plan
    )
    doomed = sum(1 for _e, kept in plan if not kept)
    if not yes and doomed:
        print(f"3cx: dry run: {doomed} backups would be deleted; add --yes.", file=sys.stderr)


@backup_group.command("restore", context_settings=CONTEXT)
@_TARGET
@click.argument("key", metavar="KEY")
@click.option("--yes", is_flag=True, help="Restore without asking (required without a terminal).")
@click.pass_context
def restore_cmd(ctx: click.Context, target: str, key: str, yes: bool) -> None:
    """Restore the PBX to backup KEY of TARGET: checked first, then confirmed (destructive).

    The archive must verify, belong to this PBX (--pbx NAME), and the PBX must still have
    the very same file (its SHA-256 is compared); see docs/backups.md.
    """
    from ..backups.restore import check_restore, find_entry, restore
    from ..fleet.bridge import run_sync
    from .connect import make_async_client, resolve
    from .safety import confirm

    opts = ctx.find_root().obj
    if opts.fleet:
        raise UsageError(
            "backup restore runs on one PBX, never on a --fleet.", hint="Use --pbx NAME."
        )
    store = _open(target)
    try:
        entry = find_entry(store, key)
        conn = resolve(opts)
        name = conn.profile or "pbx"

        async def checked() -> Any:
            async with make_async_client(conn, opts) as client:
                return await check_restore(store, entry, name, client)

        plan = run_sync(checked)
    finally:
        store.close()
    confirm(
        f"Restore {name} from {entry.pbx_file} of {entry.time} (replaces its whole configuration)",
        yes=yes,
        preview="after checking the backup with `3cx backup list`",
    )

    async def send() -> None:
        async with make_async_client(conn, opts) as client:
            await restore(client, plan)

    run_sync(send)
    print(f"3cx: {name}: restore from {entry.pbx_file} started.", file=sys.stderr)
