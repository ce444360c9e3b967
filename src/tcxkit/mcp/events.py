"""``recent_events``: the PBX's change feed (:mod:`tcxkit.events`) as an MCP tool.

A model asks "what happened on the PBX in the last hour?" -- missed calls, a trunk that
dropped, a backup that completed.  The tool runs the events core's sources through the
toolbox (:meth:`Toolbox.run`: the server's policy, audit and redaction apply to every
query they make) into one in-memory cursor store per server process, then answers from
that store's outbox.  So it is the same feed as ``3cx events watch``, with the same ids:

* sources with a history (the call log, backups, the event log, the licence) report the
  last :data:`LOOKBACK` on the first call;
* state changes (a trunk going down, a phone unregistering, an agent logging out) leave
  no record on the PBX: they are seen from the server's first ``recent_events`` call on,
  and each later call reports what changed since the previous one.  The answer says from
  when it has been watching.

The store is bounded: events older than :data:`LOOKBACK` (no ``since`` reaches them) and
all but the newest :data:`MAX_KEPT` are forgotten after each poll, so a server left
running on a busy PBX keeps a day's feed, not everything it ever saw.  Times are shown in
the PBX's zone (:func:`.pbxclock.pbx_zone`, learnt once per server).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..errors import TcxError, UsageError
from ..events import SqliteCursorStore, Watcher, sources_for
from ..events.model import parse_duration, parse_time, parse_types
from ..paging import Pager
from .budget import fit
from .pbxclock import pbx_zone
from .service import Toolbox, ToolFailure

__all__ = ["LOOKBACK", "MAX_KEPT", "EventFeed"]

#: How far back the first call looks in sources with a history (the call log's day).
LOOKBACK = timedelta(hours=24)
#: Most events one answer lists (newest kept); the budget may cut further.
MAX_EVENTS = 200
#: Most events the server keeps (newest kept): about 2 KB each, so a few MB at most.
MAX_KEPT = 5000


class _ThroughToolbox:
    """The two client calls the watcher makes, sent through :meth:`Toolbox.run`."""

    def __init__(self, tb: Toolbox) -> None:
        self.tb = tb

    def call(self, action: str, **params: Any) -> Any:
        return self.tb.run(self.tb.catalog.require(action), params)

    def paginate(self, action: str, **params: Any) -> Iterator[Any]:
        found = self.tb.catalog.require(action)
        pager = Pager(found, params, None)
        while (page := pager.next_params()) is not None:
            yield from pager.feed(self.tb.run(found, page))


def since_time(text: str | None, now: datetime) -> datetime:
    """``since`` as a moment: a duration back from now (``15m``, ``2h``, ``1d``) or an ISO
    time; at most :data:`LOOKBACK` back (older events are not in the feed)."""
    if not text or not text.strip():
        return now - timedelta(hours=1)
    back = parse_duration(text)
    try:
        moment = now - back if back is not None else parse_time(text)
    except (ValueError, OverflowError):
        raise ToolFailure(
            f"since {text!r} is neither a duration nor a time; give e.g. '30m', '2h', '1d' "
            "or '2026-03-10T09:00:00Z'."
        ) from None
    return max(moment, now - LOOKBACK)


class EventFeed:
    """One per server: the cursor store and the watcher that fills it (thread-safe)."""

    def __init__(self, tb: Toolbox) -> None:
        self.tb = tb
        self.store = SqliteCursorStore(":memory:")
        self.watching_since: str | None = None
        self._lock = threading.Lock()

    @property
    def pbx(self) -> str:
        """The PBX's name in events: its host (what ``3cx events`` uses without a profile)."""
        url = str(getattr(self.tb.client, "base_url", "") or "")
        return urlsplit(url).netloc or url

    def _check(self, types: Sequence[str], pbx: str | None) -> None:
        try:
            parse_types(types)
        except UsageError as exc:
            raise ToolFailure(str(exc)) from None  # the message and its hint (the types)
        url = str(getattr(self.tb.client, "base_url", "") or "")
        if pbx and pbx.strip().rstrip("/") not in (self.pbx, url.rstrip("/")):
            raise ToolFailure(
                f"This server serves one PBX, {self.pbx}; it has no PBX {pbx!r}. "
                "Leave pbx out, or ask the server for that PBX."
            )

    def _poll(self, types: Sequence[str]) -> None:
        watcher = Watcher(
            self.store,
            self.pbx,
            str(getattr(self.tb.client, "base_url", self.pbx)).rstrip("/"),
            sources_for(types),
            since=LOOKBACK,
            zone=pbx_zone(self.tb).zone,
            client=_ThroughToolbox(self.tb),  # type: ignore[arg-type]
        )
        try:
            watcher.poll_all()
        except TcxError as exc:  # raised before the toolbox saw the call (a bad parameter)
            raise ToolFailure(str(exc)) from None

    def _kept(self, now: datetime) -> list[tuple[int, Any]]:
        """The events kept (never acked: each answer lists from them), after forgetting
        those older than :data:`LOOKBACK` and all but the newest :data:`MAX_KEPT`."""
        rows = self.store.pending("mcp", self.pbx, 1_000_000)
        floor = now - LOOKBACK
        keep = [(seq, e) for seq, e in rows if parse_time(e.time) >= floor][-MAX_KEPT:]
        if len(keep) < len(rows):
            kept = {seq for seq, _ in keep}
            self.store.forget(self.pbx, [seq for seq, _ in rows if seq not in kept])
        return keep

    def recent(
        self,
        types: str | Sequence[str] | None = (),
        since: str | None = None,
        pbx: str | None = None,
        limit: int = 50,
    ) -> str:
        """The events of ``types`` (one, several; all when empty) since ``since``, oldest first."""
        types = [types] if isinstance(types, str) else list(types or [])
        self._check(types, pbx)
        now = datetime.now(UTC)
        floor = since_time(since, now)
        with self._lock:
            self._poll(types)
            if self.watching_since is None:
                self.watching_since = now.replace(microsecond=0).isoformat()
            rows = self._kept(now)
        events = [
            e.to_dict()
            for _, e in rows
            if (not types or e.type in types) and parse_time(e.time) >= floor
        ]
        limit = max(1, min(limit, MAX_EVENTS))
        out: dict[str, Any] = {
            "pbx": self.pbx,
            "since": floor.replace(microsecond=0).isoformat(),
            "count": len(events),
            "events": events[-limit:],
            "watching_since": self.watching_since,
            "note": "Calls, backups, alerts and the licence go back "
            f"{int(LOOKBACK.total_seconds() // 3600)} h; trunk, phone, agent and presence "
            "changes are seen from watching_since on (the PBX keeps no record of them).",
        }
        if len(events) > limit:
            out["more"] = f"{len(events) - limit} older events left out; narrow since or type."
        return fit(self.tb.reveal(out), self.tb.budget)
