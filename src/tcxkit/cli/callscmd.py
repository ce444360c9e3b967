"""``3cx calls export``: a period's calls (or legs) out of the PBX, complete and resumable.

The engine is :mod:`tcxkit.exports`; this module parses options, connects (one PBX, or
each PBX of ``--fleet`` through :class:`tcxkit.Fleet`), and reports on stderr what was
exported and how it was checked.  Rows go to standard output, a file or a database
(``--into``); see docs/exports.md.
"""

from __future__ import annotations

import sys
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from .cmdkit import CONTEXT

if TYPE_CHECKING:
    from ..exports import ExportSpec, ExportSummary, Target
    from ..fleet import FleetReport

__all__ = ["calls_group"]

FLEET_COLUMNS = "pbx,rows,legs,windows,cap_splits,timeouts,into"


@click.group("calls", context_settings=CONTEXT, short_help="Call records out: complete exports.")
def calls_group() -> None:
    """Call records out of the PBX (docs/exports.md)."""


def parse_when(text: str, tz: str | None, option: str) -> datetime:
    """``--from``/``--to``: a date-time with an offset, or (with ``--tz``) a local date or
    date-time; a time without a zone is refused rather than guessed."""
    from zoneinfo import ZoneInfo

    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date or date-time.",
            hint=f"e.g. {option} 2026-11-01T00:00:00Z, or {option} 2026-11-01 --tz Europe/London.",
        ) from None
    if value.tzinfo is not None:
        return value
    if not tz:
        raise UsageError(
            f"{option} {text!r} has no time zone.",
            hint="Add an offset (2026-11-01T00:00:00+01:00, or Z for UTC), or give --tz ZONE "
            "for the zone it is meant in.",
        )
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        raise UsageError(
            f"Unknown time zone {tz!r}.", hint="Use an IANA name, e.g. Europe/London."
        ) from None
    if len(raw) == 10:  # a date: its midnight
        value = datetime.combine(value.date(), time())
    return value.replace(tzinfo=zone)


@calls_group.command("export", context_settings=CONTEXT)
@click.option("--from", "start", required=True, metavar="WHEN", help="Start (included).")
@click.option("--to", "end", required=True, metavar="WHEN", help="End (excluded).")
@click.option(
    "--tz", metavar="ZONE", help="Zone of start_local and of --from/--to without an offset "
    "(default: the PBX's, from OfficeHours).",
)  # fmt: skip
@click.option(
    "-o", "--output", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default=None,
    help="jsonl (legs nested in each call), csv (legs as JSON text) or parquet "
    "(--into DIR.parquet; extra parquet); default: what --into's name ends in, else jsonl. "
    "A -o that --into contradicts (its name's ending, a database) is refused.",
)  # fmt: skip
@click.option(
    "--into", metavar="URL",
    help="A file (calls.jsonl), DIR.parquet, sqlite:///PATH or postgresql://USER@HOST/DB "
    "(upserted tables calls and call_legs); "
    "default: standard output. With --fleet, {pbx} in a file name gives each PBX its own; "
    "standard output or a database holds them all, with a pbx column.",
)  # fmt: skip
@click.option("--resume", is_flag=True, help="Continue an interrupted export from its checkpoint.")
@click.option("--legs", is_flag=True, help="Raw legs, one row each, instead of calls.")
@click.option(
    "--cap", type=click.IntRange(1, 80000), default=20000, show_default=True, metavar="ROWS",
    help="The PBX's report cap (rows a report answers at most).",
)  # fmt: skip
@click.option(
    "--window", type=click.IntRange(1), default=3600, show_default=True, metavar="SECONDS",
    help="First window's length; later ones are sized from what the PBX answers.",
)  # fmt: skip
@click.pass_context
def export_cmd(ctx: click.Context, **values: Any) -> None:
    """Export every call (or leg) of [--from, --to), each window checked against the
    PBX's own count; a checkpoint per window makes --resume safe."""
    from ..exports import parse_target
    from ..fleet.files import names_each_pbx
    from .settings import settle

    opts = settle(ctx.find_root().obj)
    # The global -o (or the settings' output) is a default a file's ending overrides; the
    # command's own -o is what the user asked for, and a target contradicting it is refused.
    default = opts.output if opts.output in ("jsonl", "csv") else "jsonl"
    into = values["into"]
    target = parse_target(into, values["fmt"], default)
    tz = values["tz"]
    start = parse_when(values["start"], tz, "--from")
    end = parse_when(values["end"], tz, "--to")
    if opts.fleet:
        _export_fleet(ctx, values, target, default, (start, end))
        return
    if into is not None and names_each_pbx(into):
        raise UsageError(
            f"--into {into} names one output per PBX ({{pbx}}), but no --fleet is given.",
            hint="Add --fleet SELECTOR (docs/fleet.md), or give the one PBX's file name.",
        )
    _export_one(ctx, values, default, start, end)


