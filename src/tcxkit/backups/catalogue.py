"""What a store holds: ``verify`` (every archive against its entry), ``list``, ``prune``.

``verify`` reads every archive back from the store (through a private temporary file,
never whole in memory) and checks it as :mod:`.archive` describes, against its
manifest entry's size and SHA-256.  It also names archives without an entry (an
interrupted run) and entries without an archive (deleted by hand).

``prune`` keeps a grandfather-father-son set per PBX (:func:`gfs_keep`) and deletes the
rest -- archive first, entry last, so an interruption leaves an entry that ``verify``
reports as missing its archive, never an archive that looks unmanaged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import TcxError
from ..storage import Storage
from .archive import BackupInvalid, check_archive
from .manifest import ENTRY_SUFFIX, ManifestEntry, read_entries

__all__ = ["Check", "gfs_keep", "list_rows", "prune_plan", "verify_store"]


@dataclass(frozen=True)
class Check:
    """One archive's verdict: ``error`` None when it verified."""

    pbx: str
    key: str
    error: TcxError | None = None
    entry: ManifestEntry | None = None


def _pbx_of(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else ""


def verify_store(store: Storage) -> Iterator[Check]:
    """A :class:`Check` per archive and per orphan entry, in key order."""
    objects = store.list()
    entries = {e.key: e for e in read_entries(store, objects)}
    archives = {o.key: o for o in objects if not o.key.endswith(ENTRY_SUFFIX)}
    for key in sorted(set(entries) | set(archives)):
        entry = entries.get(key)
        if entry is None:
            yield Check(_pbx_of(key), key, BackupInvalid(
                f"{store.where}/{key}: no manifest entry (an interrupted run?).",
                hint="Take a new backup; delete this file once one verifies."))  # fmt: skip
        elif key not in archives:
            yield Check(entry.pbx, key, BackupInvalid(
                f"{store.where}/{key}: the manifest lists it, but the archive is missing."),
                entry)  # fmt: skip
        else:
            yield check_one(store, entry)


def check_one(store: Storage, entry: ManifestEntry) -> Check:
    with tempfile.TemporaryDirectory(prefix="tcxkit-verify-") as tmp:
        local = Path(tmp) / "archive"
        with store.get(entry.key) as source, open(local, "wb") as target:
            while piece := source.read(1 << 20):
                target.write(piece)
        try:
            check_archive(local, f"{store.where}/{entry.key}", size=entry.size, sha256=entry.sha256)
        except BackupInvalid as exc:
            return Check(entry.pbx, entry.key, exc, entry)
    return Check(entry.pbx, entry.key, None, entry)


def age_text(delta: timedelta) -> str:
    """``3d 4h``, ``5h 2m``, ``40s``: how old, at a glance."""
    secs = max(0, int(delta.total_seconds()))
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def list_rows(entries: list[ManifestEntry], now: datetime) -> Iterator[dict[str, Any]]:
    """One row per archive, newest first per PBX, with its age."""
    for e in sorted(entries, key=lambda e: (e.pbx, -e.when.timestamp())):
        yield {
            "pbx": e.pbx,
            "time": e.time,
            "age": age_text(now - e.when),
            "size": e.size,
            "release": e.release,
            "sha256": e.sha256,
            "key": e.key,
        }


def gfs_keep(
    entries: list[ManifestEntry], now: datetime, *, daily: int, weekly: int, monthly: int
) -> set[str]:
    """The keys a grandfather-father-son policy keeps, per PBX.

    For each of the last ``daily`` days, ``weekly`` ISO weeks and ``monthly`` calendar
    months (counted back from ``now``, in UTC, the current one included), the newest
    archive of that period is kept.  Periods without an archive are not made up from
    older ones (a gap stays a gap).  Always kept, whatever the numbers: each PBX's newest
    archive (pruning never leaves a PBX without a backup) and any archive newer than
    ``now``.
    """
    keep: set[str] = set()
    by_pbx: dict[str, list[ManifestEntry]] = {}
    for e in entries:
        by_pbx.setdefault(e.pbx, []).append(e)
    today = now.date()
    for items in by_pbx.values():
        newest_first = sorted(items, key=lambda e: e.when, reverse=True)
        keep.add(newest_first[0].key)
        day_set = {today - timedelta(days=i) for i in range(daily)}
        week_set = {(today - timedelta(weeks=i)).isocalendar()[:2] for i in range(weekly)}
        month_set = {_month_back(today.year, today.month, i) for i in range(monthly)}
        seen: dict[tuple[str, Any], str] = {}
        for e in newest_first:
            when = e.when
            if when > now:
                keep.add(e.key)
                continue
            d = when.date()
            for kind, period, wanted in (
                ("d", d, day_set),
                ("w", d.isocalendar()[:2], week_set),
                ("m", (d.year, d.month), month_set),
            ):
                if period in wanted and (kind, period) not in seen:
                    seen[(kind, period)] = e.key
                    keep.add(e.key)
    return keep


def _month_back(year: int, month: int, back: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) - back
    return index // 12, index % 12 + 1


def prune_plan(
    entries: list[ManifestEntry], now: datetime, *, daily: int, weekly: int, monthly: int
) -> list[tuple[ManifestEntry, bool]]:
    """Every entry with whether it is kept, oldest first."""
    keep = gfs_keep(entries, now, daily=daily, weekly=weekly, monthly=monthly)
    return [(e, e.key in keep) for e in sorted(entries, key=lambda e: (e.pbx, e.when))]


def delete_archive(store: Storage, entry: ManifestEntry) -> None:
    """Archive first, entry last (module docstring)."""
    store.delete(entry.key)
    store.delete(entry.entry_key)
