"""The life of a DN: create, update, delete, membership and the Peers view, written once.

Every DN set (Users, Groups, Queues, RingGroups, Receptionists, Fax, Parkings, Trunks,
ServicePrincipals)
goes through the same three handlers, parametrised by its :class:`~.numbering.DnKind`:

* create assigns a shared DN Id and a Number (first free of the kind's range unless one is
  given; a number in use anywhere is 400 ``ALREADY_IN_USE`` on ``Number``);
* update refuses a different Number (400 ``FORBIDDEN_CHANGE``), replaces arrays whole and
  keeps both sides of group membership consistent;
* delete detaches the DN from groups, queues and ring groups, and renaming a user
  refreshes the names copied into queue Agents and ring group Members.

After each write the DN's row in ``Peers`` is rewritten, so ``ListPeer`` gets
``$filter``/``$orderby``/paging from the store for free and is never stale.

Group membership is kept on the users (``User.Groups``) and mirrored into
``Group.Members`` and ``Peers.MemberOf`` on every change from either side.  Deleting a
group that still has members is refused with 400
``WARNINGS.GROUP_WITH_MEMBERS_CANNOT_BE_DELETED`` (a code the PBX itself defines): silently
detaching users would change their rights behind the caller's back.  The default group
cannot be deleted at all (``WARNINGS.GROUP_CANNOT_BE_DELETED``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..registry import Reply, RequestContext, XapiError, handler
from ..validate import REQUIRED
from .numbering import KINDS, DnKind, first_free, is_used, next_dn_id

if TYPE_CHECKING:
    from ..state import AppState

__all__ = [
    "create_dn",
    "delete_dn",
    "display_name",
    "peer_row",
    "set_group_members",
    "sync_peer",
    "update_dn",
]

NOT_FOUND = "WARNINGS.XAPI.NOT_FOUND"
ALREADY_IN_USE = "WARNINGS.XAPI.ALREADY_IN_USE"
FORBIDDEN_CHANGE = "WARNINGS.XAPI.FORBIDDEN_CHANGE"
DEFAULT_ROLE = "users"

#: Properties that report live state or are derived, per DN set: the PBX computes them,
#: so a PATCH may repeat the stored value (GET-modify-PATCH round trips) but not change it.
#: Otherwise a script could "register" a phone and skew SystemStatus counts.
READ_ONLY: dict[str, tuple[str, ...]] = {
    "Users": ("IsRegistered",),
    "Groups": ("HasMembers",),
    "Trunks": ("IsOnline",),
}


# -- names and the Peers view --------------------------------------------------------


def display_name(kind: DnKind, row: dict[str, Any]) -> str:
    """The name a PBX shows for a DN in Peers and reports."""
    number = row.get("Number") or ""
    if kind.set_name == "Users":
        name = f"{row.get('FirstName') or ''} {row.get('LastName') or ''}".strip()
        return name or row.get("DisplayName") or number
    if kind.set_name == "Trunks":
        gateway = row.get("Gateway") or {}
        return gateway.get("Name") or f"Trunk {number}"
    if kind.set_name == "Fax":
        return row.get("Name") or f"Fax {number}"
    if kind.set_name == "Parkings":
        return f"Shared parking {number}"
    return row.get("Name") or number


def _role(entry: dict[str, Any]) -> str:
    rights = entry.get("Rights") or {}
    return str(rights.get("RoleName") or DEFAULT_ROLE)


def peer_row(kind: DnKind, row: dict[str, Any]) -> dict[str, Any]:
    """The Peers entry for a DN row (same Id, Number, Name, Type, MemberOf, Tags)."""
    member_of = []
    primary = row.get("PrimaryGroupId")
    for i, g in enumerate(row.get("Groups") or []):
        member_of.append(
            {
                "GroupID": g.get("GroupId"),
                "Name": g.get("Name"),
                "Number": g.get("Number"),
                "RoleName": _role(g),
                "IsPrimary": g.get("GroupId") == primary if primary else i == 0,
            }
        )
    return {
        "Id": row["Id"],
        "Number": row["Number"],
        "Name": display_name(kind, row),
        "Type": kind.peer_type,
        "Hidden": False,
        "MemberOf": member_of,
        "Tags": row.get("Tags") or [],
    }


def sync_peer(state: AppState, kind: DnKind, row: dict[str, Any]) -> None:
    """Write (insert or replace) the DN's row in Peers (nothing for DNs outside it)."""
    if not kind.in_peers:
        return
    peers = state.entity_set("Peers")
    peer = peer_row(kind, row)
    if peers.get(row["Id"]) is None:
        peers.insert(peer)
    else:
        peers.replace(row["Id"], peer)