def _spec(values: dict[str, Any], start: datetime, end: datetime, pbx: str) -> ExportSpec:
    from ..exports import ExportSpec

    return ExportSpec(
        start,
        end,
        legs=values["legs"],
        tz=values["tz"],
        cap=values["cap"],
        window=values["window"],
        pbx=pbx,
    )


def _export_one(
    ctx: click.Context, values: dict[str, Any], default: str, start: datetime, end: datetime
) -> None:
    from urllib.parse import urlsplit

    from ..exports import export, open_sink
    from .connect import make_client, resolve

    opts = ctx.find_root().obj
    conn = resolve(opts)
    pbx = urlsplit(conn.url).netloc
    spec = _spec(values, start, end, pbx)
    sink = open_sink(
        values["into"], fmt=values["fmt"], default_fmt=default, legs_only=spec.legs,
        resume=values["resume"], export_key=spec.key(), pbx=pbx,
    )  # fmt: skip
    try:
        # No client retries: a 504 is answered with a smaller window, not the same pull again.
        with make_client(conn, opts, retries=0) as client:
            summary = export(client, spec, sink)
    finally:
        sink.close()
    _say(summary, spec, values["into"])


def _say(summary: ExportSummary, spec: ExportSpec, into: str | None, pbx: str = "") -> None:
    what = "legs" if spec.legs else "calls"
    where = f" into {into}" if into else ""
    who = f"{pbx}: " if pbx else ""
    resumed = " (resumed)" if summary.resumed else ""
    print(
        f"3cx: {who}exported {summary.rows} {what} ({summary.legs} legs read){where}{resumed}, "
        f"{spec.start.isoformat()} to {spec.end.isoformat()}, local times in "
        f"{summary.time_zone}; {summary.windows} windows each matched the PBX's count "
        f"({summary.cap_splits} split at the report cap, {summary.timeouts} time-outs); "
        f"{summary.seconds:.1f} s.",
        file=sys.stderr,
    )


def _export_fleet(
    ctx: click.Context,
    values: dict[str, Any],
    target: Target,
    default: str,
    period: tuple[datetime, datetime],
) -> None:
    """Every selected PBX: one table on stdout (``pbx`` its first column), a file each
    (``{pbx}``) or one database (``pbx`` column); see docs/exports.md.  ``target`` is
    :func:`~tcxkit.exports.parse_target`'s answer, ``default`` the format a name may override."""
    from ..exports import FleetStream, export_async, open_sink
    from ..fleet.files import file_for, names_each_pbx
    from .fleet import fleet_targets, open_fleet

    into = values["into"]
    if target.kind != "stdout" and not target.shared and not names_each_pbx(into):
        raise UsageError(
            f"--fleet writes every PBX's rows: --into {into} would be one file for all of them.",
            hint="Name each PBX's file with {pbx} (--into 'cdr/{pbx}.jsonl'), give one "
            "database (--into sqlite:///cdr.db or postgresql://…: a pbx column tells them "
            "apart), or leave --into out for one table on standard output with a pbx column.",
        )
    opts = ctx.find_root().obj
    targets = fleet_targets(opts)
    stream = None
    if target.kind == "stdout":
        stream = FleetStream(sys.stdout, target, legs_only=values["legs"], resume=values["resume"])

    async def one(name: str, client: Any) -> dict[str, Any]:
        spec = _spec(values, *period, name)
        where = file_for(into, name) if into else None
        sink = stream.sink(name) if stream else open_sink(
            where, fmt=values["fmt"], default_fmt=default, legs_only=spec.legs,
            resume=values["resume"], export_key=spec.key(), pbx=name,
        )  # fmt: skip
        try:
            summary = await export_async(client, spec, sink)
        finally:
            sink.close()
        _say(summary, spec, where, name)
        return {
            "pbx": name, "rows": summary.rows, "legs": summary.legs,
            "windows": summary.windows, "cap_splits": summary.cap_splits,
            "timeouts": summary.timeouts, "into": where,
        }  # fmt: skip

    _report(open_fleet(targets, opts, None).run_sync(one), on_stdout=stream is not None)


def _report(report: FleetReport[dict[str, Any]], *, on_stdout: bool) -> None:
    """A summary row per PBX on stdout -- unless stdout holds the rows themselves: then a
    failed PBX is told on stderr.  Exit 10 when some PBX failed (docs/fleet.md)."""
    from .cmdkit import progress
    from .errors import error_fields
    from .fleet import error_row
    from .output import Printer

    if on_stdout:
        for r in report.failures:
            why = error_fields(r.error)  # type: ignore[arg-type]
            progress(r.pbx, f"{why['message']} {why.get('hint') or ''}".rstrip())
    else:
        rows = [r.value if r.ok else error_row(r) for r in report.rows]
        Printer(fmt="jsonl", out=sys.stdout).rows(rows)
    report.raise_for_failures()
