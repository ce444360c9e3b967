"""Checks of reachability and security: trunks, the TLS certificate, emergency numbers,
console restrictions, anti-hacking and administrators without a second factor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .registry import Finding, check, days_until, parse_time

__all__ = ["certificate_not_after"]

#: Roles that administer the PBX (Rights.RoleName).
ADMIN_ROLES = frozenset({"system_owners", "system_admins", "group_owners", "admins"})


def _trunk_name(t: dict[str, Any]) -> str:
    return str((t.get("Gateway") or {}).get("Name") or t.get("Number") or t.get("Id"))


@check(
    "trunk_registration",
    "Trunk registration",
    severity="critical",
    reads=("trunks",),
    fix="Admin console > Voice & Chat (Trunks): open the trunk, check its credentials and "
    "registrar, then re-register (`3cx trunks list-trunk --select Number,IsOnline`).",
)
def trunk_registration(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    trunks = data["trunks"]
    down = [_trunk_name(x) for x in trunks if not x.get("IsOnline")]
    evidence = {"trunks": len(trunks), "unregistered": down}
    if not trunks:
        return Finding("warn", "No trunk is configured: no outside calls.", evidence)
    if len(down) == len(trunks):
        return Finding("fail", f"No trunk is registered ({', '.join(down)}).", evidence)
    if down:
        return Finding("fail", f"Not registered: {', '.join(down)}.", evidence)
    return Finding("pass", f"All {len(trunks)} trunks are registered.", evidence)


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


@check(
    "certificate_expiry",
    "TLS certificate expiry",
    severity="critical",
    reads=("secure_sip", "trunks"),
    fix="Admin console > Settings > Security > Secure SIP: upload the renewed certificate "
    "(`3cx secure-sip-settings update-secure-sip-settings`); a 3CX FQDN renews by itself.",
    thresholds={"warn_days": 21, "fail_days": 7},
)
def certificate_expiry(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    certs = _certificates(data)
    if not certs:
        return Finding("pass", "No certificate of its own is installed.", {"certificates": []})
    rows: list[dict[str, Any]] = [
        {
            "certificate": name,
            "not_after": when.isoformat() if when else None,
            "days_left": days_until(when, now) if when else None,
        }
        for name, when, _ in certs
    ]
    evidence = {"certificates": rows}
    unreadable = [r["certificate"] for r in rows if r["days_left"] is None]
    if unreadable:
        return Finding("unknown", f"Cannot read {', '.join(unreadable)}.", evidence)
    first = min(rows, key=lambda r: r["days_left"])
    days = first["days_left"]
    text = f"{first['certificate']} expires in {days:g} days."
    if days <= 0:
        return Finding("fail", f"{first['certificate']} has expired.", evidence)
    if days <= t["fail_days"]:
        return Finding("fail", text, evidence)
    return Finding("warn" if days <= t["warn_days"] else "pass", text, evidence)


@check(
    "emergency_numbers",
    "Emergency numbers",
    severity="critical",
    reads=("emergency_rules",),
    fix="Admin console > Outbound Rules: add a rule for the emergency numbers (e.g. 112, "
    "911, 999) marked 'Emergency', routed to a registered trunk.",
)
def emergency_numbers(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    rules = data["emergency_rules"]
    routed = [r for r in rules if r.get("Routes") not in (None, [])]
    evidence = {"rules": [{"Name": r.get("Name"), "Prefix": r.get("Prefix")} for r in rules]}
    if not rules:
        return Finding("fail", "No emergency outbound rule: emergency calls may fail.", evidence)
    if not routed:
        return Finding("warn", "Emergency rules exist but route nowhere.", evidence)
    return Finding("pass", f"{len(rules)} emergency rule(s).", evidence)


@check(
    "console_restrictions",
    "Admin console restrictions",
    severity="high",
    reads=("console",),
    fix="Admin console > Settings > Console Restrictions: allow only your office and "
    "management IPs (`3cx console-restrictions update-console-restrictions`).",
)
def console_restrictions(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    c = data["console"]
    allowed = list(c.get("IpWhitelist") or [])
    evidence = {"AccessRestricted": bool(c.get("AccessRestricted")), "IpWhitelist": allowed}
    if not c.get("AccessRestricted"):
        return Finding("warn", "The admin console is open to every IP address.", evidence)
    if not allowed:
        return Finding("fail", "Console restricted to an empty list: nobody can log in.", evidence)
    return Finding("pass", f"The console accepts {len(allowed)} address(es).", evidence)


@check(
    "anti_hacking",
    "Anti-hacking",
    severity="high",
    reads=("anti_hacking",),
    fix="Admin console > Settings > Security > Anti-Hacking: turn on the security defence "
    "programme and keep the failed-login limits low.",
    thresholds={"max_auth_requests": 25, "min_blacklist_seconds": 300},
)
def anti_hacking(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    a = data["anti_hacking"]
    evidence = {
        k: a.get(k) for k in ("SecurityDefenseProgram", "HackAuthRequests", "HackBlacklistDuration")
    }
    if not a.get("SecurityDefenseProgram"):
        return Finding("fail", "The security defence programme is off.", evidence)
    weak = []
    if (a.get("HackAuthRequests") or 0) > t["max_auth_requests"]:
        weak.append(f"{a.get('HackAuthRequests')} failed logins allowed")
    if (a.get("HackBlacklistDuration") or 0) < t["min_blacklist_seconds"]:
        weak.append(f"lock-out of {a.get('HackBlacklistDuration')} s")
    if weak:
        return Finding("warn", "Weak limits: " + "; ".join(weak) + ".", evidence)
    return Finding("pass", "Anti-hacking is on with sound limits.", evidence)


@check(
    "admin_2fa",
    "Administrators without 2FA",
    severity="high",
    reads=("users",),
    fix="Admin console > Users > (the user) > Options: require two-factor authentication "
    "(`3cx users update-user ID --body '{\"Require2FA\": true}'`).",
)
def admin_2fa(data: dict[str, Any], t: dict[str, float], now: datetime) -> Finding:
    admins = [
        u
        for u in data["users"]
        if u.get("Enabled", True)
        and any(
            ((g.get("Rights") or {}).get("RoleName") in ADMIN_ROLES) for g in u.get("Groups") or []
        )
    ]
    without = [str(u.get("Number")) for u in admins if not u.get("Require2FA")]
    evidence = {"admins": [str(u.get("Number")) for u in admins], "without_2fa": without}
    if without:
        return Finding("fail", f"Admins without 2FA: {', '.join(without)}.", evidence)
    return Finding("pass", f"All {len(admins)} administrators need 2FA.", evidence)


def _roles(row: dict[str, Any]) -> set[str]:
    return {str((g.get("Rights") or {}).get("RoleName")) for g in row.get("Groups") or []}


@check(
    "api_principals",
    "API clients with broad rights",
    severity="high",
    reads=("principals",),
    fix="Admin console > Integrations > API: give each API client the lowest role it needs "
    "and delete the unused ones (`3cx service-principals delete-service-principal`).",
    thresholds={"max_unused_days": 90},
)
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
    evidence = {"api_clients": len(rows), "broad": broad, "unused_owners": stale}
    if stale:
        return Finding("fail", f"Unused API clients with the owner's role: {', '.join(stale)}.",
                       evidence)  # fmt: skip
    if broad:
        return Finding("warn", f"API clients with an admin role: {', '.join(broad)}.", evidence)
    return Finding("pass", f"No API client among {len(rows)} has an admin role.", evidence)
