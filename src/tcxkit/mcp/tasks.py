"""Task tools: the questions people ask most, each a few calls on the same client.

They go through :meth:`Toolbox.run`, so the policy, the audit log, redaction
and the result budget apply exactly as for ``call_action``; each answer says
which actions it used, so the model can continue with ``call_action``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ..odata import F
from .budget import fit
from .callhistory import call_history, call_log_period
from .service import Toolbox, ToolFailure

__all__ = [
    "active_calls",
    "call_history",
    "call_log_period",
    "change_queue_agents",
    "find_dn",
    "last_backup",
    "missed_calls",
    "queue_members",
    "ring_groups",
    "system_status",
    "trunk_status",
    "user_forwarding",
]

_NUMBER = re.compile(r"^\+?[0-9*#]+$")
_PUNCT = re.compile(r"[\s\-().]")
#: Agents one change_queue_agents call may add and remove together (a queue's list is
#: read 100 at a time, and the extension check is one $filter).
_MAX_AGENT_CHANGES = 50

#: Fields of a user worth showing when one person is asked for by number.
_USER_FIELDS = (
    "Id,Number,FirstName,LastName,DisplayName,EmailAddress,Mobile,Enabled,IsRegistered,"
    "CurrentProfileName,QueueStatus,OutboundCallerID"
)


def find_dn(tb: Toolbox, query: str, limit: int = 10) -> str:
    """Extensions, queues, ring groups, trunks... whose number starts with, or name contains, ``query``."""
    q = query.strip()
    if not q:
        raise ToolFailure("Give a number (e.g. '104') or part of a name (e.g. 'maria').")
    cat = tb.catalog
    limit = max(1, min(limit, 100))
    flt = F.Number.startswith(q) if _NUMBER.match(q) else F.Name.icontains(q)
    peers = tb.run(
        cat.require("ListPeer"),
        {"filter": flt, "top": limit, "count": True, "select": ["Id", "Number", "Name", "Type"]},
    )
    out: dict[str, Any] = {"matches": peers.get("value", []), "total": peers.get("@odata.count")}
    used = ["ListPeer"]
    exact = [p for p in out["matches"] if p.get("Number") == q and p.get("Type") == "Extension"]
    if exact:
        out["user"] = tb.run(cat.require("GetUserByNumber"), {"number": q, "select": _USER_FIELDS})
        used.append("GetUserByNumber")
    if not out["matches"]:
        how = f"a number starting with {q!r}" if _NUMBER.match(q) else f"a name containing {q!r}"
        out["note"] = (
            f"No DN (user, queue, ring group, IVR, trunk...) has {how}. Try fewer characters, "
            "a first or last name alone, or call_history with the number if it is an "
            "outside caller."
        )
    out["used"] = used
    return fit(tb.reveal(out), tb.budget)


def active_calls(tb: Toolbox) -> str:
    """Calls in progress now."""
    result = tb.run(tb.catalog.require("ListActiveCall"), {"top": 100, "count": True})
    if not result.get("value"):
        return fit(
            {
                "items": [],
                "returned": 0,
                "total": 0,
                "note": "No call is in progress right now (ListActiveCall). For earlier calls "
                "use call_history(period_from='today').",
            },
            tb.budget,
        )
    return fit(tb.reveal(result), tb.budget, action="ListActiveCall")


def system_status(tb: Toolbox) -> str:
    """The PBX's version, licence, calls, extensions and health at a glance."""
    return fit(
        tb.reveal(tb.run(tb.catalog.require("GetSystemStatus"), {}), "GetSystemStatus"), tb.budget
    )


def missed_calls(tb: Toolbox, *args: Any, **kwargs: Any) -> str:
    """Calls none of whose legs was answered: :func:`call_history` with ``missed_only``."""
    return call_history(tb, *args, missed_only=True, **kwargs)


def _one_queue(tb: Toolbox, queue: str) -> dict[str, Any]:
    """The one queue named by number or (part of) name, or a failure that says what to do."""
    q = queue.strip()
    if not q:
        raise ToolFailure("Give a queue number (e.g. '800') or part of its name.")
    flt = F.Number == q if _NUMBER.match(q) else F.Name.icontains(q)
    found = tb.run(
        tb.catalog.require("ListQueue"),
        {"filter": flt, "top": 5, "select": ["Id", "Number", "Name"]},
    ).get("value", [])
    if not found:
        raise ToolFailure(f"No queue {queue!r}; list queues with call_action('ListQueue').")
    if len(found) > 1:
        names = ", ".join(f"{x['Number']} {x['Name']}" for x in found)
        raise ToolFailure(f"{queue!r} matches several queues ({names}); give the number.")
    return found[0]


def queue_members(tb: Toolbox, queue: str) -> str:
    """The agents of a queue given by number (e.g. '800') or name."""
    found = _one_queue(tb, queue)
    agents = tb.run(tb.catalog.require("ListAgents"), {"Id": found["Id"], "top": 100})
    out = {
        "queue": found,
        "agents": agents.get("value", agents),
        "used": ["ListQueue", "ListAgents"],
    }
    return fit(tb.reveal(out), tb.budget)


