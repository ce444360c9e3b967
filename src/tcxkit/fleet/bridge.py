"""The one bridge from synchronous code to tcxkit's async engine.

Every face that is synchronous (the CLI, an Airflow task) and runs async work -- a
fleet run, a ``3cx state`` step -- crosses here; a test (tests/fleet/test_bridge_scan.py)
fails when a face outside this module starts an event loop or pumps a thread itself.

Why a worker thread that runs its own event loop, and not ``asyncio.run`` in the
caller's thread or ``anyio.from_thread``:

* it works whatever the caller's thread is doing: ``asyncio.run`` refuses to start
  inside a running loop (a notebook, an MCP server, Airflow's triggerer), and
  ``anyio.from_thread`` needs a loop that already runs elsewhere;
* the caller can *stream*: rows cross a bounded queue while the PBXs are still being
  asked, so a printer shows the first PBX's rows at once and a slow terminal holds the
  PBXs back instead of filling memory;
* stopping early (Ctrl-C, the reader went away) cancels the loop's task at once
  rather than waiting for the requests in flight.

The cost is one thread per run (not per PBX): every PBX still shares that one loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

__all__ = ["iterate", "run_sync"]

T = TypeVar("T")

#: Items buffered between the event loop and the synchronous reader.
BUFFER = 1024


def iterate(source: Callable[[], AsyncIterator[T]], *, buffer: int = BUFFER) -> Iterator[T]:
    """Iterate the async iterator ``source()`` from synchronous code.

    The iterator runs on a fresh event loop in one worker thread; its items cross a
    bounded queue.  An exception it raises is raised here after the items before it.
    """
    items: queue.Queue[Any] = queue.Queue(buffer)
    end = object()
    stop = threading.Event()
    failed: list[BaseException] = []
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = []

    async def pump() -> None:
        task = asyncio.current_task()
        assert task is not None
        running.append((asyncio.get_running_loop(), task))
        try:
            async for item in source():
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        await asyncio.sleep(0)
                if stop.is_set():
                    return
        except BaseException as exc:
            failed.append(exc)
        finally:
            items.put(end)

    worker = threading.Thread(target=asyncio.run, args=(pump(),), name="tcxkit-async")
    worker.start()
    try:
        while (item := items.get()) is not end:
            yield item
    finally:
        stop.set()
        if worker.is_alive() and running:  # stopped early (Ctrl-C, reader gone): cancel now,
            loop, task = running[0]  # rather than wait for requests in flight
            with contextlib.suppress(RuntimeError):  # the loop has just finished
                loop.call_soon_threadsafe(task.cancel)
        worker.join(timeout=0.05)  # the usual case: it has already finished
        while worker.is_alive():  # stopped early: unblock a put, let the loop wind down
            with contextlib.suppress(queue.Empty):
                while True:
                    items.get_nowait()
            worker.join(timeout=0.05)
    if failed:
        raise failed[0]


def run_sync(work: Callable[[], Awaitable[T]]) -> T:
    """``await work()`` from synchronous code and return its result (or raise its error)."""

    async def one() -> AsyncIterator[T]:
        yield await work()

    (result,) = list(iterate(one, buffer=1))
    return result
