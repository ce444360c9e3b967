"""What a PBX's health checks read: services, updates, the TLS certificate, backup
settings, disk and recording space, trunk registration and licence dates.

Realistic and healthy by default (the demo company's PBX passes every check but a few
security ones, as a typical PBX would); ``PATCH /emulator/pbx-health``
(:mod:`..healthctl`) changes the model and :func:`apply` writes each change where XAPI
reads it, so a test drives each check to pass, warn and fail over real HTTP.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..healthctl import SERVICES, model
from ..registry import Reply, RequestContext, handler, on_start
from .common import iso, now

if TYPE_CHECKING:
    from ..state import AppState

__all__ = ["apply", "system_status_overrides"]

_CERT_NAME = "acme.3cx.example"


@lru_cache(maxsize=16)
def _pem(not_after: datetime) -> str:
    """A self-signed certificate for the PBX's FQDN ending at ``not_after`` (cached: the
    same expiry gives the same text)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _CERT_NAME)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(not_after, now()) - timedelta(days=90))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _set_certificate(state: AppState, days: float | None) -> None:
    if "SecureSipSettings" not in state.singletons:
        return
    model(state)["certificate"] = {"expires_in_days": days}
    if days is None:
        cert = {"Concealed": False, "Contents": None, "Name": None}
    else:
        end = (now() + timedelta(days=days)).replace(microsecond=0)
        cert = {"Concealed": False, "Contents": _pem(end), "Name": f"{_CERT_NAME}.crt"}
    state.set_singleton(
        "SecureSipSettings",
        {
            "Certificate": cert,
            "PrivateKey": {"Concealed": True, "Contents": None, "Name": f"{_CERT_NAME}.key"},
        },
    )


@on_start
def _seed(state: AppState) -> None:
    """Healthy settings a real PBX would show (written once: a stored database keeps its own)."""
    if "health" in state.extra or state.config.data != "demo":
        model(state)
        return
    health = model(state)
    _set_certificate(state, health["certificate"]["expires_in_days"])
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
    state.extra["backup_settings"] = _backup_settings()
    state.extra["backup_repository"] = {
        "Location": {
            "FileSystemType": "Sftp",
            "SftpPath": "sftp://backup.acme.example/3cx",
            "SftpUser": "pbx",
        }
    }


def _backup_settings() -> dict[str, Any]:
    return {
        "ScheduleEnabled": True,
        "Rotation": 7,
        "Schedule": {"ScheduleType": "Daily", "Time": "02:00:00", "Day": "Monday"},
        "Contents": {
            "CallHistory": True,
            "DisableBackupCompression": False,
            "EncryptBackup": True,
            "FQDN": True,
            "License": True,
            "PhoneProvisioning": True,
            "Prompts": True,
            "Recordings": False,
            "VoiceMails": True,
        },
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


@handler("GetUpdates")
def get_updates(ctx: RequestContext) -> Reply:
    h = model(ctx.state)["updates"]
    build = ctx.state.config.build
    lic = ctx.state.singleton("LicenseStatus") if "LicenseStatus" in ctx.state.singletons else {}
    maint = lic.get("MaintenanceExpiresAt")
    entries = [
        {
            "Category": "3CX",
            "Name": "3CX Phone System",
            "Description": "The PBX itself.",
            "DescriptionLink": "https://www.3cx.com/blog/change-log/",
            "Guid": None,
            "HasExtraDetails": False,
            "Ignore": False,
            "Image": "",
            "UpdateType": None,
            "LocalVersion": build,
            "ServerVersion": h["offered"] or build,
            "OutOfDate": h["offered"] is not None,
        }
    ]
    for i in range(int(h["other"])):
        entries.append(
            {
                **entries[0],
                "Category": "Phones",
                "Name": f"Phone firmware {i + 1}",
                "LocalVersion": "1.0",
                "ServerVersion": "1.1",
                "OutOfDate": True,
            }
        )
    expired = bool(maint) and maint < iso(now())
    return Reply.json(
        {
            "Entries": entries,
            "IsMaintananceExpired": expired,
            "Key": None,
            "LastSuccessfulUpdate": iso((now() - timedelta(days=12)).replace(microsecond=0)),
        }
    )


@handler("GetBackupSettings")
def get_backup_settings(ctx: RequestContext) -> Reply:
    return Reply.json(ctx.state.extra.setdefault("backup_settings", _backup_settings()))


@handler("SetBackupSettings")
def set_backup_settings(ctx: RequestContext) -> Reply:
    body = (ctx.body or {}).get("settings") or ctx.body or {}
    current = ctx.state.extra.setdefault("backup_settings", _backup_settings())
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


def _licence(state: AppState, change: dict[str, Any]) -> None:
    lic = dict(state.singleton("LicenseStatus"))
    today = now().replace(microsecond=0)
    for key, field in (
        ("expires_in_days", "ExpirationDate"),
        ("maintenance_expires_in_days", "MaintenanceExpiresAt"),
    ):
        if key in change:
            days = change[key]
            lic[field] = None if days is None else iso(today + timedelta(days=days))
    if "active" in change:
        lic["LicenseActive"] = change["active"]
    state.set_singleton("LicenseStatus", lic)


def _trunks(state: AppState, change: dict[str, bool]) -> str:
    es = state.entity_set("Trunks")
    rows = es.all()
    for wanted, online in change.items():
        found = [
            t for t in rows if wanted in (t.get("Number"), (t.get("Gateway") or {}).get("Name"))
        ]
        if not found:
            names = [(t.get("Gateway") or {}).get("Name") or t.get("Number") for t in rows]
            return f"no trunk {wanted!r} (trunks: {', '.join(map(str, names))})"
        for t in found:
            es.update(t["Id"], {"IsOnline": online})
    return ""


def _backups(state: AppState, change: dict[str, Any]) -> None:
    from .media import add_backup

    es = state.entity_set("Backups")
    if change.get("clear"):
        for row in es.all():
            es.delete(row["FileName"])
        state.extra["backup_files"] = {}
    for i, item in enumerate(change.get("add") or []):
        created = (now() - timedelta(hours=item["age_hours"])).replace(microsecond=0)
        name = f"backup-{created:%Y%m%d-%H%M%S}-{i}.zip"
        if not item.get("failed"):
            add_backup(state, name, iso(created))
            continue
        state.extra.setdefault("backup_files", {})[name] = b""  # the run died: no archive
        es.insert(
            {
                "FileName": name,
                "CreationTime": iso(created),
                "Size": 0,
                "DownloadLink": f"/backups/{name}",
            }
        )


def apply(state: AppState, body: dict[str, Any]) -> str:
    """Write a checked change (:func:`..healthctl.problem_of`); '' or why it cannot be."""
    h = model(state)
    if "trunks" in body and (problem := _trunks(state, body["trunks"])):
        return problem
    for key in ("disk", "recordings", "updates"):
        h[key].update(body.get(key) or {})
    h["services"].update(body.get("services") or {})
    if "licence" in body:
        _licence(state, body["licence"])
    if "certificate" in body:
        _set_certificate(state, body["certificate"].get("expires_in_days"))
    if "backups" in body:
        _backups(state, body["backups"])
    if "backup_settings" in body:
        b = body["backup_settings"]
        settings = state.extra.setdefault("backup_settings", _backup_settings())
        if "encrypt" in b:
            settings["Contents"] = {**settings["Contents"], "EncryptBackup": b["encrypt"]}
        if "schedule" in b:
            settings["ScheduleEnabled"] = b["schedule"]
        if "repository" in b:
            state.extra["backup_repository"] = {"Location": {"FileSystemType": b["repository"]}}
    return ""
