"""Delivering events as Standard Webhooks, with retries, back-off and a dead-letter file.

:class:`Relay.deliver` is a consumer for :func:`tcxkit.events.drain`: it never blocks.
An event that fails (a non-2xx answer, a timeout, a refused connection) is tried again
after :func:`tcxkit.webhooks.backoff` seconds (1, 2, 4 ... then every 60 s) while the
watcher keeps polling; events behind it wait, so a receiver sees each PBX's events in
order.  An event that has failed for ``park_after`` seconds (10 minutes by default) is
*parked*: appended to the dead-letter file (JSON lines, fsynced) and only then passed,
so the cursor never moves past an event that is neither delivered nor parked.
``3cx events replay`` re-sends the parked events (:func:`replay`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..private_files import check_private, open_private
from ..webhooks import SendResult, WebhookSender, backoff
from .model import Event

__all__ = ["PARK_AFTER", "DeadLetters", "Relay", "body_of", "replay"]

#: Seconds an event may keep failing before it is parked in the dead-letter file.
PARK_AFTER = 600.0


def body_of(event: Event) -> bytes:
    """The request body: the event as compact JSON (the same bytes on every attempt)."""
    return json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


class DeadLetters:
    """The dead-letter file: one JSON object per line, ``0600`` (it holds call data)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def park(self, event: Event, error: str, attempts: int) -> None:
        """Append ``event`` durably (written and fsynced before this returns)."""
        line = {
            "event": event.to_dict(),
            "error": error,
            "attempts": attempts,
            "parked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open_private(self.path, "ab", what="dead-letter file") as fh:
            check_private(self.path, "dead-letter file", secret=True, why="it holds call data")
            _write_durably(fh, [line])

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        check_private(self.path, "dead-letter file", secret=True, why="it holds call data")
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def rewrite(self, lines: list[dict[str, Any]]) -> None:
        """Replace the file's lines atomically (what replay could not deliver stays)."""
        # Our own new file (O_EXCL): a stale or planted .part never lends its mode or
        # its holder to the file that replaces the dead letters.
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        tmp.unlink(missing_ok=True)
        with open_private(tmp, "xb", what="dead-letter file") as fh:
            _write_durably(fh, lines)
        os.replace(tmp, self.path)


def _write_durably(fh: IO[bytes], lines: list[dict[str, Any]]) -> None:
    """``lines`` as JSON lines, on the disk (fsynced) before this returns: a parked event
    must survive a crash right after it was parked."""
    fh.write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode())
    fh.flush()
    os.fsync(fh.fileno())


@dataclass
class Relay:
    """Sends events one at a time, retrying with back-off, parking what keeps failing."""

    sender: WebhookSender
    dead: DeadLetters
    park_after: float = PARK_AFTER
    first_delay: float = 1.0
    clock: Callable[[], float] = time.monotonic
    report: Callable[[str], None] = field(default=lambda text: None)
    delivered: int = 0
    parked: int = 0
    _attempts: int = 0
    _failing_since: float | None = None
    _retry_at: float = 0.0

    def deliver(self, event: Event) -> bool:
        """True when ``event`` is delivered or parked (the position may move past it)."""
        now = self.clock()
        if now < self._retry_at:
            return False
        result = self.sender.send(event.id, body_of(event))
        if result.ok:
            self._reset()
            self.delivered += 1
            return True
        return self._failed(event, result, now)

    def _failed(self, event: Event, result: SendResult, now: float) -> bool:
        self._attempts += 1
        if self._failing_since is None:
            self._failing_since = now
        if now - self._failing_since >= self.park_after:
            self.dead.park(event, result.describe(), self._attempts)
            self.report(
                f"3cx: event {event.id} ({event.type}) parked in {self.dead.path} after "
                f"{self._attempts} attempts ({result.describe()}); `3cx events replay` re-sends it."
            )
            self._reset()
            self.parked += 1
            return True
        delay = backoff(self._attempts, first=self.first_delay)
        self._retry_at = now + delay
        self.report(
            f"3cx: delivering {event.id} failed ({result.describe()}); "
            f"attempt {self._attempts + 1} in {delay:g} s."
        )
        return False

    def _reset(self) -> None:
        self._attempts = 0
        self._failing_since = None
        self._retry_at = 0.0

    def seconds_to_retry(self) -> float:
        return max(0.0, self._retry_at - self.clock())


def replay(dead: DeadLetters, sender: WebhookSender) -> tuple[int, list[dict[str, Any]]]:
    """Re-send every parked event once, in file order; returns (delivered, still failing).

    The file keeps exactly the events still failing (rewritten atomically), each with
    its newest error.
    """
    lines = dead.read()
    if not lines:  # nothing parked (or no file yet): nothing to send or rewrite
        return 0, []
    kept: list[dict[str, Any]] = []
    sent = 0
    for line in lines:
        event = Event.from_dict(line["event"])
        result = sender.send(event.id, body_of(event))
        if result.ok:
            sent += 1
        else:
            attempts = int(line.get("attempts") or 0) + 1
            kept.append({**line, "error": result.describe(), "attempts": attempts})
    dead.rewrite(kept)
    return sent, kept
