"""The emulated PBX's health: the model behind ``/emulator/pbx-health`` and the writers
that put each change where XAPI reads it.

What a health check reads but XAPI cannot set -- service states, disk and recording
space, offered updates, failed backups -- lives in ``state.extra["health"]``; licence
dates, the TLS certificate and trunk registration go to the singletons and entity sets
XAPI serves.  :mod:`.healthctl` checks a change, :func:`apply` writes it, and
:mod:`.domain.health` answers the XAPI reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["SERVICES", "apply", "backup_settings", "model", "set_certificate"]

_CERT_NAME = "acme.3cx.example"


def now() -> datetime:
    from .domain.common import now as domain_now  # the domain package loads on first use

    return domain_now()


def iso(value: datetime) -> str:
    from .domain.common import iso as domain_iso

    return domain_iso(value)


#: The services of a Linux 3CX V20 (name, display name).
SERVICES = (
    ("3CXPhoneSystem01", "3CX PhoneSystem"),
    ("3CXQueueManager01", "3CX Queue Manager"),
    ("3CXCallFlow01", "3CX Call Flow Server"),
    ("3CXMediaServer", "3CX Media Server"),
    ("3CXIVR01", "3CX Interactive Voice Response"),
    ("3CXSystemService01", "3CX System Service"),
    ("3CXEventNotificationManager", "3CX Event Notification Manager"),
    ("nginx", "Web server (nginx)"),
    ("postgresql", "Database (PostgreSQL)"),
)


def model(state: AppState) -> dict[str, Any]:
    """The health model of this PBX (made with healthy, realistic values on first use)."""
    found = state.extra.get("health")
    if found is None:
        found = {
            "disk": {"total_bytes": 64_000_000_000, "used_percent": 23.0},
            "recordings": {"quota_bytes": 10_000_000_000, "used_percent": 12.5, "stopped": False},
            "services": {name: "Running" for name, _ in SERVICES},
            "updates": {"offered": None, "other": 0},
            "certificate": {"expires_in_days": 74.0},
        }
        state.extra["health"] = found
    return found


@lru_cache(maxsize=16)
def _pem(not_after: datetime) -> str:
    """A self-signed certificate for the PBX's FQDN ending at ``not_after`` (cached: the
    same expiry gives the same text)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    fqdn = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _CERT_NAME)])
    builder = x509.CertificateBuilder(
        issuer_name=fqdn,
        subject_name=fqdn,
        public_key=key.public_key(),
        serial_number=x509.random_serial_number(),
        not_valid_before=min(not_after, now()) - timedelta(days=90),
        not_valid_after=not_after,
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def set_certificate(state: AppState, days: float | None) -> None:
    if "SecureSipSettings" not in state.singletons:
        return
    model(state)["certificate"] = {"expires_in_days": days}
    cert: dict[str, Any]
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


def backup_settings() -> dict[str, Any]:
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
    from .domain.backups import add_backup

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
        set_certificate(state, body["certificate"].get("expires_in_days"))
    if "backups" in body:
        _backups(state, body["backups"])
    if "backup_settings" in body:
        b = body["backup_settings"]
        settings = state.extra.setdefault("backup_settings", backup_settings())
        if "encrypt" in b:
            settings["Contents"] = {**settings["Contents"], "EncryptBackup": b["encrypt"]}
        if "schedule" in b:
            settings["ScheduleEnabled"] = b["schedule"]
        if "repository" in b:
            state.extra["backup_repository"] = {"Location": {"FileSystemType": b["repository"]}}
    return ""
