"""Click plumbing shared by the command modules (backup, recording, state, events, app).

Why one module: the same context settings, ``-o`` option, printer and ranged options
were written again in each command module; kept here, a help text or default changes
in one place and every command shows it alike.  Imports stay light (click only): the
renderer loads inside :func:`printer`, so ``3cx --help`` does not pay for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from .globalopts import OUTPUT_FORMATS

if TYPE_CHECKING:
    from ..storage import Storage

__all__ = [
    "CONTEXT",
    "OUTPUT_OPTION",
    "address_option",
    "env_secret",
    "opened_store",
    "printer",
    "progress",
    "ranged_option",
    "receiver_url",
]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
#: ``-o/--output`` on a command that prints rows (the global -o is the fallback).
OUTPUT_OPTION = click.option(
    "-o", "--output", type=click.Choice(OUTPUT_FORMATS), help="Output format."
)


def printer(ctx: click.Context, fmt: str | None) -> Any:
    """The CLI renderer for ``fmt``, else the run's settled output format, else json."""
    from .output import Printer
    from .settings import settle

    opts = settle(ctx.find_root().obj)
    return Printer(fmt=fmt or opts.output or "json")


def progress(pbx: str, message: str) -> None:
    """One progress line on stderr (stdout stays the command's data)."""
    print(f"3cx: {pbx}: {message}", file=sys.stderr, flush=True)


def ranged_option(
    flag: str, kind: click.ParamType, default: float, metavar: str | None, help: str
) -> Callable[[Any], Any]:
    """A bounded number option whose default is shown in the help."""
    return click.option(
        flag, type=kind, default=default, show_default=True, metavar=metavar, help=help
    )


def wait_option(flag: str, default: float, help: str) -> Callable[[Any], Any]:
    """A ``SECONDS`` wait of a command that waits on a PBX (1 s to a day)."""
    return ranged_option(flag, click.FloatRange(1, 24 * 3600), default, "SECONDS", help)


def address_option(flag: str, help: str, default: str | None = None) -> Callable[[Any], Any]:
    """A ``[HOST:]PORT`` option of a server command (its default shown when it has one)."""
    return click.option(
        flag, metavar="[HOST:]PORT", default=default, show_default=default is not None, help=help
    )


@contextmanager
def opened_store(target: str) -> Iterator[Storage]:
    """The store ``target`` names, closed however the command's work on it ends."""
    from ..storage import open_storage

    store = open_storage(target)
    try:
        yield store
    finally:
        store.close()


def env_secret(flag: str, var: str | None) -> str | None:
    """A signing secret named by ``--...-secret-env VAR`` (never given on a command line)."""
    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        from ..errors import UsageError

        raise UsageError(
            f"{flag} {var}: the environment variable {var} is not set or empty.",
            hint=f"export {var}=whsec_... (the receiver's signing secret) and run again.",
        )
    return value


def receiver_url(flag: str, url: str | None, env_flag: str, var: str | None) -> str | None:
    """A webhook receiver given as ``flag URL`` or ``env_flag VAR`` (at most one; the
    variable keeps a URL that holds a token, as chat webhooks' do, off the command line)."""
    from ..errors import UsageError

    if url is not None and var is not None:
        raise UsageError(
            f"Give the receiver as {flag} URL or {env_flag} VAR, not both.",
            hint=f"{env_flag} keeps a URL that holds a token (chat webhooks) off the command line.",
        )
    if var is None:
        return url
    value = os.environ.get(var)
    if not value:
        raise UsageError(f"{env_flag} {var}: the environment variable is not set or empty.")
    return value
