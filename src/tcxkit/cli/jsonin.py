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


def load_json_text(text: str, where: str) -> Any:
    """Parse ``text``; on error say where (``where`` names the option or file)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line = text.splitlines()[exc.lineno - 1] if text.splitlines() else ""
        pointer = f"\n    {line}\n    {' ' * (exc.colno - 1)}^" if len(line) <= 160 else ""
        raise MalformedJSON(
            f"{where}: {exc.msg} at line {exc.lineno}, column {exc.colno}.{pointer}",
            hint="Quote the JSON for your shell (single quotes in bash), or put it in a file "
            "and pass @FILE.",
        ) from None


def read_json_option(value: str, option: str) -> Any:
    """Resolve ``@file``/``-``/literal for ``option`` and parse it."""
    if value == "-":
        return load_json_text(sys.stdin.read(), f"{option} (stdin)")
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"{option}: cannot read {str(path)!r}: {exc.strerror or exc}.",
                hint="Pass @PATH to an existing JSON file, - for stdin, or a JSON literal.",
            ) from None
        return load_json_text(text, f"{option} (file {path})")
    return load_json_text(value, option)
