"""DN numbering: every extension, queue, ring group, IVR, fax, parking, trunk and group is a
DN whose string ``Number`` is unique across the whole PBX.

Each kind of DN draws automatic numbers from its own range (below).  The ranges follow a
fresh 3CX install with three-digit extensions: users from 100, system DNs in the 800s and
900s, trunks from 10000, shared parkings ``SP0``…, departments ``GRP0000``….  An explicit
Number outside the range is honoured as long as no other DN uses it; the ``Peers`` set
(kept in sync by :mod:`.dns`) is the single index of numbers in use, so the
``GetFirstAvailable*Number()`` functions and automatic assignment can never disagree.
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
    )
}
#: Hot-desking extensions are user DNs with a range of their own.
HOTDESK = DnKind("Users", "Extension", 980, 999)


def used_numbers(state: AppState) -> set[str]:
    """Every DN number in use (one indexed column read from the Peers table)."""
    peers = state.entity_set("Peers")
    rows = state.store.execute(f"SELECT json_extract(data, '$.Number') FROM \"{peers.table}\"")
    return {r[0] for r in rows if r[0] is not None}


def is_used(state: AppState, number: str) -> bool:
    """Whether any DN already has ``number``."""
    return state.entity_set("Peers").find_one(Number=number) is not None


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
    """The next DN Id: all DNs share one Id space, as in the PBX's DN table."""
    peers = state.entity_set("Peers")
    rows = state.store.execute(f'SELECT max(k) FROM "{peers.table}"')
    return int(rows[0][0] or 0) + 1


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
