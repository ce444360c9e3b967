"""Updates on the emulated PBX: what ``GetUpdates`` offers, and the outage an install causes.

What the PBX is offered is the health model's ``updates.offered`` (a build such as
``20.0.10.1721``; ``PATCH /emulator/pbx-health {"updates": {"offered": ...}}``), set at
start by ``config.options["offer_update"]``: a build, or ``"next"`` -- the next release's
build (20.0.9 is offered 20.0.10.1621), or for the newest release a later build of it.

``InstallUpdates`` (the offered entry's ``Guid`` and the list's ``Key``, else 400) takes
the PBX away for ``config.options["update_downtime"]`` seconds (default 6) of its clock
(:mod:`.timeline`: the wall clock, or a manual one a test moves):

1. the first half, *away*: its services restart, so nothing listens on its port -- a new
   connection is refused (``ECONNREFUSED``; :mod:`.listeners`), an idle kept-alive one
   is closed, and the connection that asked for the install closes after its 204; with
   ``--instances N`` only this PBX's port goes.  A step on the PBX's clock listens again
   at the half; if another process has taken the port meanwhile, the log says so and it
   tries again every :data:`RETRY` seconds, staying away until it can;
2. the second half, *starting*: 503 with the PBX's error envelope and ``Retry-After``
   (the whole seconds left), as nginx answers while the services start;
3. then it is back, reporting the new build (``X-3CX-Version``, ``GetSystemStatus``)
   and offering nothing.

An app served by something else than :mod:`.server` (no port of its own) is away by
the clock alone: each request gets 503 with ``Connection: close``.

Faults, queued through ``/emulator/updates`` (:func:`control_endpoint`, the queue of
:mod:`.outcomes`), change the next install(s): ``never`` -- away, then starting for ever
(until ``DELETE``, which ends any outage on the old build, 204); ``fail`` -- back after
the downtime on the *old* build, still offering the update.  The control endpoints stay
reachable while the PBX is starting (never while it is away); the request log records
every ``InstallUpdates``.  The phases are read off the PBX's clock when asked, and the
port comes back by a step on it, so nothing sleeps and a manual clock decides all.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .config import DEFAULT_BUILDS
from .listeners import listener_of
from .outcomes import OutcomeQueue
from .timeline import timeline_of
from .wire import envelope

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .state import AppState

__all__ = [
    "DEFAULT_DOWNTIME",
    "FAULTS",
    "RETRY",
    "UpdateGate",
    "control_endpoint",
    "downtime",
    "entry_guid",
    "next_build",
    "phase",
    "start_install",
    "update_key",
]

DEFAULT_DOWNTIME = 6.0
#: Longest downtime an option may ask for, seconds.
MAX_DOWNTIME = 3600.0
FAULTS = ("never", "fail")
#: Seconds of the PBX's clock between two tries to listen again on a port taken meanwhile.
RETRY = 1.0
_NS = uuid.UUID("6f1c7a52-3c1d-4f0e-9a7e-2b5d0c3e8a11")


def next_build(build: str) -> str:
    """The build a PBX on ``build`` is offered by ``offer_update = "next"``."""
    release = ".".join(build.split(".")[:3])
    order = list(DEFAULT_BUILDS)
    if release in order and order.index(release) + 1 < len(order):
        return DEFAULT_BUILDS[order[order.index(release) + 1]]
    parts = build.split(".")
    tail = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
    return f"{release}.{tail + 100}"


def entry_guid(build: str) -> str:
    """The ``Guid`` of the 3CX entry offering ``build`` (the same for every PBX)."""
    return str(uuid.uuid5(_NS, build))


def update_key(state: AppState) -> str:
    """This PBX's update list ``Key`` (made once)."""
    return str(state.extra.setdefault("update_key", str(uuid.uuid4())))


def downtime(state: AppState) -> float:
    """``update_downtime`` (seconds); an unusable one is a ConfigurationError with the fix."""
    raw = state.config.options.get("update_downtime", DEFAULT_DOWNTIME)
    value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else -1.0
    if not 0 <= value <= MAX_DOWNTIME:
        from ..errors import ConfigurationError

        raise ConfigurationError(
            f"update_downtime must be 0..{MAX_DOWNTIME:g} seconds, got {raw!r}.",
            hint="e.g. --update-downtime 6",
        )
    return value


