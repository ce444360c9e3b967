"""The audit log: one JSON line per write the MCP server sends (or tried to send).

Each line has the time, the action, its arguments with secrets masked
(:func:`tcxkit.redaction.redact`, the same masking as CLI output), and either
the result (also masked, shortened) or the error.  A refused write is logged
too, so the file shows what a model attempted, not only what happened.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..redaction import redact

__all__ = ["AuditLog"]

#: Longest result kept per line; the PBX's answer to a write is usually small.
_MAX_RESULT_CHARS = 2000


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(
        self,
        action: str,
        args: dict[str, Any],
        *,
        outcome: str,
        result: Any = None,
        error: str | None = None,
    ) -> None:
        """Append one line; ``outcome`` is ``ok``, ``error`` or ``refused``."""
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "action": action,
            "args": redact(args),
            "outcome": outcome,
        }
        if result is not None:
            text = json.dumps(redact(result, action), default=str, ensure_ascii=False)
            entry["result"] = (
                text if len(text) <= _MAX_RESULT_CHARS else text[:_MAX_RESULT_CHARS] + "..."
            )
        if error is not None:
            entry["error"] = error
        line = json.dumps(entry, default=str, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
