"""Where each default comes from: flag > environment > config.toml > built-in.

The root command leaves ``timeout``, ``output`` and ``profile`` unset when no
flag gives them; :func:`settle` fills them once per run, so the order is
written in one place (and documented in docs/cli.md, "Defaults").  Every face
settles the same way; the CLI also passes the output formats it knows.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigurationError, UsageError
from .options import Options
from .settings import env_text

__all__ = ["BUILTIN_TIMEOUT", "settle"]

BUILTIN_TIMEOUT = 30.0


def _timeout(text: object, where: str) -> float:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = -1.0
    if value < 0.1:
        error = UsageError if where.startswith("TCX_") else ConfigurationError
        raise error(
            f"{where}: timeout {text!r} is not a number of seconds >= 0.1.",
            hint="Example: 30 (seconds).",
        )
    return value


def _output(text: object, where: str, formats: Sequence[str]) -> str:
    if formats and text not in formats:
        error = UsageError if where.startswith("TCX_") else ConfigurationError
        raise error(
            f"{where}: output {text!r} is not one of {', '.join(formats)}.",
            hint="Fix or remove the setting.",
        )
    return str(text)


def settle(opts: Options, output_formats: Sequence[str] = ()) -> Options:
    """Fill unset options from TCX_* variables, then ``[defaults]`` in config.toml.

    ``output_formats`` (the CLI's) checks an output set by the environment or the
    file; a face without output formats passes none.
    """
    if opts.settled:
        return opts
    from .profiles import _config_path, load_config

    env = {k: env_text(k) for k in ("TCX_PROFILE", "TCX_OUTPUT", "TCX_TIMEOUT")}
    needs_config = (
        (opts.profile is None and env["TCX_PROFILE"] is None)
        or (opts.output is None and env["TCX_OUTPUT"] is None)
        or (opts.timeout is None and env["TCX_TIMEOUT"] is None)
    )
    defaults = load_config().defaults if needs_config else {}
    where = f"{_config_path()} [defaults]"
    if opts.profile is None:
        opts.profile = env["TCX_PROFILE"] or defaults.get("profile")
    if opts.output is None:
        if env["TCX_OUTPUT"]:
            opts.output = _output(env["TCX_OUTPUT"], "TCX_OUTPUT", output_formats)
        elif "output" in defaults:
            opts.output = _output(defaults["output"], where, output_formats)
    if opts.timeout is None:
        if env["TCX_TIMEOUT"]:
            opts.timeout = _timeout(env["TCX_TIMEOUT"], "TCX_TIMEOUT")
        elif "timeout" in defaults:
            opts.timeout = _timeout(defaults["timeout"], where)
        else:
            opts.timeout = BUILTIN_TIMEOUT
    opts.settled = True
    return opts
