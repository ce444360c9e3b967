"""Safe writes on a live phone system: ``--dry-run`` and confirmation of deletes.

``--dry-run`` prints the exact request each call would send -- method, full
URL with the encoded query, extra headers, JSON body -- built by the same
:func:`tcxkit.pipeline.prepare` the client uses, so what is shown is what
would go out.  Nothing is sent: no token request either.  Secret fields of
the body are masked (:mod:`tcxkit.redaction`), even with ``--show-secrets``:
a dry run is often pasted into a ticket.

Actions whose effect (:attr:`tcxkit.catalog.Action.effect`) is ``delete`` or
``destructive`` -- ``DeleteUser``, ``BulkNumbersDelete``, ``PurgeCalls``,
``Restore``, ``RestartOperatingSystem`` -- ask on a terminal before anything is
sent, naming the action, its arguments (or the number of items) and the PBX;
without a terminal they need ``--yes`` and otherwise stop with exit 2.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..redaction import redact

if TYPE_CHECKING:
    from ..catalog import Action, Catalog
    from .output import Printer

__all__ = ["DRY_RUN_HELP", "YES_HELP", "asks_first", "confirm", "confirm_delete", "print_dry_run"]

DRY_RUN_HELP = "Print the request(s) that would be sent (secrets masked) and send nothing."
YES_HELP = "Go ahead without asking (required when there is no terminal to ask on)."

#: What the question says an action does, by effect; the effects not named never ask.
_CONSEQUENCE = {
    "delete": "deletes data",
    "destructive": "is destructive (irreversible or service-affecting)",
}


def asks_first(action: Action) -> bool:
    """Whether ``action`` asks for confirmation: its effect is delete or destructive."""
    return action.effect in _CONSEQUENCE


def print_dry_run(
    printer: Printer, action: Action, cat: Catalog, base_url: str, calls: list[dict[str, Any]]
) -> None:
    """One request object per call (JSONL for several), then a note on stderr."""
    from ..pipeline import prepare

    requests = []
    for kwargs in calls:
        prepared = prepare(action, kwargs, cat)  # a bad request fails here as it would live
        req: dict[str, Any] = {"method": prepared.method, "url": base_url + prepared.target}
        if prepared.headers:
            req["headers"] = dict(prepared.headers)
        if prepared.has_body:
            req["body"] = prepared.json
        requests.append(redact(req))
    if len(calls) == 1 and printer.fmt != "jsonl":
        printer.result(requests[0])
    else:
        printer.rows(requests)
    n = len(requests)
    print(
        f"3cx: dry run: {n} request{'s' if n != 1 else ''} shown, nothing was sent.",
        file=sys.stderr,
    )


def _target(action: Action, kwargs: dict[str, Any], count: int | None) -> str:
    if count is not None:
        return f"{action.id} for {count} item{'s' if count != 1 else ''}"
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items() if not isinstance(v, dict | list))
    return f"{action.id}({args})" if args else action.id


#: How to see a request before sending it, where ``--dry-run`` applies.
DRY_RUN_FIRST = "or --dry-run to see the request first"


def confirm_delete(
    action: Action,
    kwargs: dict[str, Any],
    where: str,
    *,
    count: int | None,
    yes: bool,
    preview: str = DRY_RUN_FIRST,
) -> None:
    """Ask before a delete or destructive action (or require ``--yes`` without a terminal);
    stop if not confirmed.  ``preview`` is the hint's way to see the request first (a
    fleet names one that works there)."""
    if yes or not asks_first(action):
        return
    what = _CONSEQUENCE[action.effect]
    confirm(f"{_target(action, kwargs, count)} {what} on {where}", yes=False, preview=preview)


def confirm(what: str, *, yes: bool, preview: str = DRY_RUN_FIRST) -> None:
    """Ask "WHAT. Go ahead?" on a terminal; without one, stop unless ``yes``."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"{what}; not confirmed, nothing was sent.",
            hint=f"Add --yes to confirm (there is no terminal to ask on), {preview}.",
        )
    if not click.confirm(f"3cx: {what}. Go ahead?", err=True):
        print("3cx: not confirmed; nothing was sent.", file=sys.stderr)
        raise click.exceptions.Exit(1)
