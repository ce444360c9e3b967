"""The audit log: one JSON line per change the MCP server sent, or any call it refused.

Each line answers who, what and where: the time; the PBX (URL, and the profile the
server was started with, or how it was configured); the MCP client (name and version
from its ``initialize``) and session; the action and its effect; the arguments and the
result with secrets masked (:func:`tcxkit.redaction.redact`); and the outcome (``ok``,
``error`` or ``refused``).  A refused call is logged too, so the file shows what a model
attempted, not only what happened.

The file is private: created 0600 (its folder 0700), and an existing one that others may
read or write stops the server with the ``chmod`` to run.  It is opened for each line,
so ``logrotate``'s move-and-create works; shipping it to syslog or a SIEM is described
in docs/mcp.md ("Audit log").
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..private_files import check_private, open_private
from ..redaction import redact

if TYPE_CHECKING:
    from ..catalog.model import Action

__all__ = ["AuditLog", "Caller", "Where"]

#: Longest result kept per line; the PBX's answer to a write is usually small.
_MAX_RESULT_CHARS = 2000


@dataclass(frozen=True)
class Caller:
    """Who sent a tool call: the MCP client's own name and version, its session and (over
    HTTP) its address."""

    client: str | None = None
    version: str | None = None
    session: str | None = None
    peer: str | None = None


@dataclass(frozen=True)
class Where:
    """The PBX the server talks to, and the profile (or other source) that named it."""

    url: str
    profile: str | None
    source: str


class AuditLog:
    def __init__(self, path: Path, where: Where) -> None:
        self.path = path
        self.where = where
        self._lock = threading.Lock()

    def check(self) -> None:
        """At start: create the folder (0700) and refuse a file others may read or write."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        check_private(self.path, "audit log", secret=True, why="it records what models did")

    def record(
        self,
        action: Action,
        args: dict[str, Any],
        caller: Caller,
        *,
        outcome: str,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        """Append one line; ``outcome`` is ``ok``, ``error`` or ``refused``."""
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "pbx": self.where.url,
            "profile": self.where.profile,
            "source": self.where.source,
            "client": caller.client,
            "client_version": caller.version,
            "session": caller.session,
            "peer": caller.peer,
            "action": action.id,
            "effect": action.effect,
            "args": redact(args),
            "outcome": outcome,
        }
        if result is not None:
            text = json.dumps(redact(result, action.id), default=str, ensure_ascii=False)
            entry["result"] = (
                text if len(text) <= _MAX_RESULT_CHARS else text[:_MAX_RESULT_CHARS] + "..."
            )
        if error is not None:
            entry["error"] = error
        line = (json.dumps(entry, default=str, ensure_ascii=False) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with open_private(self.path, "ab", what="audit log") as fh:
                fh.write(line)
