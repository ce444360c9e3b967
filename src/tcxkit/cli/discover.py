"""``3cx actions``: find actions and read their pages, from the catalog alone."""

from __future__ import annotations

import sys

import click

from ..catalog import Catalog
from ..catalog.model import Action
from ..catalog.render import render_markdown, render_text, summary_line
from ..errors import NoMatchError, UsageError
from .release import release_of

__all__ = ["did_you_mean", "list_actions", "resolve_action", "show_action"]


def list_actions(
    ctx: click.Context,
    resource: str | None,
    words: tuple[str, ...],
    *,
    limit: int = 10,
    why: bool = False,
) -> None:
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
    reasons: dict[str, tuple[str, ...]] = {}
    if words:
        from ..catalog.search import index_for

        index = index_for(cat)
        answer = index.query(words, resource=tag, limit=limit or None)
        if not answer.hits:
            raise NoMatchError(
                f"No action matches {' '.join(words)!r}"
                + (f" in {tag}" if tag else "")
                + f" (XAPI {cat.release}).",
                hint=did_you_mean(index.suggest(words), cat),
            )
        hits = [h.action for h in answer.hits]
        reasons = {h.action.id: h.why for h in answer.hits}
        for lit in answer.literals:  # values in the query: where they likely go
            click.echo(f"note: {lit.hint}", err=True)
    else:
        hits = cat.by_resource(tag) if tag else list(cat)
    rows = [(f"{a.resource_cli_name} {a.cli_name}", summary_line(a)) for a in hits]
    width = min(max(len(r[0]) for r in rows), 60)
    out = []
    for a, (cmd, text) in zip(hits, rows, strict=True):
        out.append(f"{cmd:<{width}}  {text}")
        if why and reasons.get(a.id):
            out.append(f"{'':<{width}}    matched: {'; '.join(reasons[a.id])}")
    click.echo("\n".join(out))
    if sys.stdout.isatty():
        click.echo(
            f"\n{len(rows)} action{'s' if len(rows) != 1 else ''} (XAPI {cat.release}); "
            "details: 3cx actions show ACTION"
        )


def did_you_mean(suggestions: list[str], cat: Catalog) -> str:
    """``Did you mean: 3cx actions peer number, 3cx peers get-peer-by-number?`` plus a way on."""
    shown = []
    for s in suggestions:
        action = cat.get(s) if s[:1].isupper() else None
        shown.append(
            f"3cx {action.resource_cli_name} {action.cli_name}" if action else f"3cx actions {s}"
        )
    tail = "Try fewer or other words; `3cx actions` lists every action."
    return f"Did you mean: {', '.join(shown)}? {tail}" if shown else tail


def resolve_action(cat: Catalog, resource: str | None, name: str) -> Action:
    """An action as the command line names it: ``ListUser``, ``list-user``, or within a
    resource also its short verb (``users list``), as ``3cx users list`` resolves it.

    An unknown name raises :class:`~tcxkit.errors.UnknownActionError` with the
    search's suggestions (within the resource first).
    """
    if resource is not None:
        from ..errors import UnknownActionError
        from .verbs import short_verbs

        tag = cat.resource_name(resource)
        found = cat.get(name)
        if tag is not None and (found is None or found.resource != tag):
            verb = short_verbs(cat, tag).get(name)
            found = cat.get(verb) if verb else None
            if found is None:
                from ..catalog.search import search_actions

                close = [a.id for a in search_actions(name, cat, resource=tag, limit=5)]
                raise UnknownActionError(
                    f"{resource} {name}", close or cat.suggest(name), cat.release
                )
        if found is not None:
            return found
    return cat.require(name)


def show_action(ctx: click.Context, words: tuple[str, ...], markdown: bool) -> None:
    """``3cx actions show ACTION`` or ``3cx actions show RESOURCE ACTION`` (as typed)."""
    cat = release_of(ctx)
    if len(words) == 2 and cat.resource_name(words[0]) is not None:
        action = resolve_action(cat, words[0], words[1])
    elif len(words) == 1:
        action = resolve_action(cat, None, words[0].replace(" ", "-"))
    else:
        got = f"got {len(words)}: {' '.join(words)}" if words else "got none"
        raise click.UsageError(
            f"`3cx actions show` takes one ACTION ({got}), e.g. `3cx actions show ListUser` "
            "or `3cx actions show users list`; find names with `3cx actions search WORDS...`.",
            ctx,
        )
    click.echo(render_markdown(action, cat) if markdown else render_text(action, cat), nl=False)
