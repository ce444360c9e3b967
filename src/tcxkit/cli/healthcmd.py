"""``3cx health``: run the health checks on one PBX or a ``--fleet`` and word the result.

The checks and their reports are :mod:`tcxkit.health`'s; this module picks the PBXs,
reads the thresholds (:mod:`tcxkit.config.health`), prints and sets the exit status
(:data:`.exitcodes.HEALTH_EXIT_CODES`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from .exitcodes import health_exit_code

if TYPE_CHECKING:
    from ..config.options import Options
    from ..fleet import Fleet, FleetReport
    from ..health import PbxHealth
    from ..health.report import HealthRun

__all__ = ["pick_fleet", "run_health"]

#: The table format's columns (the formats themselves are ``3cx health -o``'s choice).
TABLE_COLUMNS = "pbx,status,severity,check,summary,fix"


def _one_pbx(opts: Options) -> tuple[Fleet, dict[str, list[str]]]:
    """The configured PBX as a fleet of one, so one PBX and many share every path."""
    from ..config.targets import all_targets
    from ..fleet import Fleet
    from .connect import make_async_client, resolve

    conn = resolve(opts)
    name = conn.profile or conn.url
    tags = {t.name: list(t.tags) for t in all_targets(opts) if t.name == conn.profile}
    return Fleet({name: make_async_client(conn, opts)}), {name: tags.get(name, [])}


def _fleet(opts: Options) -> tuple[Fleet, dict[str, list[str]]]:
    from .fleet import fleet_targets, open_fleet

    targets = fleet_targets(opts)
    return open_fleet(targets, opts, None), {t.name: list(t.tags) for t in targets}


def pick_fleet(opts: Options) -> tuple[Fleet, dict[str, list[str]]]:
    """The PBXs of this run (``--fleet``, or the configured PBX) and each one's tags."""
    return _fleet(opts) if opts.fleet else _one_pbx(opts)


def run_health(
    ctx: click.Context,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    fmt: str | None,
    notify: dict[str, Any] | None = None,
) -> int:
    """Check, print, notify, and return the exit status (raise for a partial fleet
    failure, or when the summary asked for could not be delivered)."""
    from .cmdkit import env_secret, receiver_url

    notify = notify or {}
    url = receiver_url("--notify", notify.get("notify"), "--notify-env", notify.get("notify_env"))
    secret = env_secret("--notify-secret-env", notify.get("notify_secret_env"))
    from ..config.health import health_tables
    from ..health import check_fleet, default_thresholds, select_checks
    from ..health.thresholds import merge_tables
    from .settings import settle

    opts = settle(ctx.find_root().obj)
    checks = select_checks(only, skip)  # unknown names refused before any PBX is asked
    for_tags = merge_tables(default_thresholds(), health_tables(opts))
    fleet, tags = pick_fleet(opts)

    async def whole() -> FleetReport[PbxHealth]:
        async with fleet:
            return await check_fleet(fleet, checks, lambda name: for_tags(tags.get(name, [])))

    from ..fleet.bridge import run_sync

    report = run_sync(whole)
    run = _print(report, fmt or ("table" if sys.stdout.isatty() else "json"), opts)
    if url is not None:
        _notify(run, url, secret, notify.get("notify_on") or "problems", opts.timeout or 10.0)
    report.raise_for_failures()  # 10, or the common code when every PBX failed alike
    return health_exit_code(_worst(report))


def _worst(report: FleetReport[PbxHealth]) -> str:
    from ..health import worst

    return worst(r.value.status for r in report.rows if r.ok and r.value is not None)


def _notify(run: HealthRun, url: str, secret: str | None, when: str, timeout: float) -> None:
    """POST the summary (docs/health.md, "Notifications"); say so on stderr either way.
    The receiver is named by its host only: its URL may hold a token."""
    from urllib.parse import urlsplit

    from ..errors import TransportError
    from ..health.notify import deliver, summary_body, wanted

    host = urlsplit(url).hostname or "the receiver"
    if not wanted(run, when):
        click.echo(f"3cx: healthy; no summary sent to {host} (--notify-on problems).", err=True)
        return
    result, attempts = deliver(url, secret, summary_body(run), timeout=timeout)
    if result.ok:
        click.echo(f"3cx: summary sent to {host} ({result.describe()}).", err=True)
        return
    raise TransportError(
        f"The health summary was not delivered to {host}: {result.describe()} "
        f"({attempts} attempts). The report above is complete.",
        hint="Check the receiver (the URL in --notify-env, its token) and run again.",
    )


def _print(report: FleetReport[PbxHealth], fmt: str, opts: Options) -> HealthRun:
    from ..health.report import HealthRun, json_report, junit_report, table_rows
    from .errors import error_fields
    from .fleet import error_row

    errors = [error_row(r) for r in report.failures]
    run = HealthRun(
        [r.value for r in report.rows if r.ok and r.value is not None],
        errors={r.pbx: error_fields(r.error) for r in report.failures if r.error},
        order=[r.pbx for r in report.rows],
    )
    if fmt == "json":
        click.echo(json_report(run, errors), nl=False)
    elif fmt == "junit":
        click.echo(junit_report(run), nl=False)
    elif fmt == "html":
        from ..health.htmlpage import html_report

        click.echo(html_report(run), nl=False)
    else:
        from .columns import Layout
        from .output import Printer

        rows: list[dict[str, Any]] = [*table_rows(run), *errors]
        Printer(fmt="table", layout=Layout(None, TABLE_COLUMNS, fleet=True)).rows(rows)
    return run
