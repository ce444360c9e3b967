"""System sources: backups, the licence's expiry, and the PBX's event log.

* backups (``ListBackups``): a file name not listed before is ``backup.completed``
  (``time``: its ``CreationTime``) -- or ``backup.failed`` when its archive is under
  :data:`MIN_BACKUP_BYTES` (a run that died leaves an empty or truncated file; the health
  check ``backup_failures`` reads the same sign).  A backup that dies before it is
  listed leaves nothing here; the PBX's event log (``system.alert``) may say more;
* licence (``GetLicenseStatus``): ``license.expiring`` when the days left cross one of
  :data:`THRESHOLDS` (30, 14, 7, 1), once per threshold and expiry date -- a renewed
  licence (a new date) starts over.  Unlike changes, an expiry is a state: the first
  poll reports the tightest threshold already crossed;
* event log (``ListEventLog``): every ``Error`` or ``Warning`` entry newer than the last
  one seen (``$filter`` on ``Id``, which the PBX's database only ever increases) is a
  ``system.alert``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .model import Event, event_id, iso_time, parse_time
from .source import Poll, PollContext, Polled, Query

__all__ = ["MIN_BACKUP_BYTES", "THRESHOLDS", "BackupsSource", "EventLogSource", "LicenseSource"]

#: Days before the licence expires at which ``license.expiring`` is sent.
THRESHOLDS = (30, 14, 7, 1)
#: Backup file names remembered (a PBX keeps far fewer).
MAX_BACKUPS = 1000


#: A listed archive smaller than this is a failed backup (the health check's default).
MIN_BACKUP_BYTES = 1024


def _time(text: Any, ctx: PollContext) -> str:
    """The PBX's time ``text`` in the PBX's zone; the poll's time when it has none."""
    try:
        return ctx.time(str(text)) if text else ctx.time(ctx.now.replace(microsecond=0))
    except ValueError:
        return ctx.time(ctx.now.replace(microsecond=0))


def _size(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class BackupsSource:
    """``backup.completed`` / ``backup.failed``: a backup file not listed by the last poll."""

    name = "backups"
    types = ("backup.completed", "backup.failed")
    interval = 60.0

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        return Poll((Query("ListBackups", {"select": ["FileName", "CreationTime", "Size"]}),))

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        seen = set((state or {}).get("files") or [])
        floor = ctx.now - ctx.since if ctx.since else None
        rows = sorted(answers[0], key=lambda r: str(r.get("CreationTime") or ""))
        events = []
        for row in rows:
            name = str(row.get("FileName"))
            if name in seen:
                continue
            if state is None and (floor is None or not _after(row.get("CreationTime"), floor)):
                continue
            created = _time(row.get("CreationTime"), ctx)
            data = {"file_name": name, "size": row.get("Size"), "created": created}
            size = _size(row.get("Size"))
            kind = "backup.failed" if size < MIN_BACKUP_BYTES else "backup.completed"
            if kind == "backup.failed":
                data["reason"] = f"the archive is {size} bytes: empty or truncated"
            events.append(
                Event(
                    event_id(ctx.pbx_key, kind, name, row.get("CreationTime")),
                    kind,
                    created,
                    ctx.pbx,
                    data,
                )
            )
        files = [str(r.get("FileName")) for r in rows][-MAX_BACKUPS:]
        return Polled(events, {"files": files})


def _after(text: Any, floor: datetime) -> bool:
    try:
        return parse_time(str(text)) >= floor
    except ValueError:
        return False


class LicenseSource:
    """``license.expiring`` at 30, 14, 7 and 1 days before the licence's expiry."""

    name = "license"
    types = ("license.expiring",)
    interval = 3600.0

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        fields = ["ExpirationDate", "ProductCode", "LicenseActive"]
        return Poll((Query("GetLicenseStatus", {"select": fields}, all_pages=False),))

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        row = answers[0][0] if answers[0] else {}
        expires = row.get("ExpirationDate")
        if not expires:
            return Polled([], {"expires": None, "reported": None})
        left = (parse_time(str(expires)) - ctx.now) / timedelta(days=1)
        crossed = [t for t in THRESHOLDS if left <= t]
        same = bool(state) and state.get("expires") == expires  # type: ignore[union-attr]
        reported = state.get("reported") if same and state else None
        if not crossed or (reported is not None and min(crossed) >= reported):
            return Polled([], {"expires": expires, "reported": reported})
        threshold = min(crossed)
        event = Event(
            event_id(ctx.pbx_key, "license.expiring", expires, threshold),
            "license.expiring",
            ctx.time(ctx.now.replace(microsecond=0)),
            ctx.pbx,
            {
                "expires": ctx.time(str(expires)),
                "days_left": max(0, int(left)),
                "threshold_days": threshold,
                "product_code": row.get("ProductCode"),
                "active": row.get("LicenseActive"),
            },
        )
        return Polled([event], {"expires": expires, "reported": threshold})


_LOG_FIELDS = ["Id", "EventId", "Type", "Source", "GroupName", "Message", "Params",
               "TimeGenerated"]  # fmt: skip
_SEVERE = "(Type eq 'Error' or Type eq 'Warning')"


class EventLogSource:
    """``system.alert``: an ``Error`` or ``Warning`` in the PBX's event log."""

    name = "event_log"
    types = ("system.alert",)
    interval = 30.0

    def queries(self, state: dict[str, Any] | None, ctx: PollContext) -> Poll:
        if state is None:
            newest = Query(
                "ListEventLog",
                {"select": ["Id"], "orderby": "Id desc", "top": 1},
                all_pages=False,
            )
            if not ctx.since:
                return Poll((newest,))
            since = iso_time((ctx.now - ctx.since).replace(microsecond=0)).replace("+00:00", "Z")
            recent = Query(
                "ListEventLog",
                {"filter": f"TimeGenerated ge {since} and {_SEVERE}", "select": _LOG_FIELDS},
            )
            return Poll((newest, recent))
        last = int(state.get("id") or 0)
        flt = f"Id gt {last} and {_SEVERE}"
        return Poll((Query("ListEventLog", {"filter": flt, "select": _LOG_FIELDS}),))

    def consume(
        self, state: dict[str, Any] | None, answers: list[list[dict[str, Any]]], ctx: PollContext
    ) -> Polled:
        if state is None:
            last = max([int(r.get("Id") or 0) for r in answers[0]] or [0])
            rows = answers[1] if len(answers) > 1 else []
        else:
            last = int(state.get("id") or 0)
            rows = [r for r in answers[0] if int(r.get("Id") or 0) > last]
        unique = {int(r.get("Id") or 0): r for r in rows}
        events = [self._event(unique[k], ctx) for k in sorted(unique)]
        return Polled(events, {"id": max([last, *unique])})

    @staticmethod
    def _event(row: dict[str, Any], ctx: PollContext) -> Event:
        return Event(
            event_id(ctx.pbx_key, "system.alert", row.get("Id"), row.get("TimeGenerated")),
            "system.alert",
            _time(row.get("TimeGenerated"), ctx),
            ctx.pbx,
            {
                "log_id": row.get("Id"),
                "event_id": row.get("EventId"),
                "severity": row.get("Type"),
                "source": row.get("Source"),
                "group": row.get("GroupName"),
                "message": row.get("Message"),
                "params": row.get("Params") or [],
            },
        )
