"""Demo data: a small company's PBX, and a fast generator of call records for scale runs.

``seed(state)`` builds "Acme Widgets": departments, 25 users (extensions 100-124), three
queues with agents, two ring groups, two IVRs, two trunks, parkings, a fax, 50 contacts,
about 3 000 call-log segments over the last four weeks, 20 recordings tied to calls, two
backups and three active calls; office hours, holidays, rules and custom parameters come
from :mod:`.demo_routing`.  Everything is drawn from one seeded ``random.Random``, so
two runs produce the same PBX (only the dates move with today's date).

DNs are created through :mod:`.domain.dns`, the same code the HTTP handlers use, so demo
data obeys numbering and membership rules by construction.  Call records bypass it and go
in with ``insert_many``: ``generate_calls`` produces 100 000 segments in a few seconds.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from .demo_routing import seed_routing
from .domain.common import parse_duration

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["SEED", "CallPlan", "generate_calls", "seed", "seed_scale"]

SEED = 20_0_10
DEMO_CALL_SEGMENTS = 3000
DEMO_DAYS = 28
#: Recorded demo calls unless ``options["recordings"]`` says otherwise.
DEMO_RECORDINGS = 20

_FIRST = [
    "Alice", "Bob", "Carol", "David", "Emma", "Farid", "Grace", "Hiro", "Isla", "Jonas",
    "Kira", "Liam", "Maya", "Noah", "Olivia", "Pavel", "Quinn", "Rosa", "Sam", "Tara",
    "Umar", "Vera", "Will", "Xenia", "Yusuf",
]  # fmt: skip
_LAST = [
    "Archer", "Baker", "Cooper", "Dunn", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Jensen", "Khan", "Larsen", "Moreau", "Novak", "O'Neill", "Petrov", "Quinn", "Rossi",
    "Silva", "Taylor", "Usman", "Varga", "Walsh", "Xu", "Yilmaz",
]  # fmt: skip
_DEPARTMENTS = ["Sales", "Support", "Finance", "Engineering"]
_CONTACT_FIRST = [
    "Aoife", "Ben", "Chloe", "Dev", "Elena", "Femi", "Gus", "Hana", "Ivan", "Jade",
]  # fmt: skip
_CONTACT_LAST = [
    "O'Brien", "Murphy", "Schmidt", "Dubois", "Kowalski", "Tanaka", "Okafor", "Lindqvist",
    "Moreno", "Chen",
]  # fmt: skip
_COMPANIES = ["Globex", "Initech", "Umbrella Supplies", "Stark Freight", "Wayne Logistics"]


# -- call generation ------------------------------------------------------------------------


@dataclass
class CallPlan:
    """The DNs calls are drawn between (numbers and display names)."""

    extensions: list[tuple[str, str]]
    queues: list[tuple[str, str, list[str]]]  # number, name, agent numbers
    trunks: list[tuple[str, str]]
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_state(cls, state: AppState) -> CallPlan:
        peers = state.entity_set("Peers").all()
        ext = [(p["Number"], p["Name"]) for p in peers if p["Type"] == "Extension"]
        trunks = [(p["Number"], p["Name"]) for p in peers if p["Type"] == "ExternalLine"]
        queues = [
            (
                q["Number"],
                q.get("Name") or q["Number"],
                [a["Number"] for a in q.get("Agents") or []],
            )
            for q in state.entity_set("Queues").all()
        ]
        if not ext:  # an empty PBX still gets plausible call records
            ext = [(str(100 + i), f"Extension {100 + i}") for i in range(25)]
        if not trunks:
            trunks = [("10000", "SIP Trunk")]
        plan = cls(ext, [q for q in queues if q[2]], trunks)
        plan.names = {n: name for n, name in ext + trunks}
        plan.names.update({q[0]: q[1] for q in queues})
        return plan


_HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 3, 8, 12, 14, 12, 7, 9, 13, 12, 10, 6, 3, 1, 1, 0, 0, 0]
_HOURS = [h for h, w in enumerate(_HOUR_WEIGHTS) for _ in range(w)]


_DAYS: dict[int, str] = {}


def _stamp(epoch: float) -> str:
    """UTC text in the store's normal form; day prefixes are cached (hot in scale runs)."""
    day, rest = divmod(int(epoch), 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}Z"


@functools.lru_cache(maxsize=8192)
def _dur(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    out = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return out + (f"{secs}S" if secs or out == "PT" else "")


def _phone(rng: random.Random) -> str:
    return f"+44{rng.choice(('20', '161', '121', '113', '7700'))}{rng.randrange(1000000, 9999999)}"


class _Segment(NamedTuple):
    """One planned call segment, before it becomes a row (cheap to make and sort)."""

    at: float  # epoch seconds
    source: str
    source_type: int  # 0 extension, 1 queue, 5 external line
    source_caller: str
    destination: str
    destination_type: int
    destination_caller: str
    answered: bool
    ring: int  # seconds
    talk: int  # seconds
    direction: str  # Inbound, Outbound, Internal
    indent: int  # 0: the call's first segment, 1: a segment below it
    action: str  # the DN acted on (queue or agent), "" for none
    action_type: int


def generate_calls(
    plan: CallPlan,
    count: int,
    *,
    start: datetime,
    end: datetime,
    rng: random.Random,
    first_segment: int = 1,
    first_call: int = 1,
) -> list[dict[str, Any]]:
    """``count`` call segments between two times, in time order.

    Each row carries the ``Pbx.CallLogData`` fields and the ``Pbx.CallHistoryView`` fields
    of its segment (one table serves both views, see :mod:`.domain.calls`).  Mix: 35 %
    inbound through a queue, 15 % inbound direct, 30 % outbound, 20 % internal; weekdays
    in business hours with morning and afternoon peaks; answer rates 70-85 %.
    """
    calls = _plan_calls(plan, count, start, end, rng)  # cheap records, then sorted by time
    rows = numbered_rows(calls, plan, first_call=first_call, first_segment=first_segment)
    del rows[count:]
    return rows


def numbered_rows(
    calls: list[list[_Segment]], plan: CallPlan, *, first_call: int, first_segment: int
) -> list[dict[str, Any]]:
    """Stored rows of ``calls``, sorted by start (in place) then numbered in that order.

    Call and segment ids grow with time, as on a PBX, so an export paging by id meets the
    calls in time order; the basic and the contact-centre mix number them alike here.
    """
    calls.sort(key=lambda c: c[0].at)
    rows: list[dict[str, Any]] = []
    seg_id = first_segment
    for call_id, segs in enumerate(calls, start=first_call):
        for seg in segs:
            rows.append(_segment_row(seg, seg_id, call_id, plan.names))
            seg_id += 1
    return rows


def _plan_calls(
    plan: CallPlan, count: int, start: datetime, end: datetime, rng: random.Random
) -> list[list[_Segment]]:
    """Calls (each a list of segments) until ``count`` segments, in random order."""
    span_days = max(1, (end - start).days)
    base = start.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    end_epoch = end.timestamp()
    weekend_days = {
        d for d in range(span_days) if datetime.fromtimestamp(base + d * 86400, UTC).weekday() >= 5
    }
    calls: list[list[_Segment]] = []
    made = 0
    while made < count:
        day = rng.randrange(span_days)
        if day in weekend_days and rng.random() < 0.85:
            continue
        t = base + day * 86400 + rng.choice(_HOURS) * 3600 + rng.randrange(3600)
        if t >= end_epoch:
            continue
        segs = _plan_call(plan, rng, t)
        if segs:
            calls.append(segs)
            made += len(segs)
    return calls


def _plan_call(plan: CallPlan, rng: random.Random, t: float) -> list[_Segment]:
    """The segments of one call starting at ``t`` (none: an internal call to itself)."""
    talk = min(3600, int(rng.lognormvariate(4.9, 0.9)))
    ring = rng.randrange(3, 30)
    kind = rng.random()
    ext = rng.choice(plan.extensions)[0]
    trunk = rng.choice(plan.trunks)[0]
    if kind < 0.35 and plan.queues:
        q, _qname, agents = rng.choice(plan.queues)
        caller = _phone(rng)
        answered = rng.random() < 0.85
        wait = rng.randrange(5, 45) if answered else rng.randrange(10, 180)
        agent = rng.choice(agents) if answered else ""
        inbound = _Segment(
            at=t, source=trunk, source_type=5, source_caller=caller, destination=q,
            destination_type=1, destination_caller=q, answered=answered, ring=wait,
            talk=talk if answered else 0, direction="Inbound", indent=0, action=agent,
            action_type=0,
        )  # fmt: skip
        if not answered:
            return [inbound]
        taken = _Segment(
            at=t + wait, source=trunk, source_type=5, source_caller=caller, destination=agent,
            destination_type=0, destination_caller=agent, answered=True, ring=ring, talk=talk,
            direction="Inbound", indent=1, action=q, action_type=1,
        )  # fmt: skip
        return [inbound, taken]
    if kind < 0.5:
        answered = rng.random() < 0.75
        return [_Segment(
            at=t, source=trunk, source_type=5, source_caller=_phone(rng), destination=ext,
            destination_type=0, destination_caller=ext, answered=answered, ring=ring,
            talk=talk if answered else 0, direction="Inbound", indent=0, action="",
            action_type=0,
        )]  # fmt: skip
    if kind < 0.8:
        answered = rng.random() < 0.7
        return [_Segment(
            at=t, source=ext, source_type=0, source_caller=ext, destination=trunk,
            destination_type=5, destination_caller=_phone(rng), answered=answered, ring=ring,
            talk=talk if answered else 0, direction="Outbound", indent=0, action="",
            action_type=0,
        )]  # fmt: skip
    other = rng.choice(plan.extensions)[0]
    if other == ext:
        return []
    answered = rng.random() < 0.8
    return [_Segment(
        at=t, source=ext, source_type=0, source_caller=ext, destination=other,
        destination_type=0, destination_caller=other, answered=answered, ring=ring,
        talk=talk // 3 if answered else 0, direction="Internal", indent=0, action="",
        action_type=0,
    )]  # fmt: skip


def _segment_row(seg: _Segment, seg_id: int, call_id: int, names: dict[str, str]) -> dict[str, Any]:
    """A stored row: the CallLogData and CallHistoryView fields of one segment."""
    hid = f"{call_id:08X}"
    cdr = f"00000000-0000-4000-8000-{call_id:012x}"
    started = _stamp(seg.at)
    talk_text = _dur(seg.talk)
    src_name = names.get(seg.source, seg.source_caller)
    dst_name = names.get(seg.destination, seg.destination_caller)
    return {
        "SegmentId": seg_id,
        "CallId": call_id,
        "CdrId": cdr,
        "CallHistoryId": hid,
        "MainCallHistoryId": hid,
        "StartTime": started,
        "SourceDn": seg.source,
        "SourceType": seg.source_type,
        "SourceCallerId": seg.source_caller,
        "SourceDisplayName": src_name,
        "DestinationDn": seg.destination,
        "DestinationType": seg.destination_type,
        "DestinationCallerId": seg.destination_caller,
        "DestinationDisplayName": dst_name,
        "actionDnDn": seg.action,
        "ActionDnType": seg.action_type,
        "ActionDnDisplayName": names.get(seg.action, ""),
        "ActionDnCallerId": seg.action,
        "ActionType": 1 if seg.answered else 0,
        "Answered": seg.answered,
        "Direction": seg.direction,
        "CallType": seg.direction,
        "Status": "Answered" if seg.answered else "Unanswered",
        "Reason": "" if seg.answered else "NoAnswer",
        "RingingDuration": _dur(seg.ring),
        "TalkingDuration": talk_text,
        "CallCost": 0,
        "Indent": seg.indent,
        "SubrowDescNumber": seg.indent,
        "QualityReport": False,
        "SrcRecId": 0,
        "DstRecId": 0,
        # CallHistoryView fields of the same segment
        "SegmentStartTime": started,
        "SegmentEndTime": _stamp(seg.at + seg.ring + seg.talk),
        "SegmentType": 1,
        "SegmentActionId": 1 if seg.answered else 0,
        **_history_side("Src", seg.source, seg.source_type, seg.source_caller, src_name, call_id),
        **_history_side(
            "Dst", seg.destination, seg.destination_type, seg.destination_caller, dst_name, call_id
        ),
        "CallAnswered": seg.answered,
        "CallTime": talk_text,
    }


def _history_side(
    side: str, dn: str, dn_type: int, caller: str, name: str, call_id: int
) -> dict[str, Any]:
    """One party (``side``: ``Src`` or ``Dst``) of a CallHistoryView row; type 5 is a line."""
    return {
        f"{side}Dn": dn,
        f"{side}DnType": dn_type,
        f"{side}CallerNumber": caller,
        f"{side}DisplayName": name,
        f"{side}External": dn_type == 5,
        f"{side}Internal": dn_type != 5,
        f"{side}Id": call_id,
    }


def _insert_calls(state: AppState, rows: list[dict[str, Any]]) -> None:
    from .domain.calls import store_segments

    store_segments(state, rows)


def seed_scale(state: AppState, count: int, *, rng: random.Random | None = None) -> float:
    """Add ``count`` call segments over the last four weeks; returns seconds taken."""
    from .domain.calls import call_log_set

    began = time.perf_counter()
    rng = rng or random.Random(SEED + 1)
    es = call_log_set(state)
    first = int(state.store.execute(f'SELECT coalesce(max(k), 0) FROM "{es.table}"')[0][0]) + 1
    end = datetime.now(UTC)
    plan = CallPlan.from_state(state)
    chunk = 50_000
    made = 0
    while made < count:
        n = min(chunk, count - made)
        rows = generate_calls(
            plan,
            n,
            start=end - timedelta(days=DEMO_DAYS),
            end=end,
            rng=rng,
            first_segment=first + made,
            first_call=1_000_000 + first + made,
        )
        _insert_calls(state, rows)
        made += n
    return time.perf_counter() - began


# -- the company -------------------------------------------------------------------------------


def _users(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, (first, last) in enumerate(zip(_FIRST, _LAST, strict=True)):
        local = f"{first}.{last}".lower().replace("'", "")
        yield {
            "Number": str(100 + i),
            "FirstName": first,
            "LastName": last,
            "EmailAddress": f"{local}@acme.example",
            "Mobile": f"+447700{900000 + i:06d}",
            "OutboundCallerID": "+442079460000",
            "Enabled": True,
            "IsRegistered": rng.random() < 0.8,
            "Language": "EN",
            "AuthID": f"{rng.getrandbits(40):010x}",
            "AuthPassword": f"{rng.getrandbits(48):012x}",
            "VMPIN": f"{rng.randrange(1000, 9999)}",
            "VMEnabled": True,
            "RecordCalls": i % 5 == 0,
            "Require2FA": i < 6,  # owners and managers must use a second factor
            "Enable2FA": i < 6 or i % 4 == 0,
            "Tags": [],
        }


def seed(state: AppState) -> None:
    """Fill an empty store with the demo company (does nothing if users already exist)."""
    from .domain.backups import add_backup
    from .domain.dns import create_dn
    from .domain.numbering import DN_SETS

    if len(state.entity_set("Users")) or len(state.entity_set("Groups")):
        return
    rng = random.Random(SEED)
    with state.store.transaction():
        default = create_dn(state, DN_SETS["Groups"], {"Name": "DEFAULT", "IsDefault": True})
        depts = {
            name: create_dn(state, DN_SETS["Groups"], {"Name": name, "IsDefault": False})
            for name in _DEPARTMENTS
        }
        users = []
        for i, body in enumerate(_users(rng)):
            dept = depts[_DEPARTMENTS[i % len(_DEPARTMENTS)]] if i >= 2 else default
            role = "system_owners" if i == 0 else ("managers" if i < 6 else "users")
            body["Groups"] = [{"GroupId": dept["Id"], "Rights": {"RoleName": role}}]
            users.append(create_dn(state, DN_SETS["Users"], body))
        by_dept: dict[int, list[str]] = {}
        for u in users:
            by_dept.setdefault(u["Groups"][0]["GroupId"], []).append(u["Number"])
        queue_specs = [
            ("Sales Queue", by_dept[depts["Sales"]["Id"]], "LongestWaiting"),
            ("Support Queue", by_dept[depts["Support"]["Id"]], "RingAll"),
            ("Billing Queue", by_dept[depts["Finance"]["Id"]][:3], "Hunt"),
        ]
        for name, agents, strategy in queue_specs:
            create_dn(
                state,
                DN_SETS["Queues"],
                {
                    "Name": name,
                    "PollingStrategy": strategy,
                    "RingTimeout": 20,
                    "MasterTimeout": 300,
                    "SLATime": 60,
                    "Agents": [{"Number": n} for n in agents],
                },
            )
        create_dn(
            state,
            DN_SETS["RingGroups"],
            {"Name": "Reception", "RingStrategy": "RingAll", "RingTime": 20,
             "Members": [{"Number": "100"}, {"Number": "101"}]},
        )  # fmt: skip
        create_dn(
            state,
            DN_SETS["RingGroups"],
            {"Name": "Warehouse", "RingStrategy": "Hunt", "RingTime": 15,
             "Members": [{"Number": n} for n in ("105", "109", "113")]},
        )  # fmt: skip
        create_dn(state, DN_SETS["Receptionists"], {"Name": "Main Menu", "IVRType": "Default",
                                                   "Timeout": 10, "PromptFilename": "main.wav"})  # fmt: skip
        create_dn(state, DN_SETS["Receptionists"], {"Name": "After Hours", "IVRType": "Default",
                                                   "Timeout": 5, "PromptFilename": "closed.wav"})  # fmt: skip
        for name, host, online in (("BT SIP Trunk", "sip.bt.example", True),
                                   ("Twilio Elastic SIP", "acme.pstn.twilio.example", True)):  # fmt: skip
            create_dn(
                state,
                DN_SETS["Trunks"],
                {
                    "Gateway": {"Name": name, "Host": host, "Port": 5060},
                    "Direction": "Both",
                    "IsOnline": online,
                    "SimultaneousCalls": 8,
                    "ExternalNumber": "+442079460000",
                    "DidNumbers": [f"+44207946{n:04d}" for n in range(0, 3)],
                    "Tags": [],
                },
            )
        create_dn(state, DN_SETS["Parkings"], {})
        create_dn(state, DN_SETS["Parkings"], {})
        create_dn(state, DN_SETS["Fax"], {"AuthID": "950", "FaxServer": True})
        state.entity_set("Contacts").insert_many(
            state.with_defaults("Contacts", c) for c in _contacts(rng)
        )
        seed_routing(state)

    end = datetime.now(UTC).replace(microsecond=0)
    plan = CallPlan.from_state(state)
    log = generate_calls(
        plan, DEMO_CALL_SEGMENTS, start=end - timedelta(days=DEMO_DAYS), end=end, rng=rng
    )
    recordings = _recordings(log, plan, rng, _recording_count(state))
    _insert_calls(state, log)
    state.entity_set("Recordings").insert_many(recordings)
    state.entity_set("ActiveCalls").insert_many(_active_calls(plan, end, rng))
    add_backup(state, f"backup-{end - timedelta(days=8):%Y%m%d}-0200", _stamp((end - timedelta(days=8)).replace(hour=2, minute=0, second=0).timestamp()))  # fmt: skip
    add_backup(state, f"backup-{end - timedelta(days=1):%Y%m%d}-0200", _stamp((end - timedelta(days=1)).replace(hour=2, minute=0, second=0).timestamp()))  # fmt: skip
    if state.config.scale and state.config.call_mix == "basic":  # else: domain/seeding.py
        seed_scale(state, int(state.config.scale))


def _contacts(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(50):
        first = _CONTACT_FIRST[i % 10]
        last = _CONTACT_LAST[(i // 10 + i) % 10]
        company = _COMPANIES[i % len(_COMPANIES)]
        yield {
            "FirstName": first,
            "LastName": last,
            "CompanyName": company,
            "Email": f"{first}.{last}".lower().replace("'", "")
            + f"@{company.split()[0].lower()}.example",
            "Business": _phone(rng),
            "Mobile2": _phone(rng) if i % 3 == 0 else "",
            "Title": rng.choice(["Buyer", "Director", "Accounts", "Operations", ""]),
            "Department": rng.choice(["Purchasing", "Finance", "Logistics", ""]),
            "ContactType": "3CX",
            "Tag": "",
        }


def _recording_count(state: AppState) -> int:
    """How many demo calls are recorded: 20, or ``options["recordings"]`` (``--recordings``)."""
    wanted = state.config.options.get("recordings", DEMO_RECORDINGS)
    return max(0, int(wanted))  # type: ignore[call-overload]


def _recordings(
    log: list[dict[str, Any]], plan: CallPlan, rng: random.Random, count: int = 20
) -> list[dict[str, Any]]:
    """``count`` recordings of answered calls (at most one per answered call, so as many as
    the demo has); the call-log segments point back at them.  Rows only: the audio is made
    when a recording is downloaded (emulator/domain/media.py), so 500 cost no start time."""
    answered = [s for s in log if s["Answered"] and s["Indent"] == 0 and s["DestinationType"] != 1]
    picks = rng.sample(answered, min(count, len(answered)))
    rows = []
    for rec_id, seg in enumerate(sorted(picks, key=lambda s: s["StartTime"]), start=1):
        seg["SrcRecId"] = rec_id
        seg["RecordingUrl"] = f"/xapi/v1/Recordings/Pbx.DownloadRecording(recId={rec_id})"
        start = datetime.fromisoformat(seg["StartTime"].replace("Z", "+00:00"))
        talk = parse_duration(seg["TalkingDuration"])
        call_type = {"Inbound": "InboundExternal", "Outbound": "OutboundExternal"}.get(
            seg["Direction"], "Local"
        )
        rows.append(
            {
                "Id": rec_id,
                "StartTime": seg["StartTime"],
                "EndTime": _stamp(start.timestamp() + talk),
                "FromDn": seg["SourceDn"],
                "FromDnType": seg["SourceType"],
                "FromDisplayName": seg["SourceDisplayName"],
                "FromCallerNumber": seg["SourceCallerId"],
                "ToDn": seg["DestinationDn"],
                "ToDnType": seg["DestinationType"],
                "ToDisplayName": seg["DestinationDisplayName"],
                "ToCallerNumber": seg["DestinationCallerId"],
                "CallType": call_type,
                "IsArchived": False,
                "IsTranscribed": False,
                "CanBeTranscribed": True,
                "RecordingUrl": seg["RecordingUrl"],
                "SentimentScore": rng.randrange(1, 6),
                "FromIdParticipant": seg["CallId"],
                "ToIdParticipant": seg["CallId"],
                "RefParticipantId": seg["CallId"],
            }
        )
    return rows


def _active_calls(plan: CallPlan, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(3):
        ext, name = plan.extensions[(i * 7) % len(plan.extensions)]
        began = now - timedelta(seconds=rng.randrange(20, 600))
        rows.append(
            {
                "Id": 1000 + i,
                "Caller": f"{ext} {name}" if i != 1 else _phone(rng),
                "Callee": _phone(rng) if i != 1 else f"{ext} {name}",
                "Status": "Talking" if i != 2 else "Routing",
                "EstablishedAt": _stamp(began.timestamp()),
                "LastChangeStatus": _stamp(began.timestamp() + 5),
                "ServerNow": _stamp(now.timestamp()),
            }
        )
    return rows
