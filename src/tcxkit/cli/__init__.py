"""The ``3cx`` command line (``python -m tcxkit`` too).

:func:`main` runs the click app, whose root group (:mod:`tcxkit.cli.app`) turns
every failure into one paragraph on stderr and the exit code documented in
docs/cli.md; tracebacks only with ``--debug``.
"""

from __future__ import annotations

import gc
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``3cx`` console script."""
    try:
        import click  # noqa: F401  (only: is the cli extra installed?)
    except ImportError:  # the script comes with the library; its extra may not
        print(
            "3cx: the command line needs the cli extra: pip install 'tcxkit[cli]'",
            file=sys.stderr,
        )
        sys.exit(2)

    from .app import cli

    # The console script is its own process: what is imported by now lives until exit,
    # and freezing it keeps every cyclic collection from rescanning it (a fleet run makes
    # many short-lived objects per PBX). Not done for in-process callers (CliRunner, an
    # embedding program), whose heap is theirs to manage.
    gc.freeze()
    # The root group's main maps every failure to a message and an exit code, so the
    # console script, `python -m tcxkit` and click's CliRunner (the tests) run alike.
    cli.main(args=argv, prog_name="3cx")
