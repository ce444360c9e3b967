"""The types of configuration object ``3cx state`` manages, as one table.

A state file calls them "kinds" (``--only KINDS``, ``Unknown kinds: ...``); in code
they are :class:`ManagedType`, so the word does not collide with other "kinds"
(a response's shape, an action's effect, a secret's source).

Each :class:`ManagedType` says where a type lives in XAPI (list, create, update and
delete actions), what identifies an object to a person (its natural key:
``Number`` for DNs, ``Name`` for rules and groups), which fields are live or
read-only state that a configuration file must not carry, and which fields
point at other objects by database Id (written by key in a file, so a file
works on any PBX).  The engine (:mod:`.shape`, :mod:`.plan`, :mod:`.apply`)
is generic over this table: supporting another type is one entry here.

Order matters: :data:`MANAGED_TYPES` lists types in dependency order.  Creates and
updates run in this order (a group exists before a user joins it, a user
before a queue names it as agent, a trunk before an inbound rule routes from
it); deletes run in the reverse order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MANAGED_TYPES", "ManagedType", "Ref", "get_type", "select_types", "type_names"]


@dataclass(frozen=True)
class Ref:
    """Items of ``field`` point at objects of type ``target`` by ``id_field`` (a database Id).

    In a file the Id is replaced by the target's key under ``as_name``:
    ``Groups: [{GroupId: 3}]`` becomes ``Groups: [{Group: Sales}]``.  With
    ``id_field`` empty, ``field`` is a plain list of Ids (``GroupIds: [3]``)
    and becomes a list of keys (``GroupIds: [Sales]``).
    """

    field: str
    target: str  # the ManagedType.name pointed at: "groups"
    id_field: str = ""
    as_name: str = ""
    #: Fields of each item the PBX derives from the target (its name, type): not written.
    derived: tuple[str, ...] = ()


@dataclass(frozen=True)
class ManagedType:
    """One type of configuration object (see the module docstring)."""

    name: str  # the document's key: "users"
    list: str  # list action, or the singleton's get action
    update: str
    create: str = ""
    delete: str = ""
    key: tuple[str, ...] = ("Name",)
    expand: tuple[str, ...] = ()
    #: Live, read-only or derived fields: never written to a file, never sent.
    exclude: frozenset[str] = frozenset()
    refs: tuple[Ref, ...] = ()
    #: DNs named by ``{"Number": ...}`` (one, or a list of members), written as numbers.
    number_lists: tuple[str, ...] = ()
    singleton: bool = False
    #: Objects with one of these fields true are never deleted by ``--prune``.
    protected: tuple[str, ...] = ()
    doc: str = ""

    @property
    def key_in_body(self) -> bool:
        """A composite key is a label: its fields stay in the object's body."""
        return len(self.key) > 1

    def label(self, obj: dict[str, object]) -> str:
        """The key a person uses for ``obj`` (a PBX row or a file's body)."""
        if not self.key_in_body:
            return str(obj.get(self.key[0]) or "")
        first, last, *rest = (str(obj.get(k) or "").strip() for k in self.key)
        text = " ".join(p for p in (first, last) if p)
        extra = " ".join(p for p in rest if p)
        if extra:
            text = f"{text} ({extra})" if text else extra
        return text


# Fields every DN carries that describe its live state or are assigned by the PBX.
_DN_LIVE = frozenset({"Id", "IsRegistered", "HasMembers", "CurrentGroupHours", "LastLoginTime"})


def _crud(name: str, entity: str, **fields: Any) -> ManagedType:
    """A type whose actions follow XAPI's naming: ListUser, CreateUser, UpdateUser, DeleteUser."""
    return ManagedType(
        name,
        list=f"List{entity}",
        create=f"Create{entity}",
        update=f"Update{entity}",
        delete=f"Delete{entity}",
        **fields,
    )


# What a PBX adds to a user's group membership from the group itself.
_MEMBER_DERIVED = ("Id", "Name", "Number", "MemberName", "Type", "CanDelete", "GroupRights", "Tags")

