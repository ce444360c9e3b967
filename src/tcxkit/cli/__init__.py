"""The ``3cx`` command line (``python -m tcxkit`` too).

:func:`main` runs the click app and turns every failure into one paragraph on
stderr and the exit code documented in docs/cli.md; tracebacks only with
``--debug``.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click

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

    from ..config import env_bool
    from ..errors import TcxError
    from .app import cli
    from .errors import DEBUG, report
    from .globalopts import prescan_release

    args = list(sys.argv[1:] if argv is None else argv)
    prescan_release(args)
    # Set for this run, not left on from a previous one: main() may run many
    # times in one process (tests, programs that embed the command line).
    try:
        try:
            DEBUG["on"] = "--debug" in args or env_bool("TCX_DEBUG")
        except TcxError as exc:  # an unparseable TCX_DEBUG: its message and exit code
            code = report(exc)
        else:
            code = _run(cli, args)
    finally:
        _end_run()
    sys.exit(code if isinstance(code, int) else 0)


def _run(cli: click.Command, args: list[str]) -> Any:
    """Run the click app; every failure becomes a message on stderr and an exit code."""
    import click

    from .errors import report

    try:
        code = cli.main(args=args, prog_name="3cx", standalone_mode=False)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (and EOF at a prompt) into Abort; keep the
        # conventional 130 for an interrupt so scripts can tell it apart.
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            print("3cx: interrupted.", file=sys.stderr)
            code = 130
        else:
            print("3cx: aborted.", file=sys.stderr)
            code = 1
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except KeyboardInterrupt:
        print("3cx: interrupted.", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except Exception as exc:
        code = report(exc)
    return code


def _end_run() -> None:
    """Undo what a run set process-wide (debug mode, the HTTP log handler on its stderr)."""
    from .errors import DEBUG

    DEBUG["on"] = False
    connect = sys.modules.get(f"{__name__}.connect")
    if connect is not None:  # only a run that connected can have enabled HTTP logging
        connect.disable_debug_logging()
