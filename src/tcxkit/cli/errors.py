"""Turn any failure into one paragraph on stderr and a documented exit code.

Users of a command line tool see the *what*, the *why* and the *next step*;
tracebacks are for ``--debug``.  The exit codes come from
:mod:`tcxkit.cli.exitcodes`, the one table the docs and tests also read.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ..errors import (
    ApiError,
    RequestTimeout,
    TcxError,
    TLSError,
    TransportError,
    UncertainWriteError,
)
from .exitcodes import exit_code_of

__all__ = [
    "check_command",
    "cli_hint",
    "error_fields",
    "render_error",
    "render_unexpected",
    "report",
]

_TLS_HINT = (
    "If the PBX uses a private CA, pass --ca-bundle PATH (or TCX_CA_BUNDLE); "
    "to skip verification for a test box only, pass --insecure."
)
PLAIN_HTTP_HINT = (
    "That port speaks plain HTTP: use http:// instead of https:// (with --allow-http unless "
    "the PBX is this machine), or the PBX's HTTPS port (self-hosted 5001, hosted 443)."
)
_CONNECT_HINT = (
    "Check the URL and port (self-hosted PBXs listen on 5001, hosted ones on 443) "
    "and run `3cx doctor`; a private CA needs --ca-bundle PATH, a test box --insecure."
)


def render_error(exc: TcxError) -> str:
    """``3cx: <title>: <message>`` then the hint, as one paragraph."""
    message = exc.message.rstrip()
    lines = [f"3cx: {exc.title}: {message}"]
    if isinstance(exc, ApiError):
        if str(exc.status) not in message:
            lines.append(f"  (HTTP {exc.status} from {exc.method} {exc.url})")
        for d in exc.details:
            target = d.get("target") or ""
            text = d.get("message") or d.get("code") or ""
            if text and text not in message:
                lines.append(f"  - {target + ': ' if target else ''}{text}")
    hint = cli_hint(exc)
    if hint:
        lines.append(f"Hint: {hint}")
    return "\n".join(lines)


def cli_hint(exc: TcxError) -> str:
    """One hint, in the command line's words.

    The library's transport errors carry hints for Python callers
    (``verify='ca.pem'``); on the command line the same advice names the
    flags instead, and replaces the library's wording rather than following
    it, so the user reads one hint, not two.  A timeout keeps its own hint
    (raise --timeout), which already names the flag.
    """
    if isinstance(exc, UncertainWriteError):
        return (
            f"Check on the PBX before running the command again: {check_command(exc)} "
            "Run it again only if the change is not there."
        )
    if isinstance(exc, TLSError):
        return PLAIN_HTTP_HINT if exc.plain_http else _TLS_HINT
    if isinstance(exc, TransportError) and not isinstance(exc, RequestTimeout):
        return _CONNECT_HINT
    return exc.hint or ""


def error_fields(exc: BaseException) -> dict[str, Any]:
    """An error as the fields of an output row (items mode, a fleet's failed PBX): what
    happened, the command line's hint (not the library's), and the exit code."""
    if isinstance(exc, TcxError):
        fields = exc.to_dict()
        hint = cli_hint(exc)
        if hint:
            fields["hint"] = hint
    else:
        fields = {"type": type(exc).__name__, "message": str(exc)}
    fields["exit_code"] = exit_code_of(exc)
    return fields


def check_command(exc: UncertainWriteError) -> str:
    """The ``3cx`` command that shows whether an uncertain write took effect, as a sentence.

    Found from the action's resource and its short verbs (``3cx users list``/``get``);
    a resource without them gets the generic ``3cx call`` form.
    """
    import re

    from ..catalog import catalog
    from .verbs import short_verbs

    cat = catalog()
    action = cat.get(exc.action) if exc.action else None
    if action is None:
        return "read the object back with the matching `3cx RESOURCE list` or `get` command."
    verbs = short_verbs(cat, action.resource)
    res = action.resource_cli_name
    key = re.search(r"\(([^()]*)\)(?:\?|$)", exc.url)
    if exc.method == "POST" and verbs.get("create") == action.id and "list" in verbs:
        prop = _identifying_property(cat, action)
        if prop is None:
            return (
                f"look for what it created with `3cx {res} list --filter ...` on a field you set."
            )
        return (
            f"look for what it created, e.g. `3cx {res} list --filter \"{prop} eq '...'\"` "
            f"with the {prop} you sent."
        )
    getter = cat.get(verbs["get"]) if "get" in verbs else None
    if key and exc.method in ("PATCH", "DELETE") and getter is not None and getter.params:
        from urllib.parse import unquote

        value = unquote(key.group(1)).strip("'").replace("''", "'")
        option = f"--{getter.params[0].cli_name} {_shell_word(value)}"
        gone = " (a deleted one answers not found, exit 7)" if exc.method == "DELETE" else ""
        return f"get it with `3cx {res} get {option}` and compare{gone}."
    if "list" in verbs:
        return f"see whether it took effect with `3cx {res} list`."
    return f"see whether {action.id} took effect with the `3cx {res}` commands that read."


_IDENTIFYING = ("Number", "Name", "DisplayName", "CallerId", "Email", "LastName")


def _identifying_property(cat: Any, action: Any) -> str | None:
    """The property a created object is best found by (a DN's Number, else its Name...)."""
    if action.body is None:
        return None
    index = cat.schema_index
    props = index.declared_properties(index.unwrap(action.body.schema)) or {}
    return next((p for p in _IDENTIFYING if p in props), None)


def _shell_word(text: str) -> str:
    import shlex

    return shlex.quote(text)


def render_unexpected(exc: BaseException) -> str:
    return (
        f"3cx: unexpected error: {type(exc).__name__}: {exc}\n"
        "Hint: run the command again with --debug for the traceback, and report it."
    )


def report(exc: BaseException, stream: TextIO | None = None, *, debug: bool = False) -> int:
    """Print ``exc`` the user's way and return the exit code to use.

    ``debug`` (the run's ``--debug``/TCX_DEBUG, from its Options) adds the traceback.
    """
    stream = stream or sys.stderr
    if debug:
        import traceback

        traceback.print_exception(exc, file=stream)
    if isinstance(exc, TcxError):
        print(render_error(exc), file=stream)
        return exit_code_of(exc)
    if not debug:
        print(render_unexpected(exc), file=stream)
    return 1