# -- membership --------------------------------------------------------------------------


def _user_group_entry(group: dict[str, Any], rights: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "GroupId": group["Id"],
        "Name": group.get("Name"),
        "Number": group.get("Number"),
        "Rights": rights or {"RoleName": DEFAULT_ROLE},
        "CanDelete": not group.get("IsDefault", False),
    }


def _member_entry(user: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    name = display_name(KINDS["Users"], user)
    return {
        "Id": user["Id"],
        "GroupId": entry["GroupId"],
        "Number": user["Number"],
        "Name": name,
        "MemberName": name,
        "Type": "Extension",
        "Rights": entry.get("Rights") or {"RoleName": DEFAULT_ROLE},
        "CanDelete": True,
    }


def _resolve_user_groups(state: AppState, entries: Iterable[Any]) -> list[dict[str, Any]]:
    """Check a user's ``Groups`` array (each names a GroupId) and fill in names."""
    groups = state.entity_set("Groups")
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for entry in entries:
        gid = entry.get("GroupId") if isinstance(entry, dict) else None
        group = groups.get(gid) if gid is not None else None
        if group is None:
            raise XapiError(
                400,
                f"Groups:\n{NOT_FOUND} (no group with GroupId {gid!r}; list them with ListGroup)",
                [("Groups", NOT_FOUND)],
            )
        if group["Id"] in seen:
            continue
        seen.add(group["Id"])
        out.append(_user_group_entry(group, entry.get("Rights")))
    return out


def rebuild_members(state: AppState, group_ids: Iterable[int]) -> None:
    """Recompute ``Members`` of the given groups from the users' ``Groups`` arrays."""
    ids = set(group_ids)
    if not ids:
        return
    members: dict[int, list[dict[str, Any]]] = {gid: [] for gid in ids}
    for user in state.entity_set("Users").all():
        for entry in user.get("Groups") or []:
            if entry.get("GroupId") in members:
                members[entry["GroupId"]].append(_member_entry(user, entry))
    groups = state.entity_set("Groups")
    for gid, rows in members.items():
        if groups.get(gid) is not None:
            groups.update(gid, {"Members": rows, "HasMembers": bool(rows)})


def _primary(entries: list[dict[str, Any]], current: Any) -> int | None:
    ids = [e["GroupId"] for e in entries]
    if current in ids:
        return current
    return ids[0] if ids else None


def set_group_members(state: AppState, group: dict[str, Any], entries: Iterable[Any]) -> None:
    """Make exactly the users named in ``entries`` (by Id or Number) members of ``group``."""
    users = state.entity_set("Users")
    wanted: dict[int, dict[str, Any] | None] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise XapiError(400, f"Members:\n{NOT_FOUND}", [("Members", NOT_FOUND)])
        user = None
        if entry.get("Number") is not None:
            user = users.find_one(Number=str(entry["Number"]))
        elif entry.get("Id") is not None:
            user = users.get(entry["Id"])
        if user is None:
            who = entry.get("Number", entry.get("Id"))
            raise XapiError(
                400,
                f"Members:\n{NOT_FOUND} (no user {who!r}: members are users, named by Number or Id)",
                [("Members", NOT_FOUND)],
            )
        wanted[user["Id"]] = entry.get("Rights")
    gid = group["Id"]
    kind = KINDS["Users"]
    for user in users.all():
        current = list(user.get("Groups") or [])
        has = any(e.get("GroupId") == gid for e in current)
        if user["Id"] in wanted:
            rights = wanted[user["Id"]]
            entry = _user_group_entry(group, rights)
            if has:
                old = next(e for e in current if e.get("GroupId") == gid)
                entry["Rights"] = rights or old.get("Rights") or entry["Rights"]
                current = [entry if e.get("GroupId") == gid else e for e in current]
            else:
                current.append(entry)
        elif has:
            current = [e for e in current if e.get("GroupId") != gid]
        else:
            continue
        patch = {"Groups": current, "PrimaryGroupId": _primary(current, user.get("PrimaryGroupId"))}
        sync_peer(state, kind, users.update(user["Id"], patch))
    rebuild_members(state, [gid])


def _resolve_dn_list(state: AppState, entries: Iterable[Any], target: str) -> list[dict[str, Any]]:
    """Queue ``Agents`` / ring group ``Members``: extensions named by Number (or Id)."""
    peers = state.entity_set("Peers")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in entries:
        peer = None
        if isinstance(entry, dict):
            if entry.get("Number") is not None:
                peer = peers.find_one(Number=str(entry["Number"]))
            elif entry.get("Id") is not None:
                peer = peers.get(entry["Id"])
        if peer is None or peer["Type"] != "Extension":
            who = entry.get("Number", entry.get("Id")) if isinstance(entry, dict) else entry
            raise XapiError(
                400,
                f"{target}:\n{NOT_FOUND} (no extension {who!r})",
                [(target, NOT_FOUND)],
            )
        if peer["Number"] in seen:
            continue
        seen.add(peer["Number"])
        item = {"Id": peer["Id"], "Number": peer["Number"], "Name": peer["Name"], "Tags": []}
        if target == "Agents":
            item["SkillGroup"] = str(entry.get("SkillGroup") or "1")
        out.append(item)
    return out


def _follow_extension(state: AppState, number: str, peer: dict[str, Any] | None) -> None:
    """Keep queue ``Agents`` and ring group ``Members`` in step with one extension.

    Those lists hold copies of the extension's Name (as the PBX sends them), so a rename
    rewrites the copies and a delete (``peer`` None) removes the entries: one place for
    both, so the lists never show a stale or a dead extension.
    """
    for set_name, prop in (("Queues", "Agents"), ("RingGroups", "Members")):
        es = state.entity_set(set_name)
        for row in es.all():
            items = row.get(prop) or []
            if peer is None:
                kept = [i for i in items if i.get("Number") != number]
            else:
                kept = [
                    {**i, "Name": peer["Name"]} if i.get("Number") == number else i for i in items
                ]
            if kept != items:
                es.update(row["Id"], {prop: kept})


# -- create / update / delete -------------------------------------------------------------


def _check_unique_email(state: AppState, body: dict[str, Any], own_id: int | None) -> None:
    email = body.get("EmailAddress")
    if not email:
        return
    other = state.entity_set("Users").find_one(EmailAddress=email)
    if other is not None and other["Id"] != own_id:
        raise XapiError(400, failures=[("EmailAddress", ALREADY_IN_USE)])


def _normalise_arrays(state: AppState, kind: DnKind, body: dict[str, Any]) -> None:
    if kind.set_name == "Queues" and body.get("Agents") is not None:
        body["Agents"] = _resolve_dn_list(state, body["Agents"], "Agents")
    if kind.set_name == "RingGroups" and body.get("Members") is not None:
        body["Members"] = _resolve_dn_list(state, body["Members"], "Members")
    if kind.set_name == "Users" and body.get("Groups") is not None:
        body["Groups"] = _resolve_user_groups(state, body["Groups"])


def create_dn(state: AppState, kind: DnKind, body: dict[str, Any]) -> dict[str, Any]:
    """Create one DN of ``kind`` from a (validated) body; returns the stored row."""
    body = dict(body)
    body.pop("Id", None)
    number = body.get("Number")
    if number in (None, "") and kind.first > kind.last:
        raise XapiError(
            400,
            f"Number:\n{REQUIRED} (a {kind.set_name[:-1]} is numbered by its client id: "
            "give a Number)",
            [("Number", REQUIRED)],
        )
    if number in (None, ""):
        body["Number"] = first_free(state, kind)
    else:
        body["Number"] = str(number)
        if is_used(state, body["Number"]):
            raise XapiError(
                400,
                f"Number:\n{ALREADY_IN_USE} (another DN already has number {body['Number']};"
                f" GetFirstAvailable*Number() names a free one)",
                [("Number", ALREADY_IN_USE)],
            )
    members = body.pop("Members", None) if kind.set_name == "Groups" else None
    if kind.set_name == "Users":
        _check_unique_email(state, body, None)
        if body.get("Groups") is None:
            default = state.entity_set("Groups").find_one(IsDefault=True)
            body["Groups"] = [{"GroupId": default["Id"]}] if default else []
    _normalise_arrays(state, kind, body)
    if kind.set_name == "Users":
        body["PrimaryGroupId"] = _primary(body["Groups"], body.get("PrimaryGroupId"))
    if kind.set_name == "Groups":
        body.setdefault("Members", [])
        body["HasMembers"] = False
    body = state.with_defaults(kind.set_name, body)
    with state.store.transaction():
        body["Id"] = next_dn_id(state)
        row = state.entity_set(kind.set_name).insert(body)
        sync_peer(state, kind, row)
        if kind.set_name == "Users":
            rebuild_members(state, [g["GroupId"] for g in row["Groups"]])
        if kind.set_name == "Groups" and members is not None:
            set_group_members(state, row, members)
        return state.entity_set(kind.set_name).get(row["Id"])  # type: ignore[no-any-return]


def update_dn(state: AppState, kind: DnKind, dn_id: Any, patch: dict[str, Any]) -> None:
    """PATCH one DN: arrays replaced whole, Number and Id fixed, both sides kept in sync."""
    es = state.entity_set(kind.set_name)
    row = es.get(dn_id)
    if row is None:
        raise XapiError(404, failures=[("Id", NOT_FOUND)])
    patch = dict(patch)
    if "Number" in patch and str(patch["Number"]) != row["Number"]:
        raise XapiError(
            400,
            f"Number:\n{FORBIDDEN_CHANGE} (the number of a DN cannot change: "
            f"{row['Number']} -> {patch['Number']}; create a new DN instead)",
            [("Number", FORBIDDEN_CHANGE)],
        )
    if patch.get("Id") is not None and patch["Id"] != row["Id"]:
        raise XapiError(400, failures=[("Id", FORBIDDEN_CHANGE)])
    for prop in READ_ONLY.get(kind.set_name, ()):
        if prop in patch and patch[prop] != row.get(prop):
            raise XapiError(
                400,
                f"{prop}:\n{FORBIDDEN_CHANGE} ({prop} is maintained by the PBX and cannot "
                "be set; leave it out of the PATCH)",
                [(prop, FORBIDDEN_CHANGE)],
            )
    patch.pop("Number", None)
    patch.pop("Id", None)
    members = patch.pop("Members", None) if kind.set_name == "Groups" else None
    if kind.set_name == "Users":
        _check_unique_email(state, patch, row["Id"])
    _normalise_arrays(state, kind, patch)
    with state.store.transaction():
        old_groups = {g.get("GroupId") for g in row.get("Groups") or []}
        if kind.set_name == "Users" and "Groups" in patch:
            patch["PrimaryGroupId"] = _primary(patch["Groups"], row.get("PrimaryGroupId"))
        new = es.update(row["Id"], patch)
        sync_peer(state, kind, new)
        if kind.set_name == "Users":
            if display_name(kind, new) != display_name(kind, row):
                _follow_extension(state, new["Number"], peer_row(kind, new))
            affected = old_groups | {g.get("GroupId") for g in new.get("Groups") or []}
            rebuild_members(state, [g for g in affected if g is not None])
        if kind.set_name == "Groups":
            if members is not None:
                set_group_members(state, new, members)
            elif "Name" in patch:
                _rename_group(state, new)


def _rename_group(state: AppState, group: dict[str, Any]) -> None:
    """A renamed group: refresh the copies of its name on its members."""
    users = state.entity_set("Users")
    for member in group.get("Members") or []:
        user = users.get(member["Id"])
        if user is None:
            continue
        entries = [
            {**e, "Name": group.get("Name")} if e.get("GroupId") == group["Id"] else e
            for e in user.get("Groups") or []
        ]
        sync_peer(state, KINDS["Users"], users.update(user["Id"], {"Groups": entries}))


def delete_dn(state: AppState, kind: DnKind, dn_id: Any) -> None:
    """Delete one DN and everything that points at it (404 when there is none)."""
    es = state.entity_set(kind.set_name)
    row = es.get(dn_id)
    if row is None:
        raise XapiError(404, failures=[("Id", NOT_FOUND)])
    if kind.set_name == "Groups":
        if row.get("IsDefault"):
            raise XapiError(
                400,
                "Id:\nWARNINGS.GROUP_CANNOT_BE_DELETED (the default group always exists)",
                [("Id", "WARNINGS.GROUP_CANNOT_BE_DELETED")],
            )
        if row.get("Members"):
            raise XapiError(
                400,
                "Members:\nWARNINGS.GROUP_WITH_MEMBERS_CANNOT_BE_DELETED "
                f"({len(row['Members'])} members; PATCH the group with Members: [] first)",
                [("Members", "WARNINGS.GROUP_WITH_MEMBERS_CANNOT_BE_DELETED")],
            )
    with state.store.transaction():
        es.delete(row["Id"])
        state.entity_set("Peers").delete(row["Id"])
        if kind.set_name == "Users":
            rebuild_members(state, [g.get("GroupId") for g in row.get("Groups") or []])
            _follow_extension(state, row["Number"], None)


# -- handlers ------------------------------------------------------------------------------


def _create(kind: DnKind):  # type: ignore[no-untyped-def]
    def answer(ctx: RequestContext) -> Reply:
        return Reply.json(create_dn(ctx.state, kind, ctx.body or {}), 201)

    return answer


def _update(kind: DnKind):  # type: ignore[no-untyped-def]
    def answer(ctx: RequestContext) -> Reply:
        update_dn(ctx.state, kind, ctx.params.get("Id"), ctx.body or {})
        return Reply.no_content()

    return answer


def _delete(kind: DnKind):  # type: ignore[no-untyped-def]
    def answer(ctx: RequestContext) -> Reply:
        delete_dn(ctx.state, kind, ctx.params.get("Id"))
        return Reply.no_content()

    return answer


_OPERATION_NAMES = {
    "Users": "User",
    "Groups": "Group",
    "Queues": "Queue",
    "RingGroups": "RingGroup",
    "Receptionists": "Receptionist",
    "Fax": "Fax",
    "Parkings": "Parking",
    "Trunks": "Trunk",
    "ServicePrincipals": "ServicePrincipal",
}
for _set, _noun in _OPERATION_NAMES.items():
    _kind = KINDS[_set]
    handler(f"Create{_noun}")(_create(_kind))
    handler(f"Update{_noun}")(_update(_kind))
    handler(f"Delete{_noun}")(_delete(_kind))


# -- batch deletes -----------------------------------------------------------------------


@handler("BatchDelete")
def batch_delete_users(ctx: RequestContext) -> Reply:
    """``Users/Pbx.BatchDelete``: delete what exists, report the rest per extension."""
    errors = []
    for dn_id in (ctx.body or {}).get("ids") or []:
        try:
            delete_dn(ctx.state, KINDS["Users"], dn_id)
        except XapiError:
            errors.append({"ExtensionNumber": str(dn_id), "Error": NOT_FOUND})
    return ctx.collection(errors)


@handler("BulkFaxDelete")
def bulk_fax_delete(ctx: RequestContext) -> Reply:
    for dn_id in (ctx.body or {}).get("ids") or []:
        if ctx.entity_set("Fax").get(dn_id) is not None:
            delete_dn(ctx.state, KINDS["Fax"], dn_id)
    return Reply.no_content()


def _bulk_delete(ctx: RequestContext) -> Reply:
    """``<Set>/Pbx.Bulk*Delete`` and friends: delete every listed key that exists."""
    set_name = ctx.action.path.strip("/").split("/", 1)[0]
    es = ctx.entity_set(set_name)
    for key in (ctx.body or {}).get("ids") or []:
        es.delete(key)
    return Reply.no_content()


for _op in (
    "DeleteContactsById",
    "BulkRecordingsDelete",
    "BulkInboundRulesDelete",
    "BulkIpsDelete",
    "BulkNumbersDelete",
    "BulkLinksDelete",
):
    handler(_op)(_bulk_delete)


# -- Init* templates -------------------------------------------------------------------------


@handler("InitFax")
def init_fax(ctx: RequestContext) -> Reply:
    """A fax DN template with the next free fax number, ready to POST to /Fax."""
    number = first_free(ctx.state, KINDS["Fax"])
    return Reply.json(
        {
            "Id": 0,
            "Number": number,
            "AuthID": number,
            "AuthPassword": secrets.token_urlsafe(9),
            "FaxServer": False,
            "OutboundCallerId": "",
        }
    )


def _trunk_template(ctx: RequestContext, name: str) -> dict[str, Any]:
    trunk = ctx.state.generator.entity("Pbx.Trunk", f"init-{name}")
    gateway = dict(trunk.get("Gateway") or {})
    gateway.update({"Id": 0, "Name": name, "Host": "sip.example.net", "Port": 5060})
    trunk.update(
        {
            "Id": 0,
            "Number": first_free(ctx.state, KINDS["Trunks"]),
            "Gateway": gateway,
            "Groups": [],
            "DidNumbers": [],
            "ReceiveExtensions": [],
            "RoutingRules": [],
            "EmergencyGeoLocations": [],
            "IsOnline": False,
            "SimultaneousCalls": 10,
            "Tags": [],
        }
    )
    return trunk


@handler("InitTrunk")
def init_trunk(ctx: RequestContext) -> Reply:
    template = str(ctx.params.get("template") or "generic")
    stem = template.rsplit("/", 1)[-1].removesuffix(".pv.xml").removesuffix(".xml")
    return Reply.json(_trunk_template(ctx, stem or "Generic SIP trunk"))


@handler("InitMasterBridge")
def init_master_bridge(ctx: RequestContext) -> Reply:
    return Reply.json(_trunk_template(ctx, "Bridge (master)"))


@handler("InitSlaveBridge")
def init_slave_bridge(ctx: RequestContext) -> Reply:
    return Reply.json(_trunk_template(ctx, "Bridge (slave)"))
