"""Small helpers every domain module shares: time, durations, in-memory OData paging.

Kept apart so the PBX logic in the other modules reads as PBX logic, not plumbing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..odata import QueryOptions, normalize_datetime
from ..store import Store

if TYPE_CHECKING:
    from ..registry import Reply, RequestContext

__all__ = [
    "day_start",
    "days_ago",
    "epoch_ms",
    "iso",
    "iso_duration",
    "now",
    "parse_duration",
    "query_rows",
    "to_datetime",
]

_DURATION = re.compile(
    # Bounded digit runs: a 5 000-digit ``waitInterval`` is unreadable, not an int() error.
    r"P(?:(?P<d>\d{1,9})D)?(?:T(?:(?P<h>\d{1,9})H)?(?:(?P<m>\d{1,9})M)?"
    r"(?:(?P<s>\d{1,9}(?:\.\d{1,9})?)S)?)?\Z"
)


def now() -> datetime:
    """The current UTC time (one place, so it reads the same everywhere)."""
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """Date-time text in the store's normal form (UTC, ``Z``, no zero fraction)."""
    return normalize_datetime(value)


def to_datetime(value: Any) -> datetime:
    """A function parameter (text or datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = normalize_datetime(str(value))
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso_duration(seconds: float) -> str:
    """``PT1M12S``-style text for a number of seconds, as the PBX writes durations."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or out == "PT":
        out += f"{secs}S"
    return out


def parse_duration(text: str | None) -> float:
    """Seconds in an ISO-8601 duration; 0 for anything unreadable (reports never fail on it)."""
    if not text:
        return 0.0
    m = _DURATION.match(text)
    if not m:
        return 0.0
    d, h, mi, s = (m.group(g) for g in ("d", "h", "m", "s"))
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def query_rows(
    ctx: RequestContext,
    rows: Iterable[dict[str, Any]],
    type_name: str,
    *,
    cap: int | None = None,
) -> Reply:
    """Answer computed rows (report aggregates) with full OData semantics.

    The rows go into a throwaway in-memory table so ``$filter``/``$orderby``/``$top``/
    ``$skip``/``$count`` behave exactly as on stored sets; aggregates are small, so
    this costs well under a millisecond per hundred rows.
    """
    schema = ctx.state.catalog.schemas.get(type_name)
    props = set(ctx.state.generator.properties(schema)) if schema else None
    with Store() as scratch:
        table = scratch.entity_set("Rows", key="RowNo__", type_name=type_name, properties=None)
        if props is not None:
            table.properties = frozenset(props | {"RowNo__"})
        table.insert_many(rows)
        options: QueryOptions = ctx.options
        result = table.query(options, max_top=cap)
    items = [{k: v for k, v in item.items() if k != "RowNo__"} for item in result.items]
    return ctx.collection(items, result.count)


def epoch_ms() -> float:
    """Monotonic-enough wall clock in seconds, for 'ready after N ms' bookkeeping."""
    return time.time()


def day_start(value: datetime) -> datetime:
    """Midnight UTC of ``value``'s day."""
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def days_ago(days: int) -> datetime:
    """Midnight UTC ``days`` days before today."""
    return day_start(now()) - timedelta(days=days)
