"""The two drivers of an export run: the requests :func:`.run.export_flow` asks for, sent.

Both honour :class:`~.run.Hint`: the next window is fetched while the current one is
stitched and written (a worker thread for the sync client, a task for the async one),
and its answer is used only when the run asks for that very request, after the
checkpoint of the window before it.  A read still in flight when a run stops is waited
for (sync) or cancelled (async), never left behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError, RequestTimeout
from .run import Call, ExportSpec, ExportSummary, Flow, Hint, export_flow

if TYPE_CHECKING:
    from ..client import AsyncClient, Client
    from .sinks import Sink

__all__ = ["export", "export_async"]


def export(client: Client, spec: ExportSpec, sink: Sink) -> ExportSummary:
    """Run an export with a synchronous client (best made with ``retries=0``: a 504 is
    answered by a smaller window, not by sending the same long pull again).  The next
    window is fetched in a worker thread while this one is stitched and written."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="tcxkit-export") as pool:
        return _drive_sync(client, export_flow(spec, sink), pool)


def _drive_sync(client: Client, flow: Flow, pool: Any) -> Any:
    ahead: tuple[Call, Any] | None = None
    try:
        step = next(flow)
        while True:
            if isinstance(step, Hint):
                ahead = (step.call, pool.submit(client.call, step.call.action, **step.call.params))
                step = flow.send(None)
                continue
            try:
                if ahead is not None and ahead[0] == step:
                    result = ahead[1].result()
                else:
                    if ahead is not None:
                        ahead[1].exception()  # wait for the unused read to end
                    result = client.call(step.action, **step.params)
                ahead = None
            except (ApiError, RequestTimeout) as exc:
                ahead = None
                step = flow.throw(exc)
            else:
                step = flow.send(result)
    except StopIteration as stop:
        return stop.value


async def export_async(client: AsyncClient, spec: ExportSpec, sink: Sink) -> ExportSummary:
    """:func:`export` with an :class:`~tcxkit.AsyncClient` (a fleet's, say)."""
    import asyncio

    flow = export_flow(spec, sink)
    ahead: tuple[Call, Any] | None = None
    try:
        step = next(flow)
        while True:
            if isinstance(step, Hint):
                task = asyncio.ensure_future(client.call(step.call.action, **step.call.params))
                ahead = (step.call, task)
                step = flow.send(None)
                continue
            try:
                if ahead is not None and ahead[0] == step:
                    result = await ahead[1]
                else:
                    if ahead is not None:
                        await asyncio.gather(ahead[1], return_exceptions=True)
                    result = await client.call(step.action, **step.params)
                ahead = None
            except (ApiError, RequestTimeout) as exc:
                ahead = None
                step = flow.throw(exc)
            else:
                step = flow.send(result)
    except StopIteration as stop:
        return stop.value
    finally:
        if ahead is not None:  # the run stopped with a read in flight: drop it
            ahead[1].cancel()
