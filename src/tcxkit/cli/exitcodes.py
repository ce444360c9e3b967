"""The command line's exit statuses: one table, read by the CLI, its docs and its tests.

Exit codes are how ``3cx`` words an error for a shell script, so they live with the CLI,
not in the core's error hierarchy (the core states facts, :attr:`tcxkit.errors.TcxError.facts`).
A status is chosen by the error's class, the nearest listed class in its hierarchy winning;
a command's own error class may set ``exit_code`` itself (``3cx state plan`` reserves 2 for
"changes" and gives its usage errors 3).
"""

from __future__ import annotations

from .. import errors as e

__all__ = ["EXIT_CODES", "HEALTH_EXIT_CODES", "code_for", "exit_code_of", "health_exit_code"]

EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error (run again with --debug and report it)",
    2: "usage error: bad option, malformed JSON, unknown action, release mismatch",
    3: "validation error: the request does not fit the action; nothing was sent",
    4: "cannot connect: DNS, TCP, TLS or timeout",
    5: "authentication failed: wrong client id or API key, or token refused",
    6: "permission denied (403): role too low or IP not allowed",
    7: "not found (404), or `3cx actions WORDS` found no action",
    8: "the PBX refused the request (other 4xx)",
    9: "server error (5xx)",
    10: "partial failure: some items failed in items mode, or some PBXs of a --fleet run",
    11: "a write may have been applied: the connection broke after it was sent; check, then retry",
    12: "not an API answer: an HTML page or a JSON error where JSON or a file was due "
    "(wrong URL or port, login page, captive portal, proxy), or a download that went past "
    "the size the PBX listed for it (stopped there, nothing kept)",
    13: "an export could not be proven complete: the PBX's count and its rows differ, or a "
    "window could not be read (resume with --resume once fixed)",
    130: "interrupted (Ctrl-C)",
}

#: ``3cx health``'s own statuses: the worst check decides (an unreadable check counts as
#: a warning); a PBX that could not be read at all makes it 10 (or, when every PBX failed
#: alike, that failure's code from :data:`EXIT_CODES`, e.g. 4 when none is reachable).
HEALTH_EXIT_CODES: dict[int, str] = {
    0: "healthy: every check passed",
    1: "warnings: some check warned or could not read what it needs (none failed)",
    2: "failures: some check failed",
    10: "partial fleet failure: some PBX could not be checked (its error row says why)",
}

_HEALTH_BY_STATUS = {"pass": 0, "warn": 1, "unknown": 1, "fail": 2}


def health_exit_code(worst_status: str) -> int:
    """The exit status of a health run whose every PBX answered."""
    return _HEALTH_BY_STATUS[worst_status]


#: The status of each error class; a class not listed takes its nearest listed base's.
_BY_CLASS: dict[type[BaseException], int] = {
    e.TcxError: 1,
    e.UsageError: 2,
    e.ValidationError: 3,
    e.StateFileError: 3,
    e.TransportError: 4,
    e.AuthenticationError: 5,
    e.PermissionDeniedError: 6,
    e.NotFoundError: 7,
    e.NoMatchError: 7,
    e.ApiError: 8,
    e.ServerError: 9,
    e.PartialFailure: 10,
    e.UncertainWriteError: 11,
    e.UnexpectedContentError: 12,
    e.DownloadTooLarge: 12,
    e.IncompleteExportError: 13,
}


def _own(exc: BaseException) -> int | None:
    """A status set by a class or an instance outside the core (a command's own rule)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == e.__name__:
            break
        if "exit_code" in vars(cls):
            return int(vars(cls)["exit_code"])
    own = vars(exc).get("exit_code") if hasattr(exc, "__dict__") else None
    return own if isinstance(own, int) else None


def exit_code_of(exc: BaseException) -> int:
    """The exit status for ``exc`` (1 for anything that is not a tcxkit error).

    A fleet in which every PBX failed for the same kind of reason exits with that reason's
    status (all unreachable: 4), so a script can tell "the fleet is down" from "one PBX is".
    """
    own = _own(exc)
    if own is not None:
        return own
    if isinstance(exc, e.FleetFailure):
        codes = {exit_code_of(r.error) for r in exc.failures}
        if len(exc.failures) == exc.total and len(codes) == 1:
            return codes.pop()
    return code_for(type(exc))


def code_for(error_class: type[BaseException]) -> int:
    """The exit status of an error class (its nearest listed base's; 1 when none is)."""
    for cls in error_class.__mro__:
        if cls in _BY_CLASS:
            return _BY_CLASS[cls]
    return 1