def change_queue_agents(
    tb: Toolbox, queue: str, add: list[str] | None = None, remove: list[str] | None = None
) -> str:
    """Add and/or remove agents (extension numbers) of a queue: one ``UpdateQueue``.

    A PATCH replaces the whole ``Agents`` list, so the list is read first and sent back
    with the change (agents' skill groups kept).  The write goes through the server's
    policy like ``call_action('UpdateQueue')``: refused, and audited, on a read-only server.
    """
    add = [_PUNCT.sub("", n) for n in add or [] if n.strip()]
    remove = [_PUNCT.sub("", n) for n in remove or [] if n.strip()]
    if not add and not remove:
        raise ToolFailure("Name extensions to add or remove, e.g. add=['104'].")
    if len(add) + len(remove) > _MAX_AGENT_CHANGES:
        raise ToolFailure(
            f"At most {_MAX_AGENT_CHANGES} agents per change; nothing was changed. Split the list."
        )
    cat = tb.catalog
    q = _one_queue(tb, queue)
    before = tb.run(cat.require("ListAgents"), {"Id": q["Id"], "top": 100}).get("value", [])
    numbers = [a.get("Number") for a in before]
    if add:
        flt = F.Type == "Extension"
        flt = flt & _any_number(add)
        known = {
            p["Number"]
            for p in tb.run(
                cat.require("ListPeer"), {"filter": flt, "top": 100, "select": ["Number"]}
            ).get("value", [])
        }
        unknown = [n for n in add if n not in known]
        if unknown:
            raise ToolFailure(
                f"No extension {', '.join(unknown)}; nothing was changed. Find people with find_dn."
            )
    agents = [
        {k: v for k, v in a.items() if k in ("Number", "SkillGroup") and v is not None}
        for a in before
        if a.get("Number") not in remove
    ]
    agents += [{"Number": n} for n in dict.fromkeys(add) if n not in numbers]
    after = [a["Number"] for a in agents]
    out: dict[str, Any] = {
        "queue": {"Number": q["Number"], "Name": q["Name"]},
        "before": numbers,
        "after": after,
        "added": [n for n in after if n not in numbers],
        "removed": [n for n in numbers if n not in after],
    }
    not_there = [n for n in remove if n not in numbers]
    if not_there:
        out["note"] = f"Not agents of this queue, so not removed: {', '.join(not_there)}."
    if after == numbers:
        out["changed"] = False
        out["used"] = ["ListQueue", "ListAgents", "ListPeer"][: 3 if add else 2]
        return fit(out, tb.budget)
    tb.run(cat.require("UpdateQueue"), {"Id": q["Id"], "body": {"Agents": agents}})
    out["changed"] = True
    out["used"] = ["ListQueue", "ListAgents", *(["ListPeer"] if add else []), "UpdateQueue"]
    return fit(tb.reveal(out), tb.budget)


def _any_number(numbers: list[str]) -> Any:
    flt = F.Number == numbers[0]
    for n in numbers[1:]:
        flt = flt | (F.Number == n)
    return flt


#: What a user's forwarding and voicemail consist of (fields the release has are asked).
_FORWARDING_FIELDS = (
    "Id", "Number", "FirstName", "LastName", "Mobile", "CurrentProfileName", "VMEnabled",
    "VMEmailOptions", "VMPlayCallerID", "VMPlayMsgDateTime", "VMDisablePinAuth",
)  # fmt: skip


def user_forwarding(tb: Toolbox, user: str) -> str:
    """A user's active status profile, forwarding rules per profile and voicemail settings."""
    cat = tb.catalog
    u = user.strip()
    if not u:
        raise ToolFailure("Give the user's extension number (e.g. '104') or name.")
    flt = F.Number == u if _NUMBER.match(u) else F.FirstName.icontains(u) | F.LastName.icontains(u)
    fields = _fields_of(tb, "Pbx.User", _FORWARDING_FIELDS)
    found = tb.run(
        cat.require("ListUser"),
        {"filter": flt, "top": 5, "select": fields, "expand": "ForwardingProfiles"},
    ).get("value", [])
    if not found:
        raise ToolFailure(f"No user {user!r}; find people with find_dn.")
    if len(found) > 1:
        names = ", ".join(
            f"{x['Number']} {x.get('FirstName', '')} {x.get('LastName', '')}" for x in found
        )
        raise ToolFailure(f"{user!r} matches several users ({names}); give the number.")
    row = found[0]
    profiles = row.pop("ForwardingProfiles", None) or []
    out: dict[str, Any] = {
        "user": {k: row.get(k) for k in ("Id", "Number", "FirstName", "LastName") if k in row},
        "current_profile": row.get("CurrentProfileName"),
        "forwarding_profiles": profiles,
        "voicemail": {k: v for k, v in row.items() if k.startswith("VM")},
        "used": ["ListUser"],
    }
    if not profiles:
        out["note"] = (
            "The PBX returned no forwarding profiles for this user; "
            f"call_action('ListForwardingProfiles', params={{'Id': {row.get('Id')}}}) reads them directly."
        )
    return fit(tb.reveal(out), tb.budget)