def start_install(state: AppState, to: str) -> None:
    """Begin the outage of an install of ``to`` (the next queued fault applies).

    Its port stops listening as the answer to the install starts (:class:`UpdateGate`,
    on the server's loop, so no later connection can slip in) and listens again halfway
    through the downtime (a step on the PBX's clock)."""
    fault = QUEUE.pop(state)
    d = downtime(state)
    timeline = timeline_of(state)
    timeline.begin()
    now = timeline.now
    going = listener_of(state) is not None and d > 0
    outage = {"to": to, "fault": fault, "away_until": now + d / 2, "until": now + d,
              "port": "going" if going else "open"}  # fmt: skip
    state.extra["update_outage"] = outage
    if going:
        timeline.at(outage["away_until"], lambda when: _listen_again(state, outage, when))


def _take_port(state: AppState) -> bool:
    """Stop listening if an install has just been accepted; whether it did."""
    outage = state.extra.get("update_outage")
    listener = listener_of(state)
    if outage is None or outage["port"] != "going" or listener is None:
        return False
    outage["port"] = "gone"
    listener.stop()
    return True


def _listen_again(state: AppState, outage: dict[str, Any], when: float) -> None:
    """The services are up again: listen on the port, or try again in :data:`RETRY` s."""
    listener = listener_of(state)
    if outage["port"] == "going":  # the answer has not even started: nothing went
        outage["port"] = "open"
    if outage["port"] != "gone" or listener is None:
        return
    if listener.start():
        outage["port"] = "open"
        return
    timeline_of(state).at(when + RETRY, lambda at: _listen_again(state, outage, at))


def _finish(state: AppState, outage: dict[str, Any]) -> None:
    from .healthmodel import model

    state.extra.pop("update_outage", None)
    if outage["fault"] is None:
        state.config.pbx_build = outage["to"]
        model(state)["updates"]["offered"] = None


def _clear(state: AppState) -> None:
    """``DELETE /emulator/updates``: the outage ends now, on the old build."""
    outage = state.extra.pop("update_outage", None)
    if outage is not None:
        _listen_again(state, outage, timeline_of(state).now)


def phase(state: AppState) -> str:
    """``up``, ``away`` or ``starting`` (an outage that has run its time ends here)."""
    outage = state.extra.get("update_outage")
    if outage is None:
        return "up"
    timeline = timeline_of(state)
    timeline.sync()  # runs the step that listens again, when due
    if outage["port"] != "open" or timeline.now < outage["away_until"]:
        return "away"
    if timeline.now < outage["until"] or outage["fault"] == "never":
        return "starting"
    _finish(state, outage)
    return "up"


def retry_after(state: AppState) -> str:
    """Whole seconds until the PBX is back (rounded down; 5 for one that never is)."""
    outage = state.extra.get("update_outage") or {}
    if outage.get("fault") == "never":
        return "5"
    return str(max(0, int(outage.get("until", 0) - timeline_of(state).now)))


class UpdateGate:
    """ASGI middleware: while the PBX is away or starting, every request but the
    ``/emulator/*`` control endpoints (and those only while starting) gets 503."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        now = phase(self.state) if scope["type"] == "http" else "up"
        if now == "up" or (now == "starting" and scope["path"].startswith("/emulator/")):
            await self.app(scope, receive, self._sender(send))
            return
        headers = {"Retry-After": retry_after(self.state)}
        if now == "away":
            headers["Connection"] = "close"
        answer = envelope(503, f"The PBX is {now} (installing an update).", **headers)
        await answer(scope, receive, send)

    def _sender(self, send: Send) -> Send:
        """``send``, taking the port away as the answer to an accepted install starts
        (that answer then closes its connection, as the restarting PBX does)."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and _take_port(self.state):
                close = [(b"connection", b"close")]
                message = {**message, "headers": [*message.get("headers", []), *close]}
            await send(message)

        return sending


#: What the next installs do instead of succeeding (``/emulator/updates``).
QUEUE = OutcomeQueue("update_faults", "update", FAULTS)


async def control_endpoint(state: AppState, request: Request) -> Response:
    """``/emulator/updates``: ``POST {"outcome": "never", "times": 1}`` queues what the
    next install(s) do; ``GET`` shows the phase, build, offer and queue; ``DELETE``
    clears the queue and ends any outage (on the old build)."""
    from .healthmodel import model

    def shown(queue: list[str]) -> dict[str, Any]:
        offered = model(state)["updates"]["offered"]
        return {"phase": phase(state), "build": state.config.build, "offered": offered,
                "next": list(queue)}  # fmt: skip

    return await QUEUE.endpoint(state, request, shown=shown, on_clear=lambda: _clear(state))
