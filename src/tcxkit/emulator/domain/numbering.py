"""DN numbering: every extension, queue, ring group, IVR, fax, parking, trunk and group is a
DN whose string ``Number`` is unique across the whole PBX.

Each set of DNs draws automatic numbers from its own range (below).  The ranges follow a
fresh 3CX install with three-digit extensions: users from 100, system DNs in the 800s and
900s, trunks from 10000, shared parkings ``SP0``…, departments ``GRP0000``….  An explicit
Number outside the range is honoured as long as no other DN uses it; the ``Peers`` set
(kept in sync by :mod:`.dns`) is the single index of numbers in use, so the
``GetFirstAvailable*Number()`` functions and automatic assignment can never disagree.

Service principals (the PBX's API clients; ``Pbx.ServicePrincipal`` derives from
``Pbx.DN``) are DNs too, numbered by their client id, but they are no phone-system peer
(``Pbx.PeerType`` has no member for them) and so stay out of ``Peers``: the numbers in
use and the shared Id sequence are read from both tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..registry import Reply, RequestContext, XapiError, handler

if TYPE_CHECKING:
    from ..state import AppState

__all__ = [
    "DN_SETS",
    "HOTDESK",
    "DnSet",
    "first_free",
    "is_used",
    "next_dn_id",
    "used_numbers",
]


@dataclass(frozen=True)
class DnSet:
    """One entity set of DNs (users, queues, ...): its Peers type and its number range."""

    set_name: str
    peer_type: str
    first: int
    last: int
    prefix: str = ""
    width: int = 0
    in_peers: bool = True  # False: not listed in Peers (service principals)

    def format(self, n: int) -> str:
        return f"{self.prefix}{n:0{self.width}d}" if self.width else f"{self.prefix}{n}"

    def candidates(self) -> Iterator[str]:
        for n in range(self.first, self.last + 1):
            yield self.format(n)

    @property
    def range_text(self) -> str:
        return f"{self.format(self.first)}..{self.format(self.last)}"


#: DN sets by entity set name.  Documented in docs/emulator.md ("DN numbering").
DN_SETS: dict[str, DnSet] = {
    dn_set.set_name: dn_set
    for dn_set in (
        DnSet("Users", "Extension", 100, 799),
        DnSet("Queues", "Queue", 800, 849),
        DnSet("RingGroups", "RingGroup", 850, 899),
        DnSet("Receptionists", "IVR", 900, 949),
        DnSet("Fax", "Fax", 950, 979),
        DnSet("Parkings", "Parking", 0, 99, prefix="SP"),
        DnSet("Trunks", "ExternalLine", 10000, 10999),
        DnSet("Groups", "Group", 0, 9999, prefix="GRP", width=4),
        # No automatic numbers: a service principal's Number is its client id.
        DnSet("ServicePrincipals", "None", 1, 0, in_peers=False),
    )
}
#: The DN sets whose tables hold numbers and Ids outside Peers.
_OUTSIDE_PEERS = tuple(k.set_name for k in DN_SETS.values() if not k.in_peers)
#: Hot-desking extensions are user DNs with a range of their own.
HOTDESK = DnSet("Users", "Extension", 980, 999)


def _number_tables(state: AppState) -> list[str]:
    return [state.entity_set(name).table for name in ("Peers", *_OUTSIDE_PEERS)]


def used_numbers(state: AppState) -> set[str]:
    """Every DN number in use (one column read from Peers and the DNs outside it)."""
    union = " UNION ALL ".join(
        f"SELECT json_extract(data, '$.Number') FROM \"{table}\"" for table in _number_tables(state)
    )
    return {r[0] for r in state.store.execute(union) if r[0] is not None}


def is_used(state: AppState, number: str) -> bool:
    """Whether any DN already has ``number``."""
    return any(
        state.entity_set(name).find_one(Number=number) is not None
        for name in ("Peers", *_OUTSIDE_PEERS)
    )


def first_free(state: AppState, dn_set: DnSet) -> str:
    """The lowest free number of ``dn_set``'s range (400 OUT_OF_THE_RANGE when it is full)."""
    used = used_numbers(state)
    for number in dn_set.candidates():
        if number not in used:
            return number
    raise XapiError(
        400,
        f"Number:\nWARNINGS.XAPI.OUT_OF_THE_RANGE (all of {dn_set.range_text} are in use)",
        [("Number", "WARNINGS.XAPI.OUT_OF_THE_RANGE")],
    )


def next_dn_id(state: AppState) -> int:
    """The next DN Id: all DNs share one Id sequence, as in the PBX's DN table.

    Every DN's Id was inserted into Peers or one of the tables outside it, so the
    highest of their never-decreasing sequences is the highest DN Id ever handed out:
    an Id is not reused after a delete, not even the last one.
    """
    return max(state.entity_set(name).next_key() for name in ("Peers", *_OUTSIDE_PEERS))


def _first_available(dn_set: DnSet):  # type: ignore[no-untyped-def]
    def answer(ctx: RequestContext) -> Reply:
        return Reply.json({"Number": first_free(ctx.state, dn_set)})

    return answer


for _op, _dn_set in (
    ("GetFirstAvailableExtensionNumber", DN_SETS["Users"]),
    ("GetFirstAvailableHotdeskingNumber", HOTDESK),
    ("GetFirstAvailableQueueNumber", DN_SETS["Queues"]),
    ("GetFirstAvailableRingGroupNumber", DN_SETS["RingGroups"]),
    ("GetFirstAvailableReceptionistNumber", DN_SETS["Receptionists"]),
    ("GetFirstAvailableTrunkNumber", DN_SETS["Trunks"]),
):
    handler(_op)(_first_available(_dn_set))
