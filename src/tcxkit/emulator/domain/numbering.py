"""DN numbering: every extension, queue, ring group, IVR, fax, parking, trunk and group is a
DN whose string ``Number`` is unique across the whole PBX.

Each kind of DN draws automatic numbers from its own range (below).  The ranges follow a
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
    "HOTDESK",
    "KINDS",
    "DnKind",
    "first_free",
    "is_used",
    "next_dn_id",
    "used_numbers",
]


@dataclass(frozen=True)
class DnKind:
    """One kind of DN: its entity set, its Peers type and its automatic number range."""

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


#: Kinds by entity set name.  Documented in docs/emulator.md ("DN numbering").
KINDS: dict[str, DnKind] = {
    kind.set_name: kind
    for kind in (
        DnKind("Users", "Extension", 100, 799),
        DnKind("Queues", "Queue", 800, 849),
        DnKind("RingGroups", "RingGroup", 850, 899),
        DnKind("Receptionists", "IVR", 900, 949),
        DnKind("Fax", "Fax", 950, 979),
        DnKind("Parkings", "Parking", 0, 99, prefix="SP"),
        DnKind("Trunks", "ExternalLine", 10000, 10999),
        DnKind("Groups", "Group", 0, 9999, prefix="GRP", width=4),
        # No automatic numbers: a service principal's Number is its client id.
        DnKind("ServicePrincipals", "None", 1, 0, in_peers=False),
    )
}
#: The DN sets whose tables hold numbers and Ids outside Peers.
_OUTSIDE_PEERS = tuple(k.set_name for k in KINDS.values() if not k.in_peers)
#: Hot-desking extensions are user DNs with a range of their own.
HOTDESK = DnKind("Users", "Extension", 980, 999)


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


def first_free(state: AppState, kind: DnKind) -> str:
    """The lowest free number of ``kind``'s range (400 OUT_OF_THE_RANGE when it is full)."""
    used = used_numbers(state)
    for number in kind.candidates():
        if number not in used:
            return number
    raise XapiError(
        400,
        f"Number:\nWARNINGS.XAPI.OUT_OF_THE_RANGE (all of {kind.range_text} are in use)",
        [("Number", "WARNINGS.XAPI.OUT_OF_THE_RANGE")],
    )


def next_dn_id(state: AppState) -> int:
    """The next DN Id: all DNs share one Id sequence, as in the PBX's DN table.

    Every DN's Id was inserted into Peers or one of the tables outside it, so the
    highest of their never-decreasing sequences is the highest DN Id ever handed out:
    an Id is not reused after a delete, not even the last one.
    """
    return max(state.entity_set(name).next_key() for name in ("Peers", *_OUTSIDE_PEERS))


def _first_available(kind: DnKind):  # type: ignore[no-untyped-def]
    def answer(ctx: RequestContext) -> Reply:
        return Reply.json({"Number": first_free(ctx.state, kind)})

    return answer


for _op, _kind in (
    ("GetFirstAvailableExtensionNumber", KINDS["Users"]),
    ("GetFirstAvailableHotdeskingNumber", HOTDESK),
    ("GetFirstAvailableQueueNumber", KINDS["Queues"]),
    ("GetFirstAvailableRingGroupNumber", KINDS["RingGroups"]),
    ("GetFirstAvailableReceptionistNumber", KINDS["Receptionists"]),
    ("GetFirstAvailableTrunkNumber", KINDS["Trunks"]),
):
    handler(_op)(_first_available(_kind))
