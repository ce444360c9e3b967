"""The two drivers of an export run: the requests :func:`.run.export_flow` asks for, sent.

Both honour :class:`~.run.Hint`: the next window is fetched while the current one is
stitched and written (a worker thread for the sync client, a task for the async one),
and its answer is used only when the run asks for that very request, after the
checkpoint of the window before it.  A read still in flight when a run stops is waited
for (sync) or cancelled (async), never left behind.

What to do at each step -- start a read ahead, use it, wait out an unused one, or send
the request now -- is decided once, without I/O, by :func:`_plan`; each driver only
carries out its orders with its own client.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ApiError, RequestTimeout
from .run import Call, ExportSpec, ExportSummary, Flow, Hint, export_flow

if TYPE_CHECKING:
    from ..client import AsyncClient, Client
    from .sinks import Sink

__all__ = ["export", "export_async"]


@dataclass(frozen=True)
class _Order:
    """What a driver does next: ``start`` the :class:`Call` ``what`` in the background
    (answer: the read in flight), ``use`` the read ``what`` started for this step (answer:
    its result), ``drain`` the unused read ``what`` (wait for it to end; answer ignored),
    or ``send`` the :class:`Call` ``what`` now (answer: its result)."""

    kind: Literal["start", "use", "drain", "send"]
    what: Any


@dataclass(frozen=True)
class _Outcome:
    """A driver's answer to an order: a value, or the API error or time-out it met."""

    value: Any = None
    error: ApiError | RequestTimeout | None = None


#: The orders of one run; it returns the run's result.
Plan = Generator[_Order, _Outcome, Any]


def _plan(flow: Flow) -> Plan:
    """The decisions both drivers share, no I/O: a read ahead is used only for the very
    request it was started for; any other request first waits the unused read out."""
    ahead: tuple[Call, Any] | None = None
    try:
        step = next(flow)
        while True:
            if isinstance(step, Hint):
                ahead = (step.call, (yield _Order("start", step.call)).value)
                step = flow.send(None)
                continue
            if ahead is not None and ahead[0] == step:
                outcome = yield _Order("use", ahead[1])
            else:
                if ahead is not None:
                    yield _Order("drain", ahead[1])
                outcome = yield _Order("send", step)
            ahead = None
            step = flow.send(outcome.value) if outcome.error is None else flow.throw(outcome.error)
    except StopIteration as stop:
        return stop.value


def export(client: Client, spec: ExportSpec, sink: Sink) -> ExportSummary:
    """Run an export with a synchronous client (best made with ``retries=0``: a 504 is
    answered by a smaller window, not by sending the same long pull again).  The next
    window is fetched in a worker thread while this one is stitched and written."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="tcxkit-export") as pool:
        return _drive_sync(client, export_flow(spec, sink), pool)


def _drive_sync(client: Client, flow: Flow, pool: Any) -> Any:
    plan = _plan(flow)
    try:
        order = next(plan)
        while True:
            order = plan.send(_carry_out(client, pool, order))
    except StopIteration as stop:
        return stop.value


def _carry_out(client: Client, pool: Any, order: _Order) -> _Outcome:
    """One order on the sync client: a read ahead is a future of the worker thread."""
    what = order.what
    try:
        if order.kind == "start":
            return _Outcome(pool.submit(client.call, what.action, **what.params))
        if order.kind == "use":
            return _Outcome(what.result())
        if order.kind == "drain":
            what.exception()  # wait for the unused read to end
            return _Outcome()
        return _Outcome(client.call(what.action, **what.params))
    except (ApiError, RequestTimeout) as exc:
        return _Outcome(error=exc)


async def export_async(client: AsyncClient, spec: ExportSpec, sink: Sink) -> ExportSummary:
    """:func:`export` with an :class:`~tcxkit.AsyncClient` (a fleet's, say)."""
    import asyncio

    plan = _plan(export_flow(spec, sink))
    started: Any = None
    try:
        order = next(plan)
        while True:
            what = order.what
            if order.kind == "start":
                started = asyncio.ensure_future(client.call(what.action, **what.params))
                order = plan.send(_Outcome(started))
                continue
            try:
                if order.kind == "drain":
                    await asyncio.gather(what, return_exceptions=True)
                    value = None
                elif order.kind == "use":
                    value = await what
                else:
                    value = await client.call(what.action, **what.params)
            except (ApiError, RequestTimeout) as exc:
                order = plan.send(_Outcome(error=exc))
            else:
                order = plan.send(_Outcome(value))
    except StopIteration as stop:
        return stop.value
    finally:
        if started is not None:  # the run stopped with a read in flight: drop it
            started.cancel()
