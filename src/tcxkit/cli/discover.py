"""``3cx actions``: find actions and read their pages, from the catalog alone."""

from __future__ import annotations

import sys

import click

from ..catalog import Catalog
from ..catalog.render import render_markdown, render_text, summary_line
from ..errors import NoMatchError, UsageError
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
    if words:
        from ..catalog.search import index_for

        index = index_for(cat)
        hits = [h.action for h in index.search(words, resource=tag)]
        if not hits:
            raise NoMatchError(
                f"No action matches {' '.join(words)!r}"
                + (f" in {tag}" if tag else "")
                + f" (XAPI {cat.release}).",
                hint=_did_you_mean(index.suggest(words), cat),
            )
    else:
        hits = cat.by_resource(tag) if tag else list(cat)
    rows = [(f"{a.resource_cli_name} {a.cli_name}", summary_line(a)) for a in hits]
    width = min(max(len(r[0]) for r in rows), 60)
    out = [f"{cmd:<{width}}  {text}" for cmd, text in rows]
    click.echo("\n".join(out))
    if sys.stdout.isatty():
        click.echo(
            f"\n{len(rows)} action{'s' if len(rows) != 1 else ''} (XAPI {cat.release}); "
            "details: 3cx actions show ACTION"
        )


def _did_you_mean(suggestions: list[str], cat: Catalog) -> str:
    """``Did you mean: 3cx actions peer number, peers get-peer-by-number?`` plus a way on."""
    shown = []
    for s in suggestions:
        action = cat.get(s) if s[:1].isupper() else None
        shown.append(
            f"3cx {action.resource_cli_name} {action.cli_name}" if action else f"3cx actions {s}"
        )
    tail = "Try fewer or other words; `3cx actions` lists every action."
    return f"Did you mean: {', '.join(shown)}? {tail}" if shown else tail


def show_action(ctx: click.Context, name: str, markdown: bool) -> None:
    cat = release_of(ctx)
    action = cat.require(name.replace(" ", "-"))
    click.echo(render_markdown(action, cat) if markdown else render_text(action, cat), nl=False)