def _fields_of(tb: Toolbox, type_name: str, wanted: tuple[str, ...]) -> list[str]:
    """``wanted`` fields the release's ``type_name`` has (a $select of others is a 400)."""
    from ..catalog.examples import object_properties

    props = object_properties(tb.catalog, {"$ref": f"#/components/schemas/{type_name}"})
    return [f for f in wanted if f in props] or list(wanted[:2])


def ring_groups(tb: Toolbox, query: str | None = None) -> str:
    """Ring groups and who is on them; for an extension number, the groups and queues it is in."""
    cat = tb.catalog
    q = (query or "").strip()
    groups = tb.run(
        cat.require("ListRingGroup"),
        {
            "top": 100,
            "select": ["Id", "Number", "Name", "RingStrategy"],
            "expand": "Members($select=Number,Name)",
        },
    ).get("value", [])
    used = ["ListRingGroup"]
    out: dict[str, Any] = {}
    if not q:
        out["ring_groups"] = groups
    elif any(g.get("Number") == q for g in groups):
        out["ring_groups"] = [g for g in groups if g.get("Number") == q]
    elif _NUMBER.match(q):
        member = [g for g in groups if any(m.get("Number") == q for m in g.get("Members") or [])]
        queues = tb.run(
            cat.require("ListQueue"),
            {"top": 100, "select": ["Id", "Number", "Name"], "expand": "Agents($select=Number)"},
        ).get("value", [])
        used.append("ListQueue")
        out["extension"] = q
        out["ring_groups"] = [{k: v for k, v in g.items() if k != "Members"} for g in member]
        out["queues"] = [
            {k: v for k, v in x.items() if k != "Agents"}
            for x in queues
            if any(a.get("Number") == q for a in x.get("Agents") or [])
        ]
    else:
        out["ring_groups"] = [g for g in groups if q.lower() in str(g.get("Name", "")).lower()]
    if not groups:
        out["note"] = "This PBX has no ring group (ListRingGroup is empty)."
    elif not out["ring_groups"] and not out.get("queues"):
        names = ", ".join(f"{g['Number']} {g['Name']}" for g in groups)
        out["note"] = f"Nothing matches {q!r}. Ring groups of this PBX: {names}."
    out["used"] = used
    return fit(tb.reveal(out), tb.budget)


_TRUNK_FIELDS = (
    "Id", "Number", "Gateway", "IsOnline", "Direction", "SimultaneousCalls", "ExternalNumber",
    "DidNumbers", "ConfigurationIssue",
)  # fmt: skip


def trunk_status(tb: Toolbox) -> str:
    """Every trunk: online or not, its provider host, direction, channels and numbers."""
    trunks = tb.run(
        tb.catalog.require("ListTrunk"),
        {"top": 100, "select": _fields_of(tb, "Pbx.Trunk", _TRUNK_FIELDS)},
    ).get("value", [])
    rows = []
    for t in trunks:
        gw = t.pop("Gateway", None) or {}
        rows.append(
            {"Number": t.get("Number"), "Name": gw.get("Name"), "Host": gw.get("Host"), **t}
        )
    online = sum(1 for t in rows if t.get("IsOnline"))
    out: dict[str, Any] = {
        "summary": f"{online} of {len(rows)} trunks online",
        "trunks": rows,
        "offline": [
            f"{t['Number']} {t.get('Name') or ''}".strip() for t in rows if not t.get("IsOnline")
        ],
        "used": ["ListTrunk"],
    }
    if not rows:
        out["note"] = "This PBX has no trunk (ListTrunk is empty): it cannot call outside."
    return fit(tb.reveal(out), tb.budget)


def last_backup(tb: Toolbox, now: datetime | None = None) -> str:
    """The newest backup (when, how big, how old), how many there are, and the schedule."""
    cat = tb.catalog
    found = tb.run(
        cat.require("ListBackups"), {"top": 1, "count": True, "orderby": "CreationTime desc"}
    )
    rows = found.get("value", [])
    out: dict[str, Any] = {"backups": found.get("@odata.count", len(rows))}
    used = ["ListBackups"]
    if rows:
        last = rows[0]
        out["last"] = last
        try:
            made = datetime.fromisoformat(str(last.get("CreationTime")).replace("Z", "+00:00"))
            age = (now or datetime.now(UTC)) - made
            out["age_hours"] = round(age.total_seconds() / 3600, 1)
        except ValueError:
            pass
    else:
        out["note"] = (
            "This PBX holds no backup. One is made with call_action('Backup') (a write; "
            "asynchronous: it appears in ListBackups when done)."
        )
    settings = cat.get("GetBackupSettings")
    if settings is not None:
        try:
            s = tb.run(settings, {})
            out["schedule"] = {k: s.get(k) for k in ("ScheduleEnabled", "Schedule", "Rotation")}
            used.append("GetBackupSettings")
        except ToolFailure as exc:
            out["schedule"] = f"not readable: {exc}"
    out["used"] = used
    return fit(tb.reveal(out), tb.budget)
