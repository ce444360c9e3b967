"""The emulated PBX's clock, and what is due on it: calls that ring, talk and end.

A real PBX changes by itself as time passes.  The emulator keeps one :class:`Timeline`
per PBX: a clock plus a queue of timed steps (a call is answered at t+4 s, ends at
t+34 s, the traffic generator's next call arrives at t+0.7 s).  Two clocks:

* **real** (the default): the clock is the wall clock.  An asyncio task on the server's
  event loop (:class:`Ticker`, started by the PBX's first request, since the server runs
  without ASGI lifespan events) runs what is due every :data:`TICK` seconds; reads that
  must be exact (``ActiveCalls``) bring the timeline up to date first.
* **manual** (``EmulatorConfig(options={"clock": "manual"})``, for tests): time stands
  still until ``POST /emulator/clock {"advance": 12.5}`` moves it, which runs every step
  due by then, in time order, before answering -- so a test drives calls through their
  lives deterministically and never sleeps.

``GET /emulator/clock`` answers ``{"now", "clock", "pending", "traffic"}`` (``traffic``:
the generator's counts and latest calls, :mod:`.domain.traffic`).  ``POST`` with
``{"advance": S}`` (0 < S <= :data:`MAX_ADVANCE`) works with either clock (a real one
then runs ahead of the wall clock by S).  Both need the emulator's credentials, like
every ``/emulator/*`` control endpoint.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .admin import control_denied
from .limits import MAX_JSON_BODY
from .wire import OAUTH_JSON, BodyTooLarge, control_error, json_response, loads_bounded, read_body

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["MAX_ADVANCE", "TICK", "Ticker", "Timeline", "routes", "stamp", "timeline_of"]

#: Seconds between two runs of the real clock's due steps.
TICK = 0.25
#: Most seconds one ``POST /emulator/clock`` may move the clock (bounded work per request).
MAX_ADVANCE = 3600.0
CLOCKS = ("real", "manual")
_log = logging.getLogger("tcxkit.emulator")

Step = Callable[[float], None]


def stamp(epoch: float) -> str:
    """An XAPI date-time (UTC, whole seconds) for epoch seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class Timeline:
    """A clock and its timed steps; each step runs once, at its time, in time order.

    Steps receive their own due time, not the time they happened to run at, so what
    they write (``EstablishedAt``, a segment's durations) does not depend on when a tick
    or a request came: the same steps give the same rows.
    """

    def __init__(self, clock: str = "real", start: float | None = None) -> None:
        self.manual = clock == "manual"
        self._base = time.time() if start is None else start
        self._offset = 0.0
        self.now = self._clock()
        self._due: list[tuple[float, int, Step]] = []
        self._order = itertools.count()
        self._lock = threading.RLock()
        self._begun = False
        self._on_begin: list[Step] = []

    def _clock(self) -> float:
        return (self._base if self.manual else time.time()) + self._offset

    @property
    def pending(self) -> int:
        return len(self._due)

    def at(self, when: float, step: Step) -> None:
        """Run ``step(when)`` once the clock reaches ``when`` (at once if it already has:
        on the next sync)."""
        with self._lock:
            heapq.heappush(self._due, (when, next(self._order), step))

    def on_begin(self, step: Step) -> None:
        """Run ``step(now)`` when the clock begins (now, if it already has)."""
        with self._lock:
            if self._begun:
                step(self.now)
            else:
                self._on_begin.append(step)

    def begin(self) -> None:
        """Start the clock: a real one when the server serves, a manual one at once."""
        with self._lock:
            if self._begun:
                return
            self._begun = True
            self.now = max(self.now, self._clock())
            hooks, self._on_begin = self._on_begin, []
            for step in hooks:
                step(self.now)

    def sync(self) -> int:
        """Run every step due by the clock's time; how many ran."""
        with self._lock:
            if not self._begun:
                return 0
            target = max(self.now, self._clock())
            ran = 0
            while self._due and self._due[0][0] <= target:
                when, _, step = heapq.heappop(self._due)
                self.now = max(self.now, when)
                step(when)
                ran += 1
            self.now = target
            return ran

    def advance(self, seconds: float) -> int:
        """Move the clock ``seconds`` ahead and run what became due; how many steps ran."""
        with self._lock:
            self._offset += seconds
            self.begin()
            return self.sync()


