"""Peers: the read-only view over every DN.

``ListPeer`` and ``GetPeerByNumber`` need no handler: :mod:`.dns` keeps the ``Peers``
set in step with every DN write, so the app's generic set handling (with all OData
options) answers them.  This module adds the two functions that are not plain set
reads.
"""

from __future__ import annotations

from typing import Any

from ..odata import project
from ..registry import Reply, RequestContext, handler
from .common import query_rows

__all__ = ["REPORT_TYPES"]

#: DN types that appear in reports (``IsReportPeers`` / ``GetReportPeers``).
REPORT_TYPES = frozenset({"Extension", "Queue", "RingGroup", "IVR", "ExternalLine", "Fax"})


@handler("RetreivePeersByNumbers")
def retreive_peers_by_numbers(ctx: RequestContext) -> Reply:
    """The peers with the given numbers, in the order asked; unknown numbers are absent."""
    request: dict[str, Any] = (ctx.body or {}).get("peersRequest") or {}
    report_only = bool(request.get("IsReportPeers"))
    peers = ctx.entity_set("Peers")
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number in request.get("DnNumbers") or []:
        text = str(number)
        if text in seen:
            continue
        seen.add(text)
        peer = peers.find_one(Number=text)
        if peer is None or (report_only and peer["Type"] not in REPORT_TYPES):
            continue
        found.append(project(peer, ctx.options, peers.nav_props))
    return ctx.collection(found, len(found) if ctx.options.count else None)


@handler("GetReportPeers")
def get_report_peers(ctx: RequestContext) -> Reply:
    """The DNs a report can be run for (extensions, queues, ring groups, IVRs, trunks)."""
    peers = ctx.entity_set("Peers")
    rows = [p for p in peers.all() if p.get("Type") in REPORT_TYPES]
    for row in rows:
        row.pop("MemberOf", None)
    return query_rows(ctx, rows, "Pbx.Peer", cap=ctx.config.report_cap)
