"""Grandfather-father-son retention with a frozen clock, and ``3cx backup prune`` (#25)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tcxkit.backups import ManifestEntry, gfs_keep, read_entries
from tcxkit.backups.archive import sha256_of
from tcxkit.backups.manifest import archive_key
from tcxkit.storage.local import LocalStorage

from .conftest import Runner

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # a Wednesday


def _entry(pbx: str, when: datetime) -> ManifestEntry:
    return ManifestEntry(pbx, archive_key(pbx, when, "b.zip"), _iso(when), 1, "0" * 64)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _history() -> list[ManifestEntry]:
    day = datetime(2026, 8, 15, 2, 0, tzinfo=UTC)
    entries = []
    while day <= NOW:
        entries.append(_entry("pbx01", day))
        day += timedelta(days=1)
    extra = [datetime(2026, 12, 9, 10, tzinfo=UTC), datetime(2026, 12, 8, 23, tzinfo=UTC)]
    entries += [_entry("pbx01", when) for when in extra]
    entries.append(_entry("pbx01", datetime(2026, 12, 10, 2, tzinfo=UTC)))  # after NOW
    entries.append(_entry("pbx02", datetime(2026, 1, 1, 2, tzinfo=UTC)))  # its only one
    return entries


def _times(keys: set[str]) -> list[str]:
    return sorted(k.split("/")[1][:17] + "@" + k.split("/")[0] for k in keys)


def test_gfs_keeps_the_newest_of_each_day_week_and_month() -> None:
    kept = gfs_keep(_history(), NOW, daily=2, weekly=3, monthly=4)
    assert _times(kept) == [
        "2026-01-01T020000@pbx02",  # a PBX's newest archive is always kept
        "2026-09-30T020000@pbx01",  # month 4: September
        "2026-10-31T020000@pbx01",  # month 3: October
        "2026-11-29T020000@pbx01",  # week 48 (Nov 23-29)
        "2026-11-30T020000@pbx01",  # month 2: November
        "2026-12-06T020000@pbx01",  # week 49 (Nov 30 - Dec 6)
        "2026-12-08T230000@pbx01",  # day 2
        "2026-12-09T100000@pbx01",  # day 1, week 50, month 1: December
        "2026-12-10T020000@pbx01",  # newer than the clock: never pruned
    ]


def test_gfs_with_days_only_leaves_gaps_as_gaps() -> None:
    entries = [_entry("p", NOW - timedelta(days=d)) for d in (0, 3, 4)]
    assert _times(gfs_keep(entries, NOW, daily=3, weekly=0, monthly=0)) == ["2026-12-09T120000@p"]


def _seed(store: LocalStorage, entries: list[ManifestEntry]) -> list[ManifestEntry]:
    out = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("Data/DB/database.json", "{}")
    data = buf.getvalue()
    for e in entries:
        store.put(e.key, io.BytesIO(data))
        size, digest = sha256_of(store.root / e.key)
        real = ManifestEntry(e.pbx, e.key, e.time, size, digest, members=1)
        store.put(real.entry_key, io.BytesIO(real.to_json()))
        out.append(real)
    return out


def test_prune_shows_its_plan_then_deletes_exactly_what_gfs_drops(
    bare: Runner, tmp_path: Path
) -> None:
    store = LocalStorage(tmp_path / "store")
    history = [e for e in _history() if e.when >= datetime(2026, 11, 20, tzinfo=UTC)]
    _seed(store, history)
    expected = gfs_keep(history, NOW, daily=2, weekly=3, monthly=4)
    args = ["backup", "prune", str(store.root), "--keep-daily", "2", "--keep-weekly", "3"]
    args += ["--keep-monthly", "4", "--as-of", "2026-12-09T12:00:00Z", "-o", "jsonl"]
    dry = bare(*args)
    assert dry.code == 0, dry.err
    doomed = len(history) - len(expected)
    assert f"dry run: {doomed} backups would be deleted; add --yes." in dry.err
    plan = {x["key"]: x["action"] for x in dry.lines()}
    assert {k for k, a in plan.items() if a == "keep"} == expected
    assert set(plan.values()) == {"keep", "would delete"}
    assert len(store.list()) == 2 * len(history)  # nothing deleted yet
    done = bare(*args, "--yes")
    assert done.code == 0, done.err
    assert {x["key"] for x in done.lines() if x["action"] == "deleted"} == set(plan) - expected
    assert {e.key for e in read_entries(store)} == expected
    assert len(store.list()) == 2 * len(expected)
    assert bare("backup", "verify", str(store.root)).code == 0


def test_prune_without_a_keep_rule_is_refused(bare: Runner, tmp_path: Path) -> None:
    r = bare("backup", "prune", str(tmp_path))
    assert r.code == 2
    assert "would delete every backup" in r.err and "--keep-daily 7" in r.err
    r = bare("backup", "prune", str(tmp_path), "--keep-daily", "1", "--as-of", "soon")
    assert r.code == 2 and "--as-of 'soon' is not a date-time." in r.err
