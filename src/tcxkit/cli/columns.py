"""Which columns a table or CSV shows, in which order, and how a table fits the terminal.

Three rules, in order:

1. ``--select A,B,C`` is the column list, in the order typed (table and CSV).
2. Otherwise an entity listed in :data:`DEFAULT_COLUMNS` shows the columns a
   person would pick for it (call history: time, from, to, direction,
   duration, answered); CSV puts them first, then every other column.
3. Otherwise the generic choice of :func:`tcxkit.cli.output.table_columns`.

A few columns are derived for tables (``Direction`` of a call history
segment, from which side is external); they are marked in
:data:`DERIVED`.  The defaults are data, one line per entity, so adding an
entity is a one-line change reviewed like any other.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalog import Action

__all__ = ["DEFAULT_COLUMNS", "DERIVED", "Layout", "fit_to_width", "terminal_width"]

#: Entity schema name -> the columns shown by default, in order.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "Pbx.CallHistoryView": (
        "SegmentStartTime", "SrcCallerNumber", "SrcDisplayName", "DstCallerNumber",
        "DstDisplayName", "Direction", "CallTime", "CallAnswered",
    ),
    "Pbx.CallLogData": (
        "StartTime", "SourceCallerId", "SourceDisplayName", "DestinationCallerId",
        "DestinationDisplayName", "Direction", "TalkingDuration", "Status",
    ),
    "Pbx.Recording": (
        "Id", "StartTime", "FromCallerNumber", "FromDisplayName", "ToCallerNumber",
        "ToDisplayName", "CallType", "EndTime",
    ),
    "Pbx.ActiveCall": ("Id", "Caller", "Callee", "Status", "EstablishedAt", "LastChangeStatus"),
    "Pbx.User": (
        "Id", "Number", "FirstName", "LastName", "EmailAddress", "Mobile", "Enabled",
        "IsRegistered",
    ),
    "Pbx.Peer": ("Number", "Name", "Type", "Id"),
    "Pbx.Queue": ("Id", "Number", "Name", "PollingStrategy", "Agents", "IsRegistered"),
    "Pbx.RingGroup": ("Id", "Number", "Name", "RingStrategy", "Members"),
    "Pbx.Group": ("Id", "Number", "Name", "IsDefault", "HasMembers"),
    "Pbx.Trunk": (
        "Id", "Number", "Gateway", "Direction", "IsOnline", "ExternalNumber", "SimultaneousCalls",
    ),
    "Pbx.Receptionist": ("Id", "Number", "Name", "IVRType", "Timeout"),
    "Pbx.Contact": (
        "Id", "FirstName", "LastName", "CompanyName", "PhoneNumber", "Mobile2", "Email",
    ),
    "Pbx.DidNumber": ("Number", "TrunkId", "RoutingRule"),
    "Pbx.BlackListNumber": ("Id", "CallerId", "Description"),
    "Pbx.AuditLog": ("Timestamp", "UserName", "Action", "ObjectType", "ObjectName", "Ip"),
    "Pbx.EventLog": ("TimeGenerated", "Type", "Source", "EventId", "Message"),
    "Pbx.Fax": ("Id", "Number", "OutboundCallerId"),
    "Pbx.Parking": ("Id", "Number"),
}  # fmt: skip


def _call_direction(row: dict[str, Any]) -> str | None:
    src, dst = row.get("SrcExternal"), row.get("DstExternal")
    if src is None or dst is None:
        return None
    if src and not dst:
        return "inbound"
    if dst and not src:
        return "outbound"
    return "external" if src else "internal"


#: Entity -> column computed from other fields (tables only; CSV keeps the data as sent).
DERIVED: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "Pbx.CallHistoryView": {"Direction": _call_direction},
}

#: Columns every --fleet row may have, placed by :meth:`Layout._framed`.
FLEET_COLUMNS = ("pbx", "error")

MIN_CELL = 6  # a column is never cut below this many characters


class Layout:
    """The column choice for one command run (see the module docstring)."""

    def __init__(self, entity: str | None, select: str | None, *, fleet: bool = False) -> None:
        self.entity = entity
        self.select = [c.strip() for c in select.split(",") if c.strip()] if select else None
        self.derived = DERIVED.get(entity or "", {}) if not self.select else {}
        #: ``--fleet``: rows name their PBX (first column) and may be errors (last column).
        self.fleet = fleet

    @classmethod
    def for_action(cls, action: Action, select: Any, *, fleet: bool = False) -> Layout:
        entity = action.response.item if action.response.kind == "collection" else None
        if isinstance(select, list | tuple):
            select = ",".join(select)
        return cls(entity, select if isinstance(select, str) else None, fleet=fleet)

    def _framed(self, cols: list[str]) -> list[str]:
        """With --fleet: ``pbx`` first, ``error`` last, whatever else was chosen."""
        if not self.fleet:
            return cols
        return ["pbx", *(c for c in cols if c not in FLEET_COLUMNS), "error"]

    def _defaults(self, rows: list[dict[str, Any]]) -> list[str] | None:
        wanted = DEFAULT_COLUMNS.get(self.entity or "")
        if not wanted:
            return None
        present = {k for r in rows[:200] for k in r}
        cols = [c for c in wanted if c in present or c in self.derived]
        return cols if len(cols) >= 2 else None

    def table_columns(self, rows: list[dict[str, Any]], fallback: list[str]) -> list[str]:
        return self._framed(self.select or self._defaults(rows) or fallback)

    def csv_columns(self, rows: list[dict[str, Any]], fallback: list[str]) -> list[str]:
        if self.select:
            return self._framed(self.select)
        first = [c for c in self._defaults(rows) or () if c not in self.derived]
        return self._framed(first + [c for c in fallback if c not in first])

    def value(self, row: dict[str, Any], column: str) -> Any:
        error = row.get("error") if column == "error" and self.fleet else None
        if isinstance(error, dict):  # a failed PBX's row: what went wrong, in one cell
            return f"{error.get('type')}: {error.get('message')}"
        if column in row or column not in self.derived:
            return row.get(column)
        return self.derived[column](row)


def terminal_width() -> int | None:
    """Width to fit tables to: $COLUMNS, else the terminal's; None in a pipe."""
    env = os.environ.get("COLUMNS", "")
    if env.isascii() and env.isdigit() and len(env) <= 6 and int(env) > 0:
        return int(env)
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def fit_to_width(
    header: list[str], cells: list[list[str]], width: int, gap: int = 2
) -> tuple[list[str], list[list[str]], int]:
    """Cut the widest cells (with "…") until the table fits; drop trailing columns if
    even ``MIN_CELL`` characters each do not fit.  Returns header, cells, columns dropped."""
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    dropped = 0
    while (
        len(widths) > 1 and sum(min(w, MIN_CELL) for w in widths) + gap * (len(widths) - 1) > width
    ):
        widths.pop()
        dropped += 1
    budget = width - gap * (len(widths) - 1)
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= MIN_CELL:
            break
        widths[widest] -= 1

    n = len(widths)
    shared = [_common_prefix([r[i] for r in cells]) for i in range(n)]
    return (
        [cut_middle(h, w) for h, w in zip(header[:n], widths, strict=True)],
        [[cut_middle(c, w, shared[i]) for i, (c, w) in enumerate(zip(r[:n], widths, strict=True))]
         for r in cells],
        dropped,
    )  # fmt: skip


def _common_prefix(values: list[str]) -> int:
    """How many leading characters all of a column's values share (0 for one value)."""
    if len(values) < 2:
        return 0
    first, last = min(values), max(values)  # the sorted extremes differ first
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return n


def cut_middle(text: str, width: int, shared: int = 0) -> str:
    """``text`` in ``width`` characters, cut in the middle with "…" (ends kept).

    Values of a column often share a start (``keyring:tcxkit/pbx01``, ``…/pbx02``): cutting
    their ends would make every row read the same.  ``shared`` is the length of that
    common start; the cut then falls inside it so the part that differs stays whole
    when it fits.
    """
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    keep = width - 1
    differing = len(text) - shared
    if shared and differing < keep:
        tail = differing + min(shared, (keep - differing) // 2)
    else:
        tail = keep // 2
    head = keep - tail
    return text[:head] + "…" + (text[-tail:] if tail else "")
