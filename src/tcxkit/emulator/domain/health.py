"""XAPI answers for what health checks read: services, backup settings and the
repository (updates: :mod:`.updates`); the demo's healthy security settings and certificate are seeded here.

The model (and ``/emulator/pbx-health``, which changes it) is :mod:`..healthmodel`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..healthmodel import SERVICES, backup_settings, model, set_certificate
from ..registry import Reply, RequestContext, handler, on_start
from .common import iso, now

if TYPE_CHECKING:
    from ..state import AppState

__all__ = ["system_status_overrides"]


@on_start
def _seed(state: AppState) -> None:
    """Healthy settings a real PBX would show (written once: a stored database keeps its own)."""
    if "health" in state.extra or state.config.data != "demo":
        model(state)
        return
    health = model(state)
    set_certificate(state, health["certificate"]["expires_in_days"])
    if "ConsoleRestrictions" in state.singletons:
        state.set_singleton(
            "ConsoleRestrictions",
            {
                "Id": "console",
                "AccessRestricted": True,
                "MyIpAddress": "198.51.100.7",
                "IpWhitelist": ["198.51.100.7", "203.0.113.0/24"],
            },
        )
    if "AntiHackingSettings" in state.singletons:
        state.set_singleton(
            "AntiHackingSettings",
            {
                "SecurityDefenseProgram": True,
                "HackAuthRequests": 5,
                "HackChallengeRequests": 5,
                "HackBlacklistDuration": 86400,
                "HackBarrierGreen": 100,
                "HackBarrierAmber": 250,
                "HackBarrierRed": 500,
                "MaxRequestPerPeriod": 2000,
                "ThrottlePeriodLength": 30,
            },
        )
    state.extra["backup_settings"] = backup_settings()
    state.extra["backup_repository"] = {
        "Location": {
            "FileSystemType": "Sftp",
            "SftpPath": "sftp://backup.acme.example/3cx",
            "SftpUser": "pbx",
        }
    }


def system_status_overrides(state: AppState) -> dict[str, Any]:
    """The parts of ``GetSystemStatus`` this model owns."""
    h = model(state)
    total = h["disk"]["total_bytes"]
    used = h["disk"]["used_percent"]
    rec = h["recordings"]
    settings = state.extra.get("backup_settings") or {}
    return {
        "DiskUsage": round(used),
        "TotalDiskSpace": total,
        "FreeDiskSpace": int(total * (100 - used) / 100),
        "RecordingQuota": rec["quota_bytes"],
        "RecordingUsedSpace": int(rec["quota_bytes"] * rec["used_percent"] / 100),
        "RecordingStopped": rec["stopped"],
        "RecordingQuotaReached": rec["stopped"] or rec["used_percent"] >= 100,
        "HasNotRunningServices": any(s != "Running" for s in h["services"].values()),
        "BackupScheduled": bool(settings.get("ScheduleEnabled", True)),
    }


@handler("ListServiceInfo")
def list_services(ctx: RequestContext) -> Reply:
    states = model(ctx.state)["services"]
    stamp = iso(now().replace(microsecond=0))
    rows = [
        {
            "Name": name,
            "DisplayName": display,
            "Status": states[name],
            "RestartEnabled": True,
            "StartStopEnabled": name not in ("nginx", "postgresql"),
            "MemoryUsed": 0 if states[name] != "Running" else 90_000_000 + 7_000_000 * i,
            "ThreadCount": 0 if states[name] != "Running" else 20 + i,
            "HandleCount": 0 if states[name] != "Running" else 120 + 9 * i,
            "TotalProcessorTime": 3_600_000 * (i + 1),
            "SampleTime": stamp,
        }
        for i, (name, display) in enumerate(SERVICES)
    ]
    return ctx.collection(rows, len(rows))


@handler("GetBackupSettings")
def get_backup_settings(ctx: RequestContext) -> Reply:
    return Reply.json(ctx.state.extra.setdefault("backup_settings", backup_settings()))


@handler("SetBackupSettings")
def set_backup_settings(ctx: RequestContext) -> Reply:
    body = (ctx.body or {}).get("settings") or ctx.body or {}
    current = ctx.state.extra.setdefault("backup_settings", backup_settings())
    for key, value in body.items():
        if isinstance(value, dict) and isinstance(current.get(key), dict):
            current[key] = {**current[key], **value}
        else:
            current[key] = value
    return Reply.no_content()


@handler("GetBackupRepositorySettings")
def get_backup_repository(ctx: RequestContext) -> Reply:
    return Reply.json(
        ctx.state.extra.setdefault("backup_repository", {"Location": {"FileSystemType": "Local"}})
    )


@handler("GetEmergencyOutboundRules")
def emergency_rules(ctx: RequestContext) -> Reply:
    """The outbound rules marked as emergency ones (what the PBX dials 999/112/911 by)."""
    rules = [r for r in ctx.entity_set("OutboundRules").all() if r.get("EmergencyRule")]
    return ctx.collection(rules, len(rules))
