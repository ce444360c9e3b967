"""Checks of the PBX as a system: licence, maintenance, backups, disk, services, updates,
recordings storage.  Most read ``GetSystemStatus`` once (see :mod:`.facts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .registry import Finding, check, days_until, parse_time

__all__: list[str] = []


def _expiry(when: Any, t: dict[str, float], now: datetime, what: str, key: str) -> Finding:
    """A date that must stay far enough ahead: fail within ``fail_days``, warn within
    ``warn_days``; no date at all is a perpetual one."""
    expires = parse_time(when)
    if expires is None:
        return Finding("pass", f"The {what} has no expiry date.", {key: when})
    days = days_until(expires, now)
    evidence = {key: when, "days_left": days}
    if days <= t["fail_days"]:
        word = "expired" if days <= 0 else f"expires in {days:g} days"
        return Finding("fail", f"The {what} {word} ({expires:%Y-%m-%d}).", evidence)
    if days <= t["warn_days"]:
        return Finding("warn", f"The {what} expires in {days:g} days.", evidence)
    return Finding("pass", f"The {what} runs {days:g} more days.", evidence)


@check(
    "licence_expiry",
    "Licence expiry",
    severity="critical",
    reads=("status",),
    fix="Renew the licence with your 3CX partner, then Admin console > Dashboard > "
    "Licence > Refresh (`3cx license-status refresh-license-status`).",
    thresholds={"warn_days": 30, "fail_days": 7},
)
def licence_expiry(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    status = data["status"]
    if status.get("LicenseActive") is False:
        return Finding(
            "fail",
            "The licence is not active.",
            {"LicenseActive": False, "Activated": status.get("Activated")},
        )
    return _expiry(status.get("ExpirationDate"), t, now, "licence", "ExpirationDate")


@check(
    "maintenance_expiry",
    "Maintenance (updates) expiry",
    severity="high",
    reads=("status",),
    fix="Renew the maintenance with your 3CX partner; without it the PBX gets no updates.",
    thresholds={"warn_days": 30, "fail_days": 0},
)
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


@check(
    "backup_age",
    "Last successful backup",
    severity="critical",
    reads=("backups",),
    fix="Admin console > Backup: check the schedule and the last run's e-mail; "
    "`3cx backups backup` starts one now.",
    thresholds={"warn_hours": 48, "fail_hours": 168, "min_size_bytes": 1024},
)
def backup_age(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    good = [b for b in data["backups"] if (b.get("Size") or 0) >= t["min_size_bytes"]]
    when, newest = _newest(good)
    if when is None or newest is None:
        return Finding("fail", "No usable backup on the PBX.", {"backups": len(data["backups"])})
    hours = round((now - when).total_seconds() / 3600, 1)
    evidence = {
        "newest": newest.get("FileName"),
        "CreationTime": newest.get("CreationTime"),
        "age_hours": hours,
        "size": newest.get("Size"),
    }
    if hours >= t["fail_hours"]:
        return Finding("fail", f"The newest backup is {hours:g} hours old.", evidence)
    if hours >= t["warn_hours"]:
        return Finding("warn", f"The newest backup is {hours:g} hours old.", evidence)
    return Finding("pass", f"The newest backup is {hours:g} hours old.", evidence)


@check(
    "backup_failures",
    "Failed backups",
    severity="high",
    reads=("backups", "backup_settings"),
    fix="Admin console > Backup: a broken archive means the run failed (disk full, "
    "repository unreachable); fix the cause and run `3cx backups backup`.",
    thresholds={"min_size_bytes": 1024},
)
def backup_failures(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    """A backup that left an empty or truncated archive failed; the newest one failing is a
    failure, an older one a warning.  A schedule turned off is a warning too."""
    backups = data["backups"]
    broken = [b.get("FileName") for b in backups if (b.get("Size") or 0) < t["min_size_bytes"]]
    scheduled = bool(data["backup_settings"].get("ScheduleEnabled"))
    _when, newest = _newest(backups)
    evidence = {"broken": broken, "listed": len(backups), "ScheduleEnabled": scheduled}
    if newest is not None and newest.get("FileName") in broken:
        return Finding("fail", f"The newest backup {newest.get('FileName')} failed.", evidence)
    if broken:
        return Finding("warn", f"{len(broken)} earlier backup(s) failed.", evidence)
    if not scheduled:
        return Finding("warn", "No backup schedule: backups run only by hand.", evidence)
    return Finding("pass", f"No failed backup among the last {len(backups)}.", evidence)


@check(
    "backup_protection",
    "Backup encryption and off-site copy",
    severity="medium",
    reads=("backup_settings", "backup_repository"),
    fix="Admin console > Backup > Settings: turn on 'Encrypt backup' and choose a "
    "repository off the PBX (SFTP, Google, S3...), or `3cx backups set-backup-settings`.",
)
def backup_protection(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    contents = data["backup_settings"].get("Contents") or {}
    encrypted = bool(contents.get("EncryptBackup"))
    location = (data["backup_repository"].get("Location") or {}).get("FileSystemType") or "Local"
    evidence = {"EncryptBackup": encrypted, "FileSystemType": location}
    missing = [
        w
        for w, ok in (
            ("not encrypted", encrypted),
            ("kept on the PBX only", location not in ("Local", "Logs")),
        )
        if not ok
    ]
    if len(missing) == 2:
        return Finding("fail", "Backups are not encrypted and kept on the PBX only.", evidence)
    if missing:
        return Finding("warn", f"Backups are {missing[0]}.", evidence)
    return Finding("pass", f"Backups are encrypted and copied to {location}.", evidence)


@check(
    "disk_space",
    "Disk space",
    severity="critical",
    reads=("status",),
    fix="Free space: Admin console > Recordings/Backups (archive or delete), or grow the disk.",
    thresholds={"warn_percent": 80, "fail_percent": 90},
)
def disk_space(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    s = data["status"]
    total, free = s.get("TotalDiskSpace") or 0, s.get("FreeDiskSpace")
    if not total or free is None:
        used = float(s.get("DiskUsage") or 0)
    else:
        used = round(100 * (total - free) / total, 1)
    evidence = {"used_percent": used, "TotalDiskSpace": total, "FreeDiskSpace": free}
    status = (
        "fail" if used >= t["fail_percent"] else "warn" if used >= t["warn_percent"] else "pass"
    )
    return Finding(status, f"The disk is {used:g}% full.", evidence)


@check(
    "services",
    "Services running",
    severity="critical",
    reads=("services",),
    fix="Admin console > Services: start the stopped service, or restart it with "
    "`3cx services restart`.",
)
def services(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    stopped = [s.get("Name") for s in data["services"] if s.get("Status") != "Running"]
    evidence = {"services": len(data["services"]), "not_running": stopped}
    if stopped:
        return Finding("fail", f"Not running: {', '.join(map(str, stopped))}.", evidence)
    return Finding("pass", f"All {len(data['services'])} services run.", evidence)


def _release(version: Any) -> tuple[int, ...]:
    parts = [int(p) for p in str(version or "").split(".") if p.isdigit()]
    return tuple(parts[:4])


@check(
    "updates",
    "Updates available",
    severity="medium",
    reads=("updates", "status"),
    fix="Admin console > Updates: install them (`3cx updates install-updates`), after a backup.",
    thresholds={"fail_releases_behind": 2},
)
def updates(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    """Warn on any pending update; fail when the PBX is ``fail_releases_behind`` releases
    (20.0.8 -> 20.0.10 is two) behind the one offered."""
    entries = [e for e in data["updates"].get("Entries") or [] if e.get("OutOfDate")]
    installed = data["status"].get("Version")
    offered = max(
        (e.get("ServerVersion") for e in entries if e.get("Category") == "3CX"),
        key=_release,
        default=None,
    )
    behind = 0
    if offered:
        have, want = _release(installed), _release(offered)
        behind = (
            max(0, (want[:3] or (0,))[-1] - (have[:3] or (0,))[-1]) if have[:2] == want[:2] else 99
        )
    evidence = {
        "pending": [e.get("Name") for e in entries],
        "installed": installed,
        "offered": offered,
        "releases_behind": behind,
    }
    if offered and behind >= t["fail_releases_behind"]:
        return Finding("fail", f"{installed} is {behind} releases behind {offered}.", evidence)
    if entries:
        return Finding("warn", f"{len(entries)} update(s) pending.", evidence)
    return Finding("pass", f"Up to date ({installed}).", evidence)


@check(
    "recordings_storage",
    "Recordings storage",
    severity="high",
    reads=("status",),
    fix="Admin console > Recordings: archive or delete old recordings, raise the quota, "
    "or set auto-delete (`3cx recordings archive`).",
    thresholds={"warn_percent": 80, "fail_percent": 95},
)
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
    if s.get("RecordingStopped") or s.get("RecordingQuotaReached"):
        return Finding("fail", "Recording has stopped: the quota is reached.", evidence)
    if quota and percent >= t["fail_percent"]:
        return Finding("fail", f"Recordings use {percent:g}% of their quota.", evidence)
    if quota and percent >= t["warn_percent"]:
        return Finding("warn", f"Recordings use {percent:g}% of their quota.", evidence)
    return Finding("pass", f"Recordings use {percent:g}% of their quota.", evidence)