def timeline_of(state: AppState) -> Timeline:
    """The PBX's timeline (made on first use, with the clock its options ask for)."""
    found = state.extra.get("timeline")
    if found is None:
        clock = str(state.config.options.get("clock") or "real")
        found = state.extra["timeline"] = Timeline(clock)
        if found.manual:
            found.begin()
    return found  # type: ignore[no-any-return]


class Ticker:
    """ASGI middleware: on the PBX's first request, an asyncio task that keeps a real
    clock's timeline running (every :data:`TICK` s) for as long as the server's loop."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state
        self.task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.task is None and scope["type"] == "http":
            timeline = timeline_of(self.state)
            if not timeline.manual:
                timeline.begin()
                self.task = asyncio.get_running_loop().create_task(self._run(timeline))
        await self.app(scope, receive, send)

    @staticmethod
    async def _run(timeline: Timeline) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                timeline.sync()
            except Exception:  # a broken step must not stop the PBX's clock
                _log.exception("the emulator's timeline failed a step")


async def _clock_endpoint(state: AppState, request: Request) -> Response:
    if (denied := control_denied(state, request)) is not None:
        return denied
    timeline = timeline_of(state)
    if request.method == "POST":
        example = '{"advance": 30}'
        try:
            body = loads_bounded(await read_body(request, MAX_JSON_BODY) or b"{}")
        except BodyTooLarge as exc:
            return control_error(413, f"The body is larger than {exc.limit} bytes.")
        except ValueError:
            return control_error(400, f"The body is not JSON; send e.g. {example}.")
        seconds = body.get("advance") if isinstance(body, dict) else None
        if isinstance(body, dict) and set(body) - {"advance"}:
            return control_error(400, f"Send only 'advance', e.g. {example}.")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return control_error(400, f"Give 'advance' in seconds, e.g. {example}.")
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_ADVANCE:
            return control_error(
                400, f"'advance' is more than 0 and at most {MAX_ADVANCE:g} seconds; "
                "move further in several steps.",
            )  # fmt: skip
        refusal = _too_much_work(state, float(seconds))
        if refusal:
            return control_error(400, refusal)
        timeline.advance(float(seconds))
    else:
        timeline.sync()
    return json_response(200, _report(state, timeline), OAUTH_JSON)


def _too_much_work(state: AppState, seconds: float) -> str | None:
    """Why an advance would make the request too long (the generator's calls), or None."""
    traffic = state.extra.get("traffic")
    limit = getattr(traffic, "max_arrivals_per_advance", None)
    rate = float(getattr(traffic, "rate", 0.0))
    if limit is None or rate * seconds <= limit:
        return None
    return (
        f"At --traffic {rate:g} calls/s, {seconds:g} s is about {rate * seconds:.0f} calls in "
        f"one request (at most {limit}); advance at most {limit / rate:.0f} s at a time."
    )


def _report(state: AppState, timeline: Timeline) -> dict[str, Any]:
    traffic = state.extra.get("traffic")
    return {
        "now": stamp(timeline.now),
        "clock": "manual" if timeline.manual else "real",
        "pending": timeline.pending,
        "traffic": traffic.report() if traffic is not None else None,
    }


def routes(state: AppState) -> list[Route]:
    """``/emulator/clock``, for :func:`.app.create_app`."""

    async def clock(request: Request) -> Response:
        return await _clock_endpoint(state, request)

    return [Route("/emulator/clock", clock, methods=["GET", "POST"])]
