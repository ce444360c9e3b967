"""``3cx actions``: find actions and read their pages, from the catalog alone."""

from __future__ import annotations

import sys

import click

from ..catalog.render import render_markdown, render_text, summary_line
from ..errors import UsageError
from .lazy import release_of

__all__ = ["list_actions", "show_action"]


def list_actions(ctx: click.Context, resource: str | None, words: tuple[str, ...]) -> None:
    cat = release_of(ctx)
    tag = None
    if resource:
        tag = cat.resource_name(resource)
        if tag is None:
            import difflib

            names = sorted({a.resource_cli_name for a in cat})
            close = difflib.get_close_matches(resource.lower(), names, n=4, cutoff=0.5)
            raise UsageError(
                f"No resource {resource!r} in XAPI {cat.release}.",
                hint=(f"Did you mean: {', '.join(close)}? " if close else "")
                + "See the resources with `3cx --help`.",
            )
    hits = (
        cat.search(*words, resource=tag) if words else (cat.by_resource(tag) if tag else list(cat))
    )
    if not hits:
        print(
            f"3cx: no action matches {' '.join(words)!r}"
            + (f" in {tag}" if tag else "")
            + "; try fewer or other words.",
            file=sys.stderr,
        )
        return
    rows = [(f"{a.resource_cli_name} {a.cli_name}", summary_line(a)) for a in hits]
    width = min(max(len(r[0]) for r in rows), 60)
    out = [f"{cmd:<{width}}  {text}" for cmd, text in rows]
    click.echo("\n".join(out))
    if sys.stdout.isatty():
        click.echo(
            f"\n{len(rows)} action{'s' if len(rows) != 1 else ''} (XAPI {cat.release}); "
            "details: 3cx actions show ACTION"
        )


def show_action(ctx: click.Context, name: str, markdown: bool) -> None:
    cat = release_of(ctx)
    action = cat.require(name.replace(" ", "-"))
    click.echo(render_markdown(action, cat) if markdown else render_text(action, cat), nl=False)