MANAGED_TYPES: tuple[ManagedType, ...] = (
    _crud(
        "parameters",
        "Parameter",
        exclude=frozenset({"Id"}),
        doc="custom parameters (Settings > Parameters), by Name",
    ),
    _crud(
        "groups",
        "Group",
        expand=("Rights",),
        # Members are written on the users' side (a user's Groups with its role).
        exclude=_DN_LIVE | {"Number", "Members", "IsDefault"},
        protected=("IsDefault",),
        doc="departments, by Name, with their rights (members and roles are on each user)",
    ),
    _crud(
        "users",
        "User",
        key=("Number",),
        expand=("Groups", "ForwardingProfiles"),
        exclude=_DN_LIVE
        | {"PrimaryGroupId", "CurrentProfileName", "QueueStatus", "DisplayName", "Greetings"},
        refs=(Ref("Groups", "groups", "GroupId", "Group", _MEMBER_DERIVED),),
        doc="extensions, by Number, with group memberships and roles and forwarding profiles",
    ),
    _crud(
        "queues",
        "Queue",
        key=("Number",),
        expand=("Agents", "Managers"),
        exclude=_DN_LIVE,
        number_lists=("Agents", "Managers"),
        doc="call queues, by Number, agents and managers as extension numbers",
    ),
    _crud(
        "ring_groups",
        "RingGroup",
        key=("Number",),
        expand=("Members",),
        exclude=_DN_LIVE,
        number_lists=("Members",),
        doc="ring groups, by Number, members as extension numbers",
    ),
    _crud(
        "ivrs",
        "Receptionist",
        key=("Number",),
        expand=("Forwards",),
        exclude=_DN_LIVE,
        doc="digital receptionists (IVRs), by Number, with their menu; prompts by file name",
    ),
    _crud(
        "trunks",
        "Trunk",
        key=("Number",),
        exclude=_DN_LIVE
        | {"IsOnline", "ConfigurationIssue", "CertificateExpirationDate", "TrunkRegTimes"},
        doc="SIP trunks, by Number (credentials never written: use ${ENV})",
    ),
    _crud(
        "parkings",
        "Parking",
        key=("Number",),
        exclude=_DN_LIVE,
        doc="shared parking places, by Number",
    ),
    _crud(
        "holidays",
        "Holiday",
        exclude=frozenset({"Id"}),
        doc="public holidays, by Name",
    ),
    ManagedType(
        "office_hours",
        list="GetOfficeHours",
        update="UpdateOfficeHours",
        singleton=True,
        doc="the company's office hours, break time and time zone (one object)",
    ),
    _crud(
        "inbound_rules",
        "InboundRule",
        key=("RuleName",),
        expand=("TrunkDN",),
        exclude=frozenset({"Id"}),
        number_lists=("TrunkDN",),
        doc="inbound (DID) rules, by RuleName",
    ),
    _crud(
        "outbound_rules",
        "OutboundRule",
        exclude=frozenset({"Id", "GroupNames"}),
        refs=(
            Ref("GroupIds", "groups"),
            Ref("Routes", "trunks", "TrunkId", "Trunk", ("TrunkName",)),
        ),
        doc="outbound rules, by Name, groups by name and routes by trunk number",
    ),
    _crud(
        "contacts",
        "Contact",
        key=("FirstName", "LastName", "CompanyName"),
        exclude=frozenset({"Id"}),
        doc='company phonebook, by "First Last (Company)"',
    ),
)

_BY_NAME = {k.name: k for k in MANAGED_TYPES}


def type_names() -> list[str]:
    return [k.name for k in MANAGED_TYPES]


def select_types(only: str | list[str] | None) -> list[ManagedType]:
    """Types named in ``only`` (a comma list or a list; None: all), in dependency order."""
    from ..errors import UsageError

    if only is None:
        return list(MANAGED_TYPES)
    names = [n.strip() for n in (only.split(",") if isinstance(only, str) else only)]
    unknown = [n for n in names if n and n not in _BY_NAME]
    if unknown:
        raise UsageError(
            f"Unknown kind{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
            hint="Kinds: " + ", ".join(type_names()) + ".",
        )
    wanted = set(names)
    return [k for k in MANAGED_TYPES if k.name in wanted]


def get_type(name: str) -> ManagedType:
    return _BY_NAME[name]
