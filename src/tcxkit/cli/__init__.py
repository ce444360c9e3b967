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

    from .app import cli
    from .runopts import Options

    args = list(sys.argv[1:] if argv is None else argv)
    # This run's state: click hands it to the root command as ctx.obj, which fills it in;
    # a new one per run, so main() may run many times in one process (tests, programs
    # that embed the command line) with nothing left over from the previous run.
    state = Options(debug=os.environ.get("TCX_DEBUG") not in (None, "", "0"))
    try:
        code = _run(cli, args, state)
    finally:
        _end_run()
    sys.exit(code if isinstance(code, int) else 0)


def _run(cli: click.Command, args: list[str], state: Any) -> Any:
    """Run the click app; every failure becomes a message on stderr and an exit code."""
    import click

    from .errors import report

    try:
        code = cli.main(args=args, prog_name="3cx", standalone_mode=False, obj=state)
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
        code = report(exc, debug=state.debug)
    return code


def _end_run() -> None:
    """Undo what a run set process-wide (the HTTP log handler on its stderr)."""
    connect = sys.modules.get(f"{__name__}.connect")
    if connect is not None:  # only a run that connected can have enabled HTTP logging
        connect.disable_debug_logging()
