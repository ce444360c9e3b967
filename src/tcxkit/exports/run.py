"""One export run as a generator of requests (no I/O here), and its two drivers.

The run asks for ``GetCallLogData`` one window at a time (:mod:`.windows` sizes them),
each window in one request with ``$count=true`` and no ``$orderby`` (which is reported
to drop rows on report functions), and proves every window whole before keeping it:

* the rows delivered must equal the PBX's own ``@odata.count``; fewer rows than counted
  means the report cap was hit -- the window is halved and asked again -- unless the
  count is one the PBX has delivered whole before (then rows went missing: the run
  stops with :class:`~tcxkit.errors.IncompleteExportError`);
* every row must lie inside the window and no ``SegmentId`` may come twice;
* a 504 (or a read time-out) halves the window; at the one-second floor the run stops.

Calls (not ``legs``) are stitched as their legs arrive: a call is written once the
window has passed its end (it can have no more legs) plus ``grace``; calls still open
when the period ends get their later legs from a *tail* read by ``CallId``.  After each
window the sink commits the rows and a checkpoint together (:mod:`.sinks`).

:mod:`.drivers` runs it: ``export`` (a :class:`~tcxkit.Client`) and ``export_async``
(an :class:`~tcxkit.AsyncClient`, as a fleet gives).
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from ..calllog import call_log_params
from ..errors import ApiError, IncompleteExportError, RequestTimeout, UsageError
from ..odata import F
from ..pbxzone import named_zone, zone_steps
from ..results import items_of
from .calls import build_call, leg_end
from .legs import SELECT, leg_of, parse_utc, utc_text
from .windows import WindowPlanner

if TYPE_CHECKING:
    from .sinks import Sink

__all__ = ["Call", "ExportSpec", "ExportSummary", "Flow", "Hint", "export_flow"]

#: Gateway answers that mean "this pull took too long": shrink the window.
_TIMEOUTS = frozenset({502, 503, 504})
#: Calls whose late legs one tail request asks for (an ``or`` of ``CallId eq``).
_TAIL_CHUNK = 40
#: Times a one-second window may time out before the run gives up.
_FLOOR_TRIES = 3


@dataclass(frozen=True)
class Call:
    """A step: run ``action`` with ``params`` and send back its result (or throw its error)."""

    action: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Hint:
    """A step: ``call`` is most likely the next request; a driver may start it now (send
    back None) and answer the :class:`Call` equal to it with its result.  Only reads are
    hinted, and a result is used only when the run asks for it, after its checkpoint."""

    call: Call


@dataclass(frozen=True)
class ExportSpec:
    """What to export: the period ``[start, end)`` (aware), calls or ``legs``, and how."""

    start: datetime
    end: datetime
    legs: bool = False
    #: The zone for ``start_local`` (an IANA name); None: the PBX's, learnt from it.
    tz: str | None = None
    #: The PBX's report cap (20 000 by default; 80 000 at most).
    cap: int = 20000
    #: First window length, seconds (then sized from the density seen).
    window: int = 3600
    #: Seconds after a call's last leg ended before it is written (late legs).
    grace: int = 300
    #: How far past the period a call begun in it is followed (tail read).
    tail: int = 86400
    #: The PBX's name in the output's key (sqlite ``pbx`` column, checkpoint key).
    pbx: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise UsageError(
                "The export period needs times with a zone.", hint="e.g. 2026-11-01T00:00:00Z"
            )
        if self.end <= self.start:
            raise UsageError(
                f"The export period ends ({utc_text(self.end)}) before it starts "
                f"({utc_text(self.start)}).",
                hint="Give --from earlier than --to.",
            )
        if not 1 <= self.cap <= 80000:
            raise UsageError(f"cap must be 1..80000 rows, got {self.cap}.", hint="A PBX: 20000.")

    def key(self) -> str:
        """The identity a checkpoint must match to be resumed."""
        return json.dumps(
            {
                "pbx": self.pbx,
                "from": utc_text(self.start),
                "to": utc_text(self.end),
                "legs": self.legs,
                "tz": self.tz,
            },
            sort_keys=True,
        )


@dataclass
class ExportSummary:
    """What a run did (printed by the CLI, returned by :func:`export`)."""

    windows: int = 0
    requests: int = 0
    legs: int = 0
    rows: int = 0
    cap_splits: int = 0
    timeouts: int = 0
    earlier_call_legs: int = 0
    tail_legs: int = 0
    resumed: bool = False
    seconds: float = 0.0
    time_zone: str = ""


@dataclass
class _State:
    """What a checkpoint holds: where the next window starts and the calls still open."""

    next: str
    seconds: float
    target: int
    proven: int
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: When each open call's latest leg ended so far (epoch seconds).
    ends: dict[str, float] = field(default_factory=dict)
    done: bool = False
    summary: dict[str, Any] = field(default_factory=dict)


def _log_params(lo: datetime, hi: datetime, cap: int) -> dict[str, Any]:
    return {
        **call_log_params(lo, hi, hide_pcalls=False),
        "select": list(SELECT),
        "top": cap,
        "count": True,
    }


Flow = Generator[Call | Hint, Any, Any]


def learn_zone(spec: ExportSpec) -> Flow:
    """(zone, name): ``spec.tz``, else the PBX's (:func:`tcxkit.pbxzone.zone_steps`:
    ``OfficeHours.TimeZoneId``, IANA or via ``Defs/TimeZones`` by Id, WindowsName or Name)."""
    if spec.tz:
        return named_zone(spec.tz, "--tz", _TZ_FIX), spec.tz
    steps = zone_steps(_TZ_FIX)
    try:
        action, params = next(steps)
        while True:
            action, params = steps.send((yield Call(action, params)))
    except StopIteration as done:
        return done.value.zone, done.value.name


_TZ_FIX = "Give the zone for local times with --tz, an IANA name such as Europe/London."


def export_flow(spec: ExportSpec, sink: Sink) -> Flow:
    """The run (see the module docstring); returns an :class:`ExportSummary`."""
    began = time.perf_counter()
    zone, zone_name = yield from learn_zone(spec)
    state, summary = _resume(spec, sink)
    summary.time_zone = zone_name
    planner = WindowPlanner(spec.cap, state.target, state.seconds, proven=state.proven)
    end = spec.end
    while not state.done and parse_utc(state.next) < end:
        lo = parse_utc(state.next)
        hi = min(lo + timedelta(seconds=planner.seconds), end)
        raw = yield from _window(spec, planner, summary, lo, hi, zone)
        if raw is None:
            continue
        if hi < end:  # the next window is known now: let the driver fetch it meanwhile
            after = min(hi + timedelta(seconds=planner.seconds), end)
            yield Hint(Call("GetCallLogData", _log_params(hi, after, spec.cap)))
        legs = [leg_of(r, zone) for r in raw]
        rows = _emit(spec, state, summary, legs, hi, zone, zone_name)
        summary.windows += 1
        state.next = utc_text(hi)
        _commit(sink, spec, state, planner, summary, rows)
    if not state.done:
        rows = []
        if state.pending:
            yield from _tail(spec, state, summary, zone)
            rows = _flush(state, zone, zone_name, None)
            summary.rows += len(rows)
        state.done = True
        _commit(sink, spec, state, planner, summary, rows)
    summary.seconds = round(time.perf_counter() - began, 3)
    return summary


def _resume(spec: ExportSpec, sink: Sink) -> tuple[_State, ExportSummary]:
    saved = sink.checkpoint()
    if saved is None:
        fresh = _State(utc_text(spec.start), float(spec.window), max(1, spec.cap // 2), 0)
        # Checkpointed before the first window: a run killed while writing that window
        # leaves a checkpoint to resume from, not rows without one (which resuming refuses).
        sink.commit({"key": spec.key(), "state": asdict(fresh)})
        return fresh, ExportSummary()
    if saved.get("key") != spec.key():
        raise UsageError(
            "The checkpoint belongs to another export: " + str(saved.get("key")) + ".",
            hint="Resume with the same PBX, --from, --to, --tz and --legs, or start a new "
            "export in another place.",
        )
    state = _State(**saved["state"])
    summary = ExportSummary(**state.summary)
    summary.resumed = True
    return state, summary


def _commit(
    sink: Sink,
    spec: ExportSpec,
    state: _State,
    planner: WindowPlanner,
    summary: ExportSummary,
    rows: list[dict[str, Any]],
) -> None:
    state.seconds, state.target, state.proven = planner.seconds, planner.target, planner.proven
    state.summary = asdict(summary)
    sink.write(rows)
    sink.commit({"key": spec.key(), "state": asdict(state)})


def _window(
    spec: ExportSpec,
    planner: WindowPlanner,
    summary: ExportSummary,
    lo: datetime,
    hi: datetime,
    zone: tzinfo,
) -> Flow:
    """The legs of ``[lo, hi)`` proven whole, or None after shrinking the next try."""
    seconds = (hi - lo).total_seconds()
    summary.requests += 1
    try:
        answer = yield Call("GetCallLogData", _log_params(lo, hi, spec.cap))
    except (ApiError, RequestTimeout) as exc:
        status = getattr(exc, "status", 504)
        if status not in _TIMEOUTS:
            raise
        summary.timeouts += 1
        if planner.at_floor(seconds):
            _floor_timeouts(planner, lo, status)
        planner.timed_out(seconds)
        return None
    page = items_of(answer)
    if page is None or page.count is None:
        raise IncompleteExportError(
            f"GetCallLogData for {utc_text(lo)}..{utc_text(hi)} gave no @odata.count, so the "
            "window cannot be checked.",
            hint="The PBX must support $count=true on report functions (3CX V20 does).",
        )
    rows, count = page.items, page.count
    if len(rows) < count:
        if count > planner.proven and not planner.at_floor(seconds):
            summary.cap_splits += 1
            planner.too_many(count, len(rows), seconds)
            return None
        why = (
            f"it has sent {planner.proven} whole before"
            if count <= planner.proven
            else "one second holds more legs than the report cap"
        )
        raise IncompleteExportError(
            f"The PBX counted {count} legs from {utc_text(lo)} to {utc_text(hi)} but sent "
            f"{len(rows)} ({why}).",
            hint="Rows went missing on the PBX's side; nothing of this window was kept. "
            "Resume with --resume; raise the report cap if one second holds more legs.",
        )
    _check(rows, count, lo, hi)
    planner.done(len(rows), seconds)
    summary.legs += len(rows)
    return rows


def _floor_timeouts(planner: WindowPlanner, lo: datetime, status: int) -> None:
    planner.floor_failures += 1
    if planner.floor_failures >= _FLOOR_TRIES:
        raise IncompleteExportError(
            f"GetCallLogData timed out ({status}) {planner.floor_failures} times on a "
            f"one-second window at {utc_text(lo)}.",
            hint="The PBX is overloaded or down; resume with --resume later.",
        )


def _check(rows: list[dict[str, Any]], count: int, lo: datetime, hi: datetime) -> None:
    """Count, bounds and uniqueness of one window's rows (loud on any difference)."""
    where = f"{utc_text(lo)}..{utc_text(hi)}"
    if len(rows) != count:
        raise IncompleteExportError(
            f"The PBX counted {count} legs for {where} but sent {len(rows)}.",
            hint="Nothing of this window was kept; resume with --resume.",
        )
    ids = [r.get("SegmentId") for r in rows]
    if len(set(ids)) != len(ids):
        raise IncompleteExportError(
            f"The PBX sent a leg twice for {where} (duplicate SegmentId).",
            hint="Nothing of this window was kept; resume with --resume.",
        )
    lo_text, hi_text = utc_text(lo), utc_text(hi)
    for r in rows:
        raw = r["StartTime"]
        if isinstance(raw, str) and len(raw) == 20 and raw[-1] == "Z" and len(lo_text) == 20:
            inside = lo_text <= raw < hi_text  # the usual form sorts as it reads
        else:
            inside = lo <= parse_utc(raw) < hi
        if not inside:
            raise IncompleteExportError(
                f"The PBX sent leg {r.get('SegmentId')} of {r['StartTime']} for {where}.",
                hint="The period filter misbehaved; nothing of this window was kept.",
            )


