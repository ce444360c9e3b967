"""Checks of the PBX as a system: licence, maintenance, backups, disk, services, updates,
recordings storage.  Most read ``GetSystemStatus`` once (see :mod:`.facts`).

What each check is (title, severity, reads, fix, thresholds) is in ``checks.toml``; here
is only how it judges, ending in :func:`.registry.first`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..catalog import release_key
from .registry import Finding, check, days_until, first, parse_time

__all__: list[str] = []


def _graded(value: float, warn: float, fail: float) -> str:
    """``fail`` from ``fail`` up, ``warn`` from ``warn`` up, else ``pass``: the one ladder
    of the checks whose number grows worse (a percentage full, an age)."""
    return "fail" if value >= fail else "warn" if value >= warn else "pass"


def _expiry(when: Any, t: dict[str, float], now: datetime, what: str, key: str) -> Finding:
    """A date that must stay far enough ahead: fail within ``fail_days``, warn within
    ``warn_days``; no date at all is a perpetual one."""
    expires = parse_time(when)
    days = days_until(expires, now) if expires is not None else 0.0
    word = "expired" if days <= 0 else f"expires in {days:g} days"
    date = f"{expires:%Y-%m-%d}" if expires is not None else ""
    return first(
        {key: when} if expires is None else {key: when, "days_left": days},
        (expires is None, "pass", f"The {what} has no expiry date."),
        (days <= t["fail_days"], "fail", f"The {what} {word} ({date})."),
        (days <= t["warn_days"], "warn", f"The {what} expires in {days:g} days."),
        (True, "pass", f"The {what} runs {days:g} more days."),
    )


@check
def licence_expiry(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    status = data["status"]
    if status.get("LicenseActive") is False:
        return first(
            {"LicenseActive": False, "Activated": status.get("Activated")},
            (True, "fail", "The licence is not active."),
        )
    return _expiry(status.get("ExpirationDate"), t, now, "licence", "ExpirationDate")


@check
def maintenance_expiry(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    return _expiry(
        data["status"].get("MaintenanceExpiresAt"), t, now, "maintenance", "MaintenanceExpiresAt"
    )


def _newest(backups: list[dict[str, Any]]) -> tuple[datetime | None, dict[str, Any] | None]:
    dated = [(parse_time(b.get("CreationTime")), b) for b in backups]
    dated = [(d, b) for d, b in dated if d is not None]
    if not dated:
        return None, None
    return max(dated, key=lambda pair: pair[0])  # type: ignore[arg-type,return-value]


@check
def backup_age(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    good = [b for b in data["backups"] if (b.get("Size") or 0) >= t["min_size_bytes"]]
    when, newest = _newest(good)
    if when is None or newest is None:
        return first(
            {"backups": len(data["backups"])}, (True, "fail", "No usable backup on the PBX.")
        )
    hours = round((now - when).total_seconds() / 3600, 1)
    status = _graded(hours, t["warn_hours"], t["fail_hours"])
    evidence = {
        "newest": newest.get("FileName"),
        "CreationTime": newest.get("CreationTime"),
        "age_hours": hours,
        "size": newest.get("Size"),
    }
    return first(evidence, (True, status, f"The newest backup is {hours:g} hours old."))


@check
def backup_failures(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    """A backup that left an empty or truncated archive failed; the newest one failing is a
    failure, an older one a warning.  A schedule turned off is a warning too."""
    backups = data["backups"]
    broken = [b.get("FileName") for b in backups if (b.get("Size") or 0) < t["min_size_bytes"]]
    scheduled = bool(data["backup_settings"].get("ScheduleEnabled"))
    newest = _newest(backups)[1] or {}
    return first(
        {"broken": broken, "listed": len(backups), "ScheduleEnabled": scheduled},
        (newest and newest.get("FileName") in broken, "fail",
         f"The newest backup {newest.get('FileName')} failed."),
        (broken, "warn", f"{len(broken)} earlier backup(s) failed."),
        (not scheduled, "warn", "No backup schedule: backups run only by hand."),
        (True, "pass", f"No failed backup among the last {len(backups)}."),
    )  # fmt: skip


@check
def backup_protection(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    encrypted = bool((data["backup_settings"].get("Contents") or {}).get("EncryptBackup"))
    location = (data["backup_repository"].get("Location") or {}).get("FileSystemType") or "Local"
    missing = [
        w
        for w, ok in (
            ("not encrypted", encrypted),
            ("kept on the PBX only", location not in ("Local", "Logs")),
        )
        if not ok
    ]
    return first(
        {"EncryptBackup": encrypted, "FileSystemType": location},
        (len(missing) == 2, "fail", "Backups are not encrypted and kept on the PBX only."),
        (missing, "warn", f"Backups are {''.join(missing[:1])}."),
        (True, "pass", f"Backups are encrypted and copied to {location}."),
    )


@check
def disk_space(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    s = data["status"]
    total, free = s.get("TotalDiskSpace") or 0, s.get("FreeDiskSpace")
    if not total or free is None:
        used = float(s.get("DiskUsage") or 0)
    else:
        used = round(100 * (total - free) / total, 1)
    return first(
        {"used_percent": used, "TotalDiskSpace": total, "FreeDiskSpace": free},
        (True, _graded(used, t["warn_percent"], t["fail_percent"]), f"The disk is {used:g}% full."),
    )


@check
def services(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    stopped = [s.get("Name") for s in data["services"] if s.get("Status") != "Running"]
    return first(
        {"services": len(data["services"]), "not_running": stopped},
        (stopped, "fail", f"Not running: {', '.join(map(str, stopped))}."),
        (True, "pass", f"All {len(data['services'])} services run."),
    )


@check
def updates(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    """Warn on any pending update; fail when the PBX is ``fail_releases_behind`` releases
    (20.0.8 -> 20.0.10 is two) behind the one offered."""
    entries = [e for e in data["updates"].get("Entries") or [] if e.get("OutOfDate")]
    installed = data["status"].get("Version")
    offered = max(
        (e.get("ServerVersion") for e in entries if e.get("Category") == "3CX"),
        key=lambda v: release_key(str(v or "")),
        default=None,
    )
    behind = 0
    if offered:
        have, want = release_key(str(installed or "")), release_key(offered)
        behind = (
            max(0, (want[:3] or (0,))[-1] - (have[:3] or (0,))[-1]) if have[:2] == want[:2] else 99
        )
    evidence = {
        "pending": [e.get("Name") for e in entries],
        "installed": installed,
        "offered": offered,
        "releases_behind": behind,
    }
    return first(
        evidence,
        (offered and behind >= t["fail_releases_behind"], "fail",
         f"{installed} is {behind} releases behind {offered}."),
        (entries, "warn", f"{len(entries)} update(s) pending."),
        (True, "pass", f"Up to date ({installed})."),
    )  # fmt: skip


@check
def recordings_storage(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    s = data["status"]
    used, quota = s.get("RecordingUsedSpace") or 0, s.get("RecordingQuota") or 0
    percent = round(100 * used / quota, 1) if quota else 0.0
    evidence = {
        "RecordingUsedSpace": used,
        "RecordingQuota": quota,
        "used_percent": percent,
        "RecordingStopped": bool(s.get("RecordingStopped")),
    }
    graded = _graded(percent, t["warn_percent"], t["fail_percent"]) if quota else "pass"
    return first(
        evidence,
        (s.get("RecordingStopped") or s.get("RecordingQuotaReached"), "fail",
         "Recording has stopped: the quota is reached."),
        (True, graded, f"Recordings use {percent:g}% of their quota."),
    )  # fmt: skip
