"""JSON values from the command line: a literal, ``@file`` or ``-`` for stdin.

A typo in a JSON option must not end in a Python traceback or a confusing
server error: it stops before anything is sent, naming the option, the line
and the column (exit 2).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError

__all__ = ["MalformedJSON", "load_json_text", "read_json_option"]


class MalformedJSON(UsageError):
    """A JSON option or items file that does not parse."""

    title = "malformed JSON"


_LITERAL_HINT = (
    "Quote the JSON for your shell (single quotes in bash), or put it in a file and pass @FILE."
)


def load_json_text(text: str, where: str, hint: str = _LITERAL_HINT) -> Any:
    """Parse ``text``; on error say where (``where`` names the option or file).

    The offending line is quoted with a caret under the column, so a typo in a
    200-line body file is found without counting characters.  An error at the
    very end (a missing closing bracket) points past the last line.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else ""
        pointer = ""
        if line and len(line) <= 160:
            pointer = f"\n    {line}\n    {' ' * (exc.colno - 1)}^"
        elif exc.pos >= len(text.rstrip()):
            pointer = "\n    (the text ends before the JSON value is complete)"
        raise MalformedJSON(
            f"{where}: {exc.msg} at line {exc.lineno}, column {exc.colno}.{pointer}",
            hint=hint,
        ) from None


def read_json_option(value: str, option: str) -> Any:
    """Resolve ``@file``/``-``/literal for ``option`` and parse it."""
    if value == "-":
        return load_json_text(
            sys.stdin.read(), f"{option} (stdin)", hint="Fix the JSON piped to stdin."
        )
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"{option}: cannot read {str(path)!r}: {exc.strerror or exc}.",
                hint="Pass @PATH to an existing JSON file, - for stdin, or a JSON literal.",
            ) from None
        return load_json_text(
            text,
            f"{option} (file {path})",
            hint=f"Fix the JSON in {path} at the line and column shown.",
        )
    return load_json_text(value, option)