def _emit(
    spec: ExportSpec,
    state: _State,
    summary: ExportSummary,
    legs: list[dict[str, Any]],
    hi: datetime,
    zone: tzinfo,
    zone_name: str,
) -> list[dict[str, Any]]:
    """Rows to write after a window: its legs, or the calls it closed."""
    legs.sort(key=lambda g: (g["start_utc"], g["indent"], g["segment_id"] or 0))
    if spec.legs:
        summary.rows += len(legs)
        return legs
    for leg in legs:
        key = str(leg["call_id"])
        if key in state.pending:
            state.pending[key].append(leg)
            state.ends[key] = max(state.ends[key], leg_end(leg))
        elif leg["indent"] == 0:
            state.pending[key] = [leg]
            state.ends[key] = leg_end(leg)
        else:  # a later leg of a call that began before the period
            summary.earlier_call_legs += 1
    rows = _flush(state, zone, zone_name, hi.timestamp() - spec.grace)
    summary.rows += len(rows)
    return rows


def _flush(
    state: _State, zone: tzinfo, zone_name: str, before: float | None
) -> list[dict[str, Any]]:
    """Build and drop the open calls that ended before ``before`` (all when None)."""
    closed = [k for k, end in state.ends.items() if before is None or end < before]
    calls = [build_call(state.pending.pop(k), zone, zone_name, state.ends.pop(k)) for k in closed]
    calls.sort(key=lambda c: (c["start_utc"], c["call_id"]))
    return calls


def _tail(spec: ExportSpec, state: _State, summary: ExportSummary, zone: tzinfo) -> Flow:
    """Later legs (after the period) of the calls still open, read by ``CallId``."""
    lo, hi = spec.end, spec.end + timedelta(seconds=spec.tail)
    keys = sorted(state.pending, key=int)
    for at in range(0, len(keys), _TAIL_CHUNK):
        chunk = keys[at : at + _TAIL_CHUNK]
        flt = F.CallId == int(chunk[0])
        for k in chunk[1:]:
            flt = flt | (F.CallId == int(k))
        params = {**_log_params(lo, hi, spec.cap), "filter": flt}
        summary.requests += 1
        page = items_of((yield Call("GetCallLogData", params)))
        if page is None or page.count is None or page.count != len(page.items):
            raise IncompleteExportError(
                f"The tail read after {utc_text(lo)} was incomplete.",
                hint="Resume with --resume.",
            )
        _check(page.items, page.count, lo, hi)
        for r in page.items:
            leg = leg_of(r, zone)
            key = str(r["CallId"])
            state.pending[key].append(leg)
            state.ends[key] = max(state.ends[key], leg_end(leg))
            summary.tail_legs += 1
