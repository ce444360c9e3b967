"""One plain line per action: what it does, in the words an admin would use.

The spec's summary of 324 of the 601 actions of 20.0.10 says only "Invoke action
X" or "Invoke function X", and of 78 more only "Get AISettings" or the like.  Their descriptions are written once, by hand, in
``descriptions.json`` (keyed by operationId, so they serve every release that
has the action) and read from here by the listings, the action pages, ``--help``
and the search.  Actions with a meaningful spec summary keep it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Action

__all__ = ["describe", "descriptions", "is_generic"]

_FILE = Path(__file__).with_name("descriptions.json")

#: Summaries that say nothing beyond the operation's name: "Invoke action X",
#: and a bare verb on a singleton ("Get AISettings", "Update MyUser").
_GENERIC = re.compile(
    r"^\s*(Invoke (action|function|actionImport|functionImport)\b|(Get|Update) \w+\s*$)", re.I
)


@cache
def descriptions() -> dict[str, str]:
    """``{operationId: one line}`` from ``descriptions.json`` (loaded once)."""
    data = json.loads(_FILE.read_text(encoding="utf-8"))
    return dict(data["descriptions"])


def is_generic(text: str) -> bool:
    """True for an empty summary or one of the spec's "Invoke action X" placeholders."""
    return not text.strip() or bool(_GENERIC.match(text))


def describe(action: Action) -> str:
    """The action's one line, without a final full stop.

    The hand-written line when there is one, else the spec's summary (or
    description), else the method and path.
    """
    written = descriptions().get(action.id)
    if written:
        return written
    lines = (action.summary or action.description or "").strip().splitlines()
    if lines and lines[0].strip():
        return lines[0].strip().rstrip(".")
    return f"{action.method} {action.path}"
