"""Checks of reachability and security: trunks, the TLS certificate, emergency numbers,
console restrictions, anti-hacking and administrators without a second factor.

What each check is (title, severity, reads, fix, thresholds) is in ``checks.toml``; here
is only how it judges, ending in :func:`.registry.first`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .registry import Finding, check, days_until, first, parse_time

__all__ = ["certificate_not_after"]

#: Roles that administer the PBX (Rights.RoleName).
ADMIN_ROLES = frozenset({"system_owners", "system_admins", "group_owners", "admins"})


def _trunk_name(t: dict[str, Any]) -> str:
    return str((t.get("Gateway") or {}).get("Name") or t.get("Number") or t.get("Id"))


@check
def trunk_registration(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    trunks = data["trunks"]
    down = [_trunk_name(x) for x in trunks if not x.get("IsOnline")]
    return first(
        {"trunks": len(trunks), "unregistered": down},
        (not trunks, "warn", "No trunk is configured: no outside calls."),
        (len(down) == len(trunks), "fail", f"No trunk is registered ({', '.join(down)})."),
        (down, "fail", f"Not registered: {', '.join(down)}."),
        (True, "pass", f"All {len(trunks)} trunks are registered."),
    )


def certificate_not_after(pem: str) -> datetime | None:
    """The expiry of the first certificate of a PEM text (None when it is not one)."""
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - the health extra brings it
        return None
    try:
        return x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc
    except ValueError:
        return None


def _certificates(data: dict[str, Any]) -> list[tuple[str, datetime | None, Any]]:
    found = []
    cert = (data["secure_sip"] or {}).get("Certificate") or {}
    contents = cert.get("Contents")
    if cert.get("Name") and cert.get("Concealed") and not contents:
        found.append((f"TLS {cert['Name']} (concealed by the PBX)", None, "concealed"))
    elif isinstance(contents, str) and "BEGIN CERTIFICATE" in contents:
        found.append(
            (f"TLS {cert.get('Name') or 'certificate'}", certificate_not_after(contents), "pem")
        )
    for trunk in data["trunks"]:
        raw = trunk.get("CertificateExpirationDate")
        if raw:
            found.append((f"trunk {_trunk_name(trunk)}", parse_time(raw), raw))
    return found


@check
def certificate_expiry(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    rows: list[dict[str, Any]] = [
        {
            "certificate": name,
            "not_after": when.isoformat() if when else None,
            "days_left": days_until(when, now) if when else None,
        }
        for name, when, _ in _certificates(data)
    ]
    unreadable = [r["certificate"] for r in rows if r["days_left"] is None]
    soonest = min(rows, key=lambda r: r["days_left"] or 0, default={"days_left": 0})
    days = soonest["days_left"] or 0
    text = f"{soonest.get('certificate')} expires in {days:g} days."
    return first(
        {"certificates": rows},
        (not rows, "pass", "No certificate of its own is installed."),
        (unreadable, "unknown", f"Cannot read {', '.join(unreadable)}."),
        (days <= 0, "fail", f"{soonest.get('certificate')} has expired."),
        (days <= t["fail_days"], "fail", text),
        (days <= t["warn_days"], "warn", text),
        (True, "pass", text),
    )


@check
def emergency_numbers(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    rules = data["emergency_rules"]
    routed = [r for r in rules if r.get("Routes") not in (None, [])]
    return first(
        {"rules": [{"Name": r.get("Name"), "Prefix": r.get("Prefix")} for r in rules]},
        (not rules, "fail", "No emergency outbound rule: emergency calls may fail."),
        (not routed, "warn", "Emergency rules exist but route nowhere."),
        (True, "pass", f"{len(rules)} emergency rule(s)."),
    )


@check
def console_restrictions(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    restricted = bool(data["console"].get("AccessRestricted"))
    allowed = list(data["console"].get("IpWhitelist") or [])
    return first(
        {"AccessRestricted": restricted, "IpWhitelist": allowed},
        (not restricted, "warn", "The admin console is open to every IP address."),
        (not allowed, "fail", "Console restricted to an empty list: nobody can log in."),
        (True, "pass", f"The console accepts {len(allowed)} address(es)."),
    )


@check
def anti_hacking(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    a = data["anti_hacking"]
    weak = [
        text
        for text, is_weak in (
            (f"{a.get('HackAuthRequests')} failed logins allowed",
             (a.get("HackAuthRequests") or 0) > t["max_auth_requests"]),
            (f"lock-out of {a.get('HackBlacklistDuration')} s",
             (a.get("HackBlacklistDuration") or 0) < t["min_blacklist_seconds"]),
        )
        if is_weak
    ]  # fmt: skip
    return first(
        {
            k: a.get(k)
            for k in ("SecurityDefenseProgram", "HackAuthRequests", "HackBlacklistDuration")
        },
        (not a.get("SecurityDefenseProgram"), "fail", "The security defence programme is off."),
        (weak, "warn", "Weak limits: " + "; ".join(weak) + "."),
        (True, "pass", "Anti-hacking is on with sound limits."),
    )


def _roles(row: dict[str, Any]) -> set[str]:
    return {str((g.get("Rights") or {}).get("RoleName")) for g in row.get("Groups") or []}


@check
def admin_2fa(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    admins = [u for u in data["users"] if u.get("Enabled", True) and _roles(u) & ADMIN_ROLES]
    without = [str(u.get("Number")) for u in admins if not u.get("Require2FA")]
    return first(
        {"admins": [str(u.get("Number")) for u in admins], "without_2fa": without},
        (without, "fail", f"Admins without 2FA: {', '.join(without)}."),
        (True, "pass", f"All {len(admins)} administrators need 2FA."),
    )


@check
def api_principals(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    """An API client with an administrator's role can change everything: a warning; one
    with the system owner's role that nobody used for ``max_unused_days`` (or ever) is a
    standing key to the whole PBX: a failure."""
    rows = [p for p in data["principals"] if not p.get("IsSystem")]
    broad, stale = [], []
    for p in rows:
        roles = _roles(p) & ADMIN_ROLES
        if not roles or not (p.get("XAPIEnabled") or p.get("CallControlEnabled")):
            continue
        broad.append(str(p.get("Number")))
        used = parse_time(p.get("LastUsed"))
        idle = None if used is None else (now - used).days
        if "system_owners" in roles and (idle is None or idle > t["max_unused_days"]):
            stale.append(str(p.get("Number")))
    return first(
        {"api_clients": len(rows), "broad": broad, "unused_owners": stale},
        (stale, "fail", f"Unused API clients with the owner's role: {', '.join(stale)}."),
        (broad, "warn", f"API clients with an admin role: {', '.join(broad)}."),
        (True, "pass", f"No API client among {len(rows)} has an admin role."),
    )
