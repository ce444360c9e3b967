"""System status, licence and system parameters, with live counts from the store.

Stored parts (licence key, company, FQDN) live in the app's settings singletons so a
PATCH or a licence replacement sticks; live parts (extensions, trunks, active calls, last
backup) are computed on each read, so they always agree with the entity sets.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..odata import project
from ..registry import Reply, RequestContext, handler, on_start
from .common import iso, now

if TYPE_CHECKING:
    from ..state import AppState

__all__ = ["licence_key"]

FQDN = "acme.3cx.example"
PRODUCT = "3CXPSENT20"  # Enterprise: what XAPI needs


def licence_key(seed: str = "tcxkit") -> str:
    """A key shaped like a 3CX licence key (``XXXX-XXXX-XXXX-XXXX``), fixed per seed.

    It is a secret on a real PBX: the emulator stores and serves it, clients redact it.
    """
    digest = hashlib.sha256(seed.encode()).hexdigest().upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def _licence(state: AppState) -> dict[str, Any]:
    today = now().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "Activated": True,
        "ActiveModules": ["Enterprise", "AI", "CallReports"],
        "AdminEMail": "it@acme.example",
        "CompanyName": "Acme Widgets Ltd",
        "ContactName": "Pat Admin",
        "CountryCode": "GB",
        "CountryName": "United Kingdom",
        "EMail": "it@acme.example",
        "ExpirationDate": iso(today + timedelta(days=300)),
        "LicenseActive": True,
        "LicenseKey": licence_key(state.config.client_id),
        "MaintenanceExpiresAt": iso(today + timedelta(days=300)),
        "MaxSimCalls": 16,
        "ProductCode": PRODUCT,
        "ResellerName": "Example Telecom Partners",
        "SimMeetingParticipants": 25,
        "Support": True,
        "Telephone": "+44 20 7946 0000",
        "Version": state.config.build,
    }


@on_start
def _seed_settings(state: AppState) -> None:
    """A plausible LicenseStatus singleton (deterministic, so a restart writes the same)."""
    if "LicenseStatus" in state.singletons:
        state.set_singleton("LicenseStatus", _licence(state))


def _count(state: AppState, set_name: str, **equals: Any) -> int:
    if set_name not in state.sets:
        return 0
    es = state.entity_set(set_name)
    return len(es.find(**equals)) if equals else len(es)


@handler("GetLicenseStatus")
def get_license_status(ctx: RequestContext) -> Reply:
    return Reply.json(project(ctx.state.singleton("LicenseStatus"), ctx.options))


@handler("GetSystemStatus")
def get_system_status(ctx: RequestContext) -> Reply:
    """SystemStatus with live counts (users, trunks, active calls, last backup)."""
    s = ctx.state
    lic = s.singleton("LicenseStatus")
    backups = s.entity_set("Backups").all() if "Backups" in s.sets else []
    last_backup = max((b.get("CreationTime") or "" for b in backups), default=None)
    users = _count(s, "Users")
    trunks = _count(s, "Trunks")
    status = {
        "Id": 1,
        "FQDN": FQDN,
        "Version": s.config.build,
        "Activated": True,
        "LicenseActive": bool(lic.get("LicenseActive", True)),
        "LicenseKey": lic.get("LicenseKey"),
        "ProductCode": lic.get("ProductCode", PRODUCT),
        "ExpirationDate": lic.get("ExpirationDate"),
        "MaintenanceExpiresAt": lic.get("MaintenanceExpiresAt"),
        "MaxSimCalls": lic.get("MaxSimCalls", 16),
        "MaxUserExtensions": 500,
        "ResellerName": lic.get("ResellerName"),
        "Support": True,
        "UserExtensions": users,
        "ExtensionsTotal": len(s.entity_set("Peers")),
        "ExtensionsRegistered": sum(
            1 for u in s.entity_set("Users").all() if u.get("IsRegistered")
        ),
        "TrunksTotal": trunks,
        "TrunksRegistered": sum(1 for t in s.entity_set("Trunks").all() if t.get("IsOnline")),
        "CallsActive": _count(s, "ActiveCalls"),
        "OutboundRules": _count(s, "OutboundRules"),
        "BackupScheduled": True,
        "LastBackupDateTime": last_backup,
        "AutoUpdateEnabled": True,
        "LastCheckForUpdates": iso(now().replace(minute=0, second=0, microsecond=0)),
        "LastSuccessfulUpdate": iso(now() - timedelta(days=12)),
        "OS": "Linux",
        "Ip": "203.0.113.10",
        "IpV4": "203.0.113.10",
        "IpV6": "",
        "CurrentLocalIp": "10.0.0.5",
        "AvailableLocalIps": "10.0.0.5",
        "LocalIpValid": True,
        "DiskUsage": 23,
        "TotalDiskSpace": 64_000_000_000,
        "FreeDiskSpace": 49_280_000_000,
        "RecordingUsedSpace": 1_250_000_000,
        "RecordingQuota": 10_000_000_000,
        "RecordingQuotaReached": False,
        "RecordingStopped": False,
        "LogUsedSpace": 120_000_000,
        "ChatUsedSpace": 8_000_000,
        "VoicemailQuotaReached": False,
        "VoicemailStopped": False,
        "HasNotRunningServices": False,
        "HasUnregisteredSystemExtensions": False,
        "DBMaintenanceInProgress": False,
        "IsAuditLogEnabled": True,
        "IsChatLogEnabled": True,
        "IsRecordingArchiveEnabled": False,
        "RemoteConfigurationRequired": False,
        "RemoteStorageEnabled": False,
        # The spec's enum (20.0.7+) is NotConfigured|PartiallyConfigured|Configured.
        "RemoteStorageStatus": "NotConfigured",
    }
    from .health import system_status_overrides

    status.update(system_status_overrides(s))  # disk, recordings, services: the health model
    # Older releases lack some of these properties: send only what this release declares.
    declared = s.generator.properties(s.catalog.schemas["Pbx.SystemStatus"]) or {}
    status = {k: v for k, v in status.items() if k in declared}
    return Reply.json(project(status, ctx.options))


def _license_parameters(state: AppState) -> dict[str, Any]:
    lic = state.singleton("LicenseStatus")
    return {
        "CountryCode": lic.get("CountryCode", "GB"),
        "IsBrandingEnabled": False,
        "IsCfdEnabled": True,
        "IsEnterprise": True,
        "IsMaintainceExpired": False,
        "IsProfessional": False,
        "MaxSimCalls": lic.get("MaxSimCalls", 16),
        "ProductCode": lic.get("ProductCode", PRODUCT),
    }


@handler("GetLicenseParameters")
def get_license_parameters(ctx: RequestContext) -> Reply:
    return Reply.json(_license_parameters(ctx.state))


@handler("GetSystemParameters")
def get_system_parameters(ctx: RequestContext) -> Reply:
    s = ctx.state
    return Reply.json(
        {
            "AIVersion": "1.0",
            "Custom1Name": "Custom 1",
            "Custom2Name": "Custom 2",
            "ENL": 3,
            "EmRuleCreationAllowed": True,
            "FQDN": FQDN,
            "FirstExternalPort": 20000,
            "GlobalACPRMSET": "",
            "GlobalLanguage": "EN",
            "HttpPort": 5000,
            "HttpsPort": 5001,
            "IpV6": "",
            "Is3CXFQDN": True,
            "IsChatLogEnabled": True,
            "IsHosted": False,
            "IsHosted3CX": False,
            "IsMulticompanyMode": False,
            "IsRemoteBackup": False,
            "IsStaticIp": True,
            "IsTranscriptionEnabled": False,
            "License": _license_parameters(s),
            "MaxDIDPerTrunk": 1000,
            "PbxExternalHost": FQDN,
            "ProcessorCount": 4,
            "RpsEnabled": True,
            "SipPort": 5060,
            "SipsPort": 5061,
            "StaticIp": "203.0.113.10",
            "StunIp": "203.0.113.10",
            "TunnnelPort": 5090,
            "Version": s.config.build,
            "WebrtcLastPort": 20999,
        }
    )


@handler("SystemHealthStatus")
def system_health(ctx: RequestContext) -> Reply:
    trunks = ctx.entity_set("Trunks").all()
    return Reply.json(
        {
            "Id": 1,
            "Firewall": True,
            "Phones": True,
            "Trunks": all(t.get("IsOnline", True) for t in trunks),
            "CustomTemplatesCount": 0,
            "UnsupportedFirmwaresCount": 0,
        }
    )


@handler("HasSystemOwner")
def has_system_owner(ctx: RequestContext) -> Reply:
    return Reply.json({"value": True})


@handler("ReplaceLicenseKey")
def replace_license_key(ctx: RequestContext) -> Reply:
    """Store a new licence key (the emulator accepts any ``XXXX-XXXX-XXXX-XXXX`` key)."""
    key = str((ctx.body or {}).get("licenseKey") or "")
    parts = key.split("-")
    if len(parts) != 4 or not all(len(p) == 4 and p.isalnum() for p in parts):
        raise ctx.fail(
            400,
            ("licenseKey", "WARNINGS.INVALID"),
            message="licenseKey:\nWARNINGS.INVALID (a licence key looks like XXXX-XXXX-XXXX-XXXX)",
        )
    ctx.state.set_singleton(
        "LicenseStatus", {**ctx.state.singleton("LicenseStatus"), "LicenseKey": key.upper()}
    )
    return Reply.no_content()
