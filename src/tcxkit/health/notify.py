"""A health run as one compact message, POSTed to a receiver people already watch.

For those without Prometheus: ``3cx health --notify-env VAR`` sends one JSON body per run,
through the events' Standard Webhooks sender (:class:`tcxkit.webhooks.WebhookSender`), so
a receiver that checks signatures checks these too. The body serves two kinds of
receiver at once: ``text`` is the summary a chat incoming webhook (Slack, and Teams'
``{"text": ...}`` connectors) shows as the message; ``status``, ``counts``, ``pbxs`` and
``unreachable`` are the same facts as fields for a workflow tool's webhook trigger.
Only what needs attention is listed (failing, warning and unreadable checks), at most
:data:`MAX_LISTED` per PBX, so a fleet of hundreds stays one readable message.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from ..webhooks import SendResult, WebhookSender, backoff
from .report import HealthRun

__all__ = ["ATTEMPTS", "MAX_LISTED", "deliver", "summary_body", "wanted"]

#: Problems listed per PBX in the message; the rest are counted.
MAX_LISTED = 5
#: Delivery attempts (back-off 1 s, then 2 s): a run is a snapshot, not a queue to drain.
ATTEMPTS = 3
_MARK = {"fail": "FAIL", "warn": "WARN", "unknown": "UNKNOWN", "pass": "OK"}


def wanted(run: HealthRun, when: str) -> bool:
    """``--notify-on problems`` (default): only when something needs attention."""
    return when == "always" or run.status != "pass" or bool(run.errors)


def summary_body(run: HealthRun) -> dict[str, Any]:
    """The message: ``text`` for people, the same facts as fields for programs."""
    pbxs = []
    lines = [_headline(run)]
    for p in run.pbxs:
        problems = [r for r in p.results if r.status != "pass"]
        if not problems:
            continue
        listed = [
            {"check": r.check, "status": r.status, "summary": r.summary, "fix": r.fix}
            for r in problems[:MAX_LISTED]
        ]
        pbxs.append({"pbx": p.pbx, "status": p.status, "problems": listed,
                     "more": len(problems) - len(listed)})  # fmt: skip
        lines.append(f"{_MARK[p.status]} {p.pbx}:")
        lines += [f"  - {_MARK[x['status']]} {x['check']}: {x['summary']}" for x in listed]
        if len(problems) > len(listed):
            lines.append(f"  - ... and {len(problems) - len(listed)} more")
    unreachable = [
        {"pbx": name, "error": str(err.get("message", err))} for name, err in run.errors.items()
    ]
    lines += [f"DOWN {u['pbx']}: {u['error']}" for u in unreachable]
    return {
        "text": "\n".join(lines),
        "status": run.status,
        "checked_at": run.when.isoformat(timespec="seconds"),
        "counts": run.counts(),
        "pbxs": pbxs,
        "unreachable": unreachable,
    }


def _headline(run: HealthRun) -> str:
    counts = run.counts()
    total = len(run.pbxs) + len(run.errors)
    parts = [f"{counts[s]} {s}" for s in ("fail", "warn", "unknown") if counts[s]]
    if run.errors:
        parts.append(f"{len(run.errors)} PBX(s) not reachable")
    state = ", ".join(parts) if parts else "every check passed"
    return f"3CX health, {total} PBX(s): {state}."


def deliver(
    url: str,
    secret: str | None,
    body: dict[str, Any],
    *,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[SendResult, int]:
    """POST ``body`` (signed when ``secret`` is given) until a 2xx or :data:`ATTEMPTS`;
    the last attempt's result and how many were made.  The message id is the body's
    hash, so a receiver that dedupes by ``webhook-id`` drops a re-sent copy."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    msg_id = "msg_health_" + hashlib.sha256(data).hexdigest()[:24]
    with WebhookSender(url, secret, timeout=timeout) as sender:
        for attempt in range(1, ATTEMPTS + 1):
            result = sender.send(msg_id, data)
            if result.ok or attempt == ATTEMPTS:
                return result, attempt
            sleep(backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover
