"""A contact centre's call mix for scale runs: multi-leg calls as 3CX logs them.

``--scale N --call-mix contact-centre`` fills the call log with calls of several legs
each, so exports (docs/exports.md) have something real to stitch back together:

* **queue** (40 %): the caller's leg to the queue (``Indent`` 0, ``actionDnDn`` = the
  agent who took it), one leg per agent who rang without answering, the leg of the agent
  who answered (``actionDnDn`` = the queue); a fifth of answered queue calls are then
  **transferred**: a leg to the colleague whose ``actionDnDn`` is the agent who
  transferred it;
* **overflow** (10 %): the queue times out and hands the call to a second queue or a ring
  group (a second queue leg), whose agent may answer;
* **ring group** (10 %): every member's leg starts at once, one answers (or none);
* **direct / outbound / internal** (40 %): one leg each, as the basic mix.

A call nobody answers on any leg is **missed**.  The same seeded ``random.Random``
gives the same calls for the same arguments, and rows are built by the basic mix's
``_segment_row``, so every report and view reads them as it reads the demo's calls.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .demo import _HOURS, DEMO_DAYS, SEED, CallPlan, _phone, _Segment, numbered_rows

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["CALL_MIXES", "contact_centre_calls", "ring_groups", "seed_contact_centre"]

#: The ``--call-mix`` choices.
CALL_MIXES = ("basic", "contact-centre")

_EXT, _QUEUE, _RING_GROUP, _TRUNK = 0, 1, 2, 5


def ring_groups(state: AppState) -> list[tuple[str, list[str]]]:
    """Ring groups with members, as (number, member numbers)."""
    return [
        (g["Number"], [m["Number"] for m in g.get("Members") or []])
        for g in state.entity_set("RingGroups").all()
        if g.get("Members")
    ]


class _Mix:
    """One call at a time, drawn from ``rng``; knows the PBX's DNs."""

    def __init__(self, plan: CallPlan, groups: list[tuple[str, list[str]]], rng: random.Random):
        self.plan = plan
        self.groups = groups
        self.rng = rng

    def leg(
        self, at: float, src: tuple[str, int, str], dst: str, dst_type: int, **kw: Any
    ) -> _Segment:
        """A leg from ``src`` (DN, type, caller id) to ``dst``; ``kw`` the rest."""
        inbound = src[1] == _TRUNK
        return _Segment(
            at=at,
            source=src[0],
            source_type=src[1],
            source_caller=src[2],
            destination=dst,
            destination_type=dst_type,
            destination_caller=kw.pop("callee", dst),
            answered=kw.pop("answered"),
            ring=kw.pop("ring"),
            talk=kw.pop("talk", 0),
            direction=kw.pop("direction", "Inbound" if inbound else "Internal"),
            indent=kw.pop("indent", 1),
            action=kw.pop("action", ""),
            action_type=kw.pop("action_type", _EXT),
        )

    def call(self, t: float) -> list[_Segment]:
        kind = self.rng.random()
        if kind < 0.4 and self.plan.queues:
            return self.queue_call(t, overflow=False)
        if kind < 0.5 and self.plan.queues:
            return self.queue_call(t, overflow=True)
        if kind < 0.6 and self.groups:
            return self.ring_group_call(t)
        return self.single_leg(t, kind)

    def talk(self) -> int:
        return min(3600, int(self.rng.lognormvariate(4.9, 0.9)))

    def queue_call(self, t: float, *, overflow: bool) -> list[_Segment]:
        rng = self.rng
        caller = (rng.choice(self.plan.trunks)[0], _TRUNK, _phone(rng))
        q, _name, agents = rng.choice(self.plan.queues)
        if overflow:
            wait = rng.randrange(60, 180)
            first = self.leg(t, caller, q, _QUEUE, answered=False, ring=wait, indent=0)
            legs = [first, *self.agents_ring(t, caller, q, agents, wait, answer=False)]
            if self.groups and rng.random() < 0.5:
                target, members = rng.choice(self.groups)
                target_type = _RING_GROUP
            else:
                target, _n, members = rng.choice(self.plan.queues)
                target_type = _QUEUE
            return legs + self.queue_legs(t + wait, caller, target, target_type, members, indent=1)
        return self.queue_legs(t, caller, q, _QUEUE, agents, indent=0)

    def queue_legs(
        self, t: float, caller: tuple[str, int, str], q: str, q_type: int, agents: list[str],
        *, indent: int,
    ) -> list[_Segment]:  # fmt: skip
        """The leg to a queue (or ring group) and its agents' legs; maybe a transfer."""
        rng = self.rng
        answered = rng.random() < 0.85
        misses = rng.randrange(0, min(3, len(agents)))
        wait = 15 * misses + rng.randrange(3, 15)
        head, talk, agent = self.head_leg(
            t, caller, (q, q_type), agents, answered=answered, ring=wait, indent=indent
        )
        legs = [head]
        rang = [a for a in agents if a != agent][:misses]
        legs += self.agents_ring(t, caller, q, rang, wait, answer=False, q_type=q_type)
        if not answered:
            return legs
        legs.append(
            self.leg(
                t + wait,
                caller,
                agent,
                _EXT,
                answered=True,
                ring=rng.randrange(2, 10),
                talk=talk,
                action=q,
                action_type=q_type,
            )
        )
        if rng.random() < 0.2:
            others = [e for e, _ in self.plan.extensions if e != agent]
            to = rng.choice(others)
            took = rng.random() < 0.8
            legs.append(
                self.leg(
                    t + wait + talk,
                    caller,
                    to,
                    _EXT,
                    answered=took,
                    ring=rng.randrange(3, 20),
                    talk=self.talk() if took else 0,
                    action=agent,
                    action_type=_EXT,
                )
            )
        return legs

    def head_leg(
        self, t: float, caller: tuple[str, int, str], target: tuple[str, int], members: list[str],
        *, answered: bool, ring: int, indent: int,
    ) -> tuple[_Segment, int, str]:  # fmt: skip
        """The leg to a queue or ring group: it, the talk time and who took it ("" none).

        Draws the talk time, then the taker, from the mix's one random stream -- the
        order both callers always used, so a seed still makes the same calls.
        """
        talk = self.talk() if answered else 0
        taker = self.rng.choice(members) if answered else ""
        leg = self.leg(t, caller, target[0], target[1], answered=answered, ring=ring, talk=talk,
                       indent=indent, action=taker)  # fmt: skip
        return leg, talk, taker

    def agents_ring(
        self, t: float, caller: tuple[str, int, str], q: str, agents: list[str], wait: int,
        *, answer: bool, q_type: int = _QUEUE,
    ) -> list[_Segment]:  # fmt: skip
        """Unanswered legs of agents the queue rang one after another, 15 s each."""
        return [
            self.leg(
                t + 15 * i,
                caller,
                a,
                _EXT,
                answered=answer,
                ring=min(15, wait),
                action=q,
                action_type=q_type,
            )
            for i, a in enumerate(agents[: max(1, wait // 15)])
        ]

    def ring_group_call(self, t: float) -> list[_Segment]:
        rng = self.rng
        caller = (rng.choice(self.plan.trunks)[0], _TRUNK, _phone(rng))
        group, members = rng.choice(self.groups)
        answered = rng.random() < 0.8
        ring = rng.randrange(3, 20)
        head, talk, taker = self.head_leg(
            t, caller, (group, _RING_GROUP), members, answered=answered, ring=ring, indent=0
        )
        legs = [head]
        for m in members:
            took = m == taker
            legs.append(
                self.leg(
                    t,
                    caller,
                    m,
                    _EXT,
                    answered=took,
                    ring=ring,
                    talk=talk if took else 0,
                    action=group,
                    action_type=_RING_GROUP,
                )
            )
        return legs

    def single_leg(self, t: float, kind: float) -> list[_Segment]:
        rng = self.rng
        ext = rng.choice(self.plan.extensions)[0]
        trunk = rng.choice(self.plan.trunks)[0]
        ring = rng.randrange(3, 30)
        if kind < 0.72:
            took = rng.random() < 0.75
            return [self.leg(t, (trunk, _TRUNK, _phone(rng)), ext, _EXT, answered=took,
                             ring=ring, talk=self.talk() if took else 0, indent=0)]  # fmt: skip
        if kind < 0.9:
            took = rng.random() < 0.7
            return [self.leg(t, (ext, _EXT, ext), trunk, _TRUNK, callee=_phone(rng),
                             answered=took, ring=ring, talk=self.talk() if took else 0,
                             direction="Outbound", indent=0)]  # fmt: skip
        other = rng.choice(self.plan.extensions)[0]
        if other == ext:
            return []
        took = rng.random() < 0.8
        return [self.leg(t, (ext, _EXT, ext), other, _EXT, answered=took, ring=ring,
                         talk=self.talk() // 3 if took else 0, indent=0)]  # fmt: skip


def contact_centre_calls(
    plan: CallPlan,
    groups: list[tuple[str, list[str]]],
    count: int,
    *,
    start: datetime,
    end: datetime,
    rng: random.Random,
    first_segment: int,
    first_call: int,
) -> list[dict[str, Any]]:
    """Whole calls until at least ``count`` legs, between two times, as stored rows.

    Unlike the basic mix no call is cut short at ``count``: an export test compares whole
    calls, so the last call keeps all its legs (a few rows more than asked).
    """
    mix = _Mix(plan, groups, rng)
    base = start.timestamp()
    span = max(1.0, end.timestamp() - base)
    days = max(1, int(span // 86400))
    calls: list[list[_Segment]] = []
    made = 0
    while made < count:
        t = base + rng.randrange(days) * 86400 + rng.choice(_HOURS) * 3600 + rng.randrange(3600)
        if t >= base + span:
            continue
        legs = mix.call(t)
        if legs:
            calls.append(legs)
            made += len(legs)
    return numbered_rows(calls, plan, first_call=first_call, first_segment=first_segment)


def seed_contact_centre(state: AppState, count: int) -> float:
    """Add at least ``count`` legs of this mix over the last four weeks; seconds taken."""
    from .domain.calls import call_log_set, store_segments

    began = time.perf_counter()
    es = call_log_set(state)
    top = state.store.execute(
        f"SELECT coalesce(max(k), 0), coalesce(max(json_extract(data, '$.CallId')), 0) "
        f'FROM "{es.table}"'
    )[0]
    plan = CallPlan.from_state(state)
    plan.names.update({g["Number"]: g["Name"] for g in state.entity_set("RingGroups").all()})
    end = datetime.now(UTC)
    rows = contact_centre_calls(
        plan,
        ring_groups(state),
        count,
        start=end - timedelta(days=DEMO_DAYS),
        end=end,
        rng=random.Random(SEED + 2),
        first_segment=int(top[0]) + 1,
        first_call=max(1_000_000, int(top[1]) + 1),
    )
    store_segments(state, rows)
    return time.perf_counter() - began
