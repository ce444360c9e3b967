"""``3cx recording archive|verify``: call recordings into a store (engine: tcxkit.recordings).

Singular, as ``3cx backup`` beside the XAPI resource ``backups``: ``3cx recordings
archive`` is XAPI's own ``Pbx.Archive`` action (the PBX moves its recordings to its
archive folder; destructive) and keeps meaning just that.  ``archive`` archives the period's recordings of the configured PBX or, with ``--fleet``, of
every selected one (one folder per PBX); a PBX with a recording that failed is
"incomplete" and the run exits 10.  The period's end is ``--to``, so the store is
``--into``.  ``--delete-after-verify`` deletes on the PBX and needs ``--yes``.
See docs/recordings.md.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ..errors import PartialFailure, UsageError
from .cmdkit import CONTEXT, OUTPUT_OPTION, opened_store, ranged_option
from .cmdkit import printer as _printer
from .cmdkit import progress as _progress

if TYPE_CHECKING:
    from ..recordings import ArchiveReport

__all__ = ["recordings_archive_group"]

_TARGET_HELP = "A folder, sftp://user@host[:port]/folder or s3://bucket[/prefix]."


class RecordingsIncomplete(PartialFailure):
    """Some recordings were not archived or not deleted (each PBX's row counts them)."""

    title = "recordings archive incomplete"


@click.group(
    "recording",
    context_settings=CONTEXT,
    short_help="Archive call recordings (verified, resumable) into a folder, SFTP or S3.",
)
def recordings_archive_group() -> None:
    """Call recordings out of the PBX: downloaded, verified, kept with a manifest.

    Stores: a folder, sftp://user@host[:port]/folder or s3://bucket[/prefix]; credentials
    come from the environment only (docs/recordings.md).
    """


@recordings_archive_group.command("archive", context_settings=CONTEXT)
@click.option("--from", "start", required=True, metavar="WHEN", help="Period start (UTC).")
@click.option("--to", "end", required=True, metavar="WHEN", help="Period end, exclusive.")
@click.option("--into", "target", required=True, metavar="TARGET", help=_TARGET_HELP)
@ranged_option(
    "--downloads", click.IntRange(1, 32), 4, "N", "Recordings downloaded at once, per PBX."
)
@ranged_option(
    "--max-size", click.FloatRange(0, min_open=True), 1024, "MiB",
    "Most one recording may have; a download past it is stopped (a size the PBX lists "
    "bounds it further).",
)  # fmt: skip
@click.option("--delete-after-verify", is_flag=True, help="Delete verified ones on the PBX.")
@click.option("--yes", is_flag=True, help="Confirm --delete-after-verify.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@OUTPUT_OPTION
@click.pass_context
def archive_cmd(ctx: click.Context, target: str, output: str | None, **values: Any) -> None:
    """Archive the recordings that started in [--from, --to) into --into TARGET.

    WHEN: 2026-12-01 (midnight UTC) or 2026-12-01T08:00:00Z.  Recordings stored and
    verified by an earlier run are skipped, so a killed run is resumed by running it again.
    """
    from ..fleet.files import PLACEHOLDER, file_for, names_each_pbx
    from ..recordings import ArchiveOptions, Period

    if names_each_pbx(target):  # file_for drops every spelling it knows ({conn_id} too)
        raise UsageError(
            f"--into {target}: every PBX's recordings go to a folder of its own in the "
            f"store already (TARGET/<pbx>/<date>/...); {PLACEHOLDER} is not needed.",
            hint=f"Give the store without {PLACEHOLDER}: --into "
            f"{file_for(target, '').rstrip('/') or 'recordings'}",
        )
    if values["delete_after_verify"] and not values["yes"]:
        raise UsageError(
            "--delete-after-verify deletes recordings on the PBX; it needs --yes.",
            hint="Run once without it and check the archive (3cx recording verify "
            "TARGET), then add --delete-after-verify --yes.",
        )
    printer = _printer(ctx, output)
    options = ArchiveOptions(
        Period.parse(values["start"], values["end"]),
        concurrency=values["downloads"],
        delete=values["delete_after_verify"],
        max_bytes=max(1, int(values["max_size"] * (1 << 20))),
    )
    report = _run(ctx, target, options, (lambda _p, _m: None) if values["quiet"] else _progress)
    _finish(printer, report)


def _run(ctx: click.Context, target: str, options: Any, progress: Any) -> Any:
    from ..recordings import archive_pbx
    from ..storage import StoreLane, open_storage
    from .fleet import run_each

    store = open_storage(target)
    try:
        lane = StoreLane(store)

        async def one(pbx: str, client: Any) -> ArchiveReport:
            return await archive_pbx(pbx, client, lane, options, progress=progress)

        return run_each(ctx.find_root().obj, one)
    finally:
        store.close()


def _finish(printer: Any, report: Any) -> None:
    from .fleet import error_row

    printer.rows(
        r.value.row() if r.ok and r.value is not None else error_row(r) for r in report.rows
    )
    bad = [r.value for r in report.rows if r.ok and r.value is not None and not r.value.ok]
    for rep in bad:
        for rec_id, exc in sorted({**rep.failed, **rep.delete_failed}.items()):
            print(f"3cx: {rep.pbx}: recording {rec_id}: {exc.message}", file=sys.stderr)
    report.raise_for_failures()
    if bad:
        total = sum(len(r.failed) + len(r.delete_failed) for r in bad)
        raise RecordingsIncomplete(
            f"{total} recordings were not archived or not deleted "
            f"({', '.join(r.pbx for r in bad)}); each is named above.",
            hint="Nothing unverified was deleted. Run the same command again: what is "
            "stored and verified is skipped.",
        )


@recordings_archive_group.command("verify", context_settings=CONTEXT)
@click.argument("target", metavar="TARGET")
@OUTPUT_OPTION
@click.pass_context
def verify_cmd(ctx: click.Context, target: str, output: str | None) -> None:
    """Re-hash every recording in TARGET against its manifest entry (exit 10 names the bad)."""
    from ..recordings.verify import verify_store

    printer = _printer(ctx, output)
    bad: list[str] = []
    rows = []
    with opened_store(target) as store:
        for key, problem in verify_store(store):
            rows.append({"key": key, "status": "verified" if problem is None else problem})
            if problem is not None:
                bad.append(key)
        printer.rows(rows)
    if not rows:
        print(f"3cx: no recordings in {store.where}.", file=sys.stderr)
    if bad:
        raise RecordingsIncomplete(
            f"{len(bad)} of {len(rows)} recordings in {store.where} do not verify: "
            f"{', '.join(bad[:20])}{' ...' if len(bad) > 20 else ''}.",
            hint="Archive them again (3cx recording archive): a failed one is replaced.",
        )
