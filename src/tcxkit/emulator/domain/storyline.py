"""The demo's scripted calls: yesterday (PBX time) always holds the same few calls.

The demo's 3 000 random segments move with today's date, so nothing in them can be
named in a document.  These calls can: they are placed *yesterday in the PBX's time
zone* (:mod:`.clock`), and docs/mcp.md's worked example and the task-tool tests rely on
them.  Each is one logical call (one ``CallId``) of several segments, as 3CX logs it:

=====  ===============================================================================
09:12  +44 113 496 0371 → Sales Queue 800; 104 Emma Evans does not pick up (rings 20 s),
       108 Isla Ito answers: **answered**, not missed
10:05  +44 161 496 0112 → ring group 850 Reception; 100 rings out, 101 Bob Baker answers
11:40  +44 113 496 0371 → Sales Queue 800; 104 and 108 ring, nobody answers: **missed**
14:05  +44 113 496 0371 → 102 Carol Cooper directly, answered
16:20  +44 20 7946 0958 → 104 Emma Evans directly, not answered: **missed**
16:31  104 Emma Evans → +44 20 7946 0958 (calls back), answered
=====  ===============================================================================

Numbers are from Ofcom's ranges reserved for drama (never assigned to anyone).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..registry import on_start
from .calls import DN_TYPES, call_log_set, store_segments
from .clock import local_midnight

if TYPE_CHECKING:
    from ..state import AppState

__all__ = ["STORY_CALLER", "STORY_SEGMENTS", "story_segments"]

#: The caller of three of yesterday's scripted calls, as the trunk presents it.
STORY_CALLER = "+441134960371"

EXT, QUEUE, RING_GROUP, TRUNK = (
    DN_TYPES["Extension"],
    DN_TYPES["Queue"],
    DN_TYPES["RingGroup"],
    DN_TYPES["ExternalLine"],
)

#: (local time, segments): each segment is (offset s, source, destination, answered, ring s,
#: talk s, acted-on DN, indent).  An external party is written with a leading "+".
_CALLS: tuple[tuple[str, tuple[tuple[int, str, str, bool, int, int, str, int], ...]], ...] = (
    ("09:12", (
        (0, STORY_CALLER, "800", True, 32, 245, "108", 0),
        (0, STORY_CALLER, "104", False, 20, 0, "800", 1),
        (20, STORY_CALLER, "108", True, 12, 245, "800", 1),
    )),
    ("10:05", (
        (0, "+441614960112", "850", True, 9, 88, "101", 0),
        (0, "+441614960112", "100", False, 9, 0, "850", 1),
        (0, "+441614960112", "101", True, 9, 88, "850", 1),
    )),
    ("11:40", (
        (0, STORY_CALLER, "800", False, 95, 0, "", 0),
        (0, STORY_CALLER, "104", False, 20, 0, "800", 1),
        (20, STORY_CALLER, "108", False, 20, 0, "800", 1),
    )),
    ("14:05", ((0, STORY_CALLER, "102", True, 7, 190, "", 0),)),
    ("16:20", ((0, "+442079460958", "104", False, 25, 0, "", 0),)),
    ("16:31", ((0, "104", "+442079460958", True, 11, 134, "", 0),)),
)  # fmt: skip

STORY_SEGMENTS = sum(len(segs) for _, segs in _CALLS)
_TRUNK = "10000"


def story_segments(state: AppState, first_segment: int, first_call: int) -> list[dict[str, Any]]:
    """The scripted calls as stored rows, yesterday in the PBX's zone."""
    from ..demo import _Segment, _segment_row

    names = {p["Number"]: p["Name"] for p in state.entity_set("Peers").all()}
    types = {p["Number"]: p["Type"] for p in state.entity_set("Peers").all()}
    yesterday = local_midnight(state.config, 1)
    rows: list[dict[str, Any]] = []
    seg_id = first_segment
    for call_no, (at, segs) in enumerate(_CALLS):
        hour, minute = map(int, at.split(":"))
        start = (yesterday + timedelta(hours=hour, minutes=minute)).timestamp()
        for offset, src, dst, answered, ring, talk, action, indent in segs:
            inbound = src.startswith("+")
            outbound = dst.startswith("+")
            seg = _Segment(
                at=start + offset,
                source=_TRUNK if inbound else src,
                source_type=TRUNK if inbound else EXT,
                source_caller=src,
                destination=_TRUNK if outbound else dst,
                destination_type=TRUNK if outbound else _dn_type(types.get(dst)),
                destination_caller=dst,
                answered=answered,
                ring=ring,
                talk=talk,
                direction="Inbound" if inbound else ("Outbound" if outbound else "Internal"),
                indent=indent,
                action=action,
                action_type=_dn_type(types.get(action)) if action else 0,
            )
            rows.append(_segment_row(seg, seg_id, first_call + call_no, names))
            seg_id += 1
    return rows


def _dn_type(peer_type: str | None) -> int:
    return {"Queue": QUEUE, "RingGroup": RING_GROUP}.get(peer_type or "", EXT)


@on_start
def _story(state: AppState) -> None:
    """Add the scripted calls to a fresh demo PBX (a stored database keeps its own)."""
    if state.config.data != "demo":
        return
    es = call_log_set(state)
    if es.find(SourceCallerId=STORY_CALLER):
        return
    top = state.store.execute(
        f"SELECT coalesce(max(k), 0), coalesce(max(json_extract(data, '$.CallId')), 0) "
        f'FROM "{es.table}"'
    )[0]
    store_segments(state, story_segments(state, int(top[0]) + 1, int(top[1]) + 1))
