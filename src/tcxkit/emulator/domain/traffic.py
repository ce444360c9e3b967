"""The traffic generator: a PBX that is busy by itself (``3cx emulator --traffic RATE``).

``EmulatorConfig(options={"traffic": RATE, "seed": N})`` (``--traffic``/``--seed``)
starts ``RATE`` new calls per second on average (Poisson arrivals) when the PBX's clock
begins (:mod:`..timeline`: its first request, or at once with the manual clock), each a
live call (:mod:`.livecalls`) that rings, is answered or not and ends in the call log.
The mix, a small contact centre's:

* 40 % inbound to a **queue**, 10 % to a **ring group**: answered by one of its agents
  75 % of the time; else the caller **abandons** (hangs up after 20-90 % of the no-answer
  time) or, one time in three, waits it out (**missed**);
* 20 % inbound **direct** to an extension: 70 % answered, else missed or abandoned;
* 20 % **outbound** from an extension: 70 % answered, else abandoned (the caller gave up;
  an outbound call is never missed);
* 10 % **internal**, extension to extension: 80 % answered.

Ring times vary from half to one and a half ``ring_seconds``, talk times from 0.3 to 2
``talk_seconds``.  At a tenth of the call rate the PBX also changes state: a phone
registers or unregisters (60 %), a queue agent logs in or out (25 %), a trunk goes down
and comes back 5 to 30 s later (10 %), a backup completes or, one time in five, fails
(an event-log error) (5 %).  A call beyond ``max_calls`` is refused and
counted (``refused``).

**Deterministic with a seed**: one ``random.Random(seed)`` draws every arrival time,
party, outcome and duration, and each is placed on the timeline at its own time, so the
same seed on the same data gives the same calls, outcomes and changes at the same
offsets from the clock's start, however the clock is driven.  Without a seed one is
drawn and reported (``GET /emulator/clock`` -> ``traffic.seed``) so a run can be replayed.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from ..limits import MAX_TRAFFIC_RATE
from ..registry import on_start
from ..timeline import stamp, timeline_of
from .livecalls import CallRefused, live_calls, log_agent, members, setting

if TYPE_CHECKING:
    from ..state import AppState

__all__ = ["MAX_RATE", "Traffic", "check_traffic"]

#: The most calls per second the generator makes.
MAX_RATE = MAX_TRAFFIC_RATE
#: Changes of state per call (phones, agents, trunks).
CHANGES_PER_CALL = 0.1
#: Most generated calls one ``POST /emulator/clock`` may bring (its work stays bounded).
MAX_ARRIVALS_PER_ADVANCE = 20_000
#: What ``GET /emulator/clock`` shows of the latest happenings.
RECENT = 200
#: The generator's backups kept (each holds an archive in memory).
KEPT_BACKUPS = 10


def check_traffic(options: dict[str, object]) -> None:
    """Refuse an unusable rate or seed with the fix (a ConfigurationError)."""
    from ...errors import ConfigurationError

    rate = options.get("traffic", 0)
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not math.isfinite(rate)
        or not 0 <= rate <= MAX_RATE
    ):
        raise ConfigurationError(
            f"options['traffic'] must be calls per second from 0 to {MAX_RATE:g}, got {rate!r}.",
            hint="Give e.g. traffic=0.5 (a call every two seconds on average).",
        )
    seed = options.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigurationError(
            f"options['seed'] must be a whole number of 0 or more, got {seed!r}.",
            hint="Give e.g. seed=7; the same seed replays the same traffic.",
        )


class Traffic:
    """The generator of one PBX: calls and changes drawn from one seeded random stream."""

    max_arrivals_per_advance = MAX_ARRIVALS_PER_ADVANCE

    def __init__(self, state: AppState, rate: float, seed: int) -> None:
        self.state = state
        self.rate = rate
        self.seed = seed
        self.rng = random.Random(seed)
        self.calls = live_calls(state)
        self.timeline = self.calls.timeline
        self.counts: dict[str, int] = dict.fromkeys(
            ("calls", "answered", "missed", "abandoned", "refused", "registrations",
             "agent_logins", "trunk_flaps", "backups", "backup_failures"), 0,
        )  # fmt: skip
        self.backups: list[str] = []  # the generator's backups, oldest first
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self.began: float | None = None

    def begin(self, t: float) -> None:
        """The clock began: schedule the first call and the first change."""
        self.began = t
        from ..callmix import ring_groups  # (demo imports this package: not at the top)
        from ..demo import CallPlan

        self.plan = CallPlan.from_state(self.state)
        self.groups = ring_groups(self.state)
        self.timeline.at(t + self.rng.expovariate(self.rate), self._arrive)
        self.timeline.at(t + self.rng.expovariate(self.rate * CHANGES_PER_CALL), self._change)

    def report(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed, **self.counts, "recent": list(self.recent)}

    def _note(self, t: float, kind: str, **what: Any) -> None:
        offset = round(t - (self.began or t), 3)
        self.recent.append({"at": stamp(t), "offset": offset, "kind": kind, **what})

    # -- calls ----------------------------------------------------------------------------------
    def _arrive(self, t: float) -> None:
        self.timeline.at(t + self.rng.expovariate(self.rate), self._arrive)
        drawn = self._draw()
        if drawn is None:
            return
        src, dst, outcome, by, trunk = drawn
        rng = self.rng
        ring_s, no_answer = setting(self.state, "ring_seconds"), setting(self.state, "no_answer_seconds")  # fmt: skip
        ring = {"answered": rng.uniform(0.5, 1.5) * ring_s, "missed": no_answer,
                "abandoned": rng.uniform(0.2, 0.9) * no_answer}[outcome]  # fmt: skip
        talk = rng.uniform(0.3, 2.0) * setting(self.state, "talk_seconds")
        try:
            self.calls.start(src, dst, outcome=outcome, ring=ring, talk=talk, by=by,
                             trunk=trunk, at=t)  # fmt: skip
        except CallRefused:
            self.counts["refused"] += 1
            self._note(t, "refused", **{"from": src, "to": dst})
            return
        self.counts["calls"] += 1
        self.counts[outcome] += 1
        self._note(t, "call", outcome=outcome, by=by, ring=round(ring, 3), talk=round(talk, 3),
                   **{"from": src, "to": dst})  # fmt: skip

    def _draw(self) -> tuple[str, str, str, str | None, str | None] | None:
        """One call of the mix: (from, to, outcome, answered by, trunk), or None."""
        from ..demo import _phone

        rng, plan = self.rng, self.plan
        kind = rng.random()
        if not plan.extensions:
            return None
        trunk = rng.choice(plan.trunks)[0] if plan.trunks else None
        caller = _phone(rng)
        queues = [(q, agents) for q, _n, agents in plan.queues if agents]
        pool = queues if kind < 0.4 else self.groups if kind < 0.5 else []
        if pool:
            group, agents = rng.choice(pool)
            outcome = self._outcome(0.75, missed_share=1 / 3)
            return caller, group, outcome, rng.choice(agents) if outcome == "answered" else None, trunk  # fmt: skip
        ext = rng.choice(plan.extensions)[0]
        if kind < 0.7:
            outcome = self._outcome(0.7, missed_share=0.5)
            return caller, ext, outcome, ext if outcome == "answered" else None, trunk
        if kind < 0.9:
            outcome = self._outcome(0.7, missed_share=0.0)
            return ext, caller, outcome, None, trunk
        other = rng.choice(plan.extensions)[0]
        if other == ext:
            return None
        outcome = self._outcome(0.8, missed_share=0.5)
        return ext, other, outcome, other if outcome == "answered" else None, None

    def _outcome(self, answered: float, *, missed_share: float) -> str:
        roll = self.rng.random()
        if roll < answered:
            return "answered"
        return "missed" if roll < answered + (1 - answered) * missed_share else "abandoned"

    # -- changes of state ------------------------------------------------------------------------
    def _change(self, t: float) -> None:
        rng = self.rng
        self.timeline.at(t + rng.expovariate(self.rate * CHANGES_PER_CALL), self._change)
        kind = rng.random()
        if kind < 0.6:
            self._flip_user(t, "IsRegistered", "registrations", [e for e, _ in self.plan.extensions])  # fmt: skip
        elif kind < 0.85:
            agents = sorted({a for q, _n, _a in self.plan.queues for a in members(self.state, q)})
            self._flip_user(t, "QueueStatus", "agent_logins", agents)
        elif kind < 0.95:
            self._trunk_flap(t)
        else:
            self._backup(t)

    def _flip_user(self, t: float, field: str, counter: str, numbers: list[str]) -> None:
        if not numbers:
            return
        number = self.rng.choice(numbers)
        users = self.state.entity_set("Users")
        row = users.find_one(Number=number)
        if row is None:
            return
        value: Any
        if field == "QueueStatus":
            value = log_agent(self.state, row, row.get(field) != "LoggedIn")
        else:
            value = not row.get(field)
            users.update(row["Id"], {field: value})
        self.counts[counter] += 1
        self._note(t, counter.rstrip("s"), number=number, **{field: value})

    def _trunk_flap(self, t: float) -> None:
        trunks = self.state.entity_set("Trunks")
        online = [r for r in trunks.all() if r.get("IsOnline")]
        if not online:
            return
        row = self.rng.choice(online)
        back = t + self.rng.uniform(5.0, 30.0)
        trunks.update(row["Id"], {"IsOnline": False})
        self.counts["trunk_flaps"] += 1
        self._note(t, "trunk_down", number=row["Number"])

        def up(when: float) -> None:
            trunks.update(row["Id"], {"IsOnline": True})
            self._note(when, "trunk_up", number=row["Number"])

        self.timeline.at(back, up)

    def _backup(self, t: float) -> None:
        """A backup completes (80 %: a new ``Backups`` row and archive; only the newest
        :data:`KEPT_BACKUPS` of the generator's are kept) or fails (an event-log error,
        which is how a PBX reports it)."""
        from .backups import add_backup

        if self.rng.random() >= 0.8:
            self.state.entity_set("EventLogs").insert(
                {"Type": "Error", "Message": "Backup failed: not enough disk space",
                 "Source": "Backup", "EventId": 0, "Group": "", "GroupName": "", "Params": [],
                 "TimeGenerated": stamp(t)}
            )  # fmt: skip
            self.counts["backup_failures"] += 1
            self._note(t, "backup_failed")
            return
        self.counts["backups"] += 1
        name = f"traffic-{self.counts['backups']:06d}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(t))}"  # fmt: skip
        row = add_backup(self.state, name, stamp(t))
        self.backups.append(row["FileName"])
        while len(self.backups) > KEPT_BACKUPS:
            old = self.backups.pop(0)
            self.state.entity_set("Backups").delete(old)
            self.state.extra.get("backup_files", {}).pop(old, None)
        self._note(t, "backup_completed", file_name=row["FileName"])


@on_start
def _start(state: AppState) -> None:
    """Check ``traffic``/``seed``; with a rate, arm the generator on the PBX's timeline."""
    check_traffic(state.config.options)
    rate = float(state.config.options.get("traffic", 0))  # type: ignore[arg-type]
    if not rate:
        return
    seed = state.config.options.get("seed")
    traffic = Traffic(state, rate, random.randrange(2**32) if seed is None else int(seed))  # type: ignore[call-overload]
    state.extra["traffic"] = traffic
    timeline_of(state).on_begin(traffic.begin)
