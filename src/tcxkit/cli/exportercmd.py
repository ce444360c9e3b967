"""``3cx exporter``: serve the PBX's (or ``--fleet``'s) metrics to Prometheus.

The exporter is :mod:`tcxkit.exporter`'s; this module picks the PBXs (as
``3cx health`` does), checks the options and announces where it listens.
"""

from __future__ import annotations

import click

__all__ = ["run_exporter"]


def run_exporter(
    ctx: click.Context, listen: str, intervals: str | None, allow_remote: bool, tag_labels: bool
) -> None:
    from importlib.util import find_spec

    if find_spec("prometheus_client") is None:
        raise click.UsageError(
            "3cx exporter needs the exporter extra: pip install 'tcxkit[exporter]'"
        )
    from ..config.health import health_tables
    from ..exporter.families import parse_intervals
    from ..exporter.server import parse_listen, serve
    from ..health import default_thresholds
    from ..health.thresholds import merge_tables
    from .healthcmd import pick_fleet
    from .settings import settle

    host, port = parse_listen(listen, allow_remote)
    chosen = parse_intervals(intervals)
    opts = settle(ctx.find_root().obj)
    for_tags = merge_tables(default_thresholds(), health_tables(opts))  # as 3cx health
    fleet, tags = pick_fleet(opts)

    def announce(bound_host: str, bound_port: int) -> None:
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        click.echo(
            f"3cx exporter: serving http://{shown}:{bound_port}/metrics for "
            f"{len(fleet.names)} PBX(s); Ctrl-C stops it.",
            err=True,
        )

    serve(
        fleet,
        host,
        port,
        chosen,
        announce,
        tags if tag_labels else None,
        lambda name: for_tags(tags.get(name, [])),
    )
