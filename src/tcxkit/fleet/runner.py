"""Run one coroutine on many PBXs at once: :class:`Fleet`, the one fleet engine.

Every face that runs work over several PBXs (``3cx --fleet``, ``3cx state --fleet``,
``3cx fleet list --check``) runs it here: :meth:`Fleet.run` (async) or
:meth:`Fleet.run_sync` / :meth:`Fleet.stream_sync` (from synchronous code, through the
one bridge in :mod:`tcxkit.fleet.bridge`), and reads a :class:`FleetReport`.

One event loop, one :class:`~tcxkit.AsyncClient` (and so one token) per PBX, at most
``concurrency`` PBXs in flight.  A PBX that fails becomes a :class:`FleetResult` with
its error; it never stops the others.  No thread or process per PBX: twenty PBXs cost
twenty sockets and a few coroutines, which is what keeps a fleet read close to the
time of the slowest PBX rather than the sum of all.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..config.inventory import PbxTarget, SecretResolver, resolve_secret
from ..errors import FleetFailure, TcxError, UsageError

if TYPE_CHECKING:
    import ssl

    from ..client import AsyncClient

__all__ = ["NOT_SENT", "Bounded", "Fleet", "FleetReport", "FleetResult"]

T = TypeVar("T")

#: Items buffered between the PBXs' pagers and the reader of :meth:`Fleet.paginate`.
_QUEUE = 512


@dataclass(frozen=True)
class FleetResult(Generic[T]):
    """What one PBX gave: ``value``, or ``error`` (a tcxkit error, never a secret)."""

    pbx: str
    value: T | None = None
    error: TcxError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


#: The outcome of a job that a stopped :class:`Bounded` run never started.
NOT_SENT: Any = type("NotSent", (), {"__repr__": lambda _self: "NOT_SENT"})()


class Bounded:
    """The engine under every fleet run and items mode: jobs on one event loop, at most
    ``concurrency`` running, outcomes in submission order.

    At most once: a job that has not started when the run stops (:meth:`stop`, or its
    first failure with ``stop_on_error``) never starts -- its outcome is
    :data:`NOT_SENT` -- while jobs already running finish and are reported.
    """

    def __init__(self, concurrency: int) -> None:
        if concurrency < 1:
            raise UsageError(
                f"concurrency must be at least 1, got {concurrency}.", hint="Default: 8."
            )
        self._gate = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self.stopped = False
        self._stop_on_error = False

    def stop(self) -> None:
        """Start no further job (those running finish)."""
        self.stopped = True

    async def _guarded(self, job: Callable[[], Awaitable[T]]) -> T:
        async with self._gate:
            if self.stopped:
                return NOT_SENT  # type: ignore[no-any-return]
            try:
                return await job()
            except Exception:
                if self._stop_on_error:  # before the gate lets the next job start
                    self.stop()
                raise

    async def outcomes(
        self,
        jobs: Iterable[Callable[[], Awaitable[T]]],
        *,
        window: int | None = None,
        stop_on_error: bool = False,
    ) -> AsyncIterator[tuple[int, T | None, BaseException | None]]:
        """``(index, value, error)`` per job (index from 1), in submission order.

        ``window`` bounds the jobs taken from ``jobs`` ahead of the one being reported
        (all of them when None); ``error`` is :data:`NOT_SENT` for a job never started.
        """
        from collections import deque

        self._stop_on_error = stop_on_error
        pending = enumerate(jobs, 1)
        queued: deque[tuple[int, asyncio.Task[T]]] = deque()
        limit = window or 0
        try:
            while True:
                while not self.stopped and (not limit or len(queued) < limit):
                    nxt = next(pending, None)
                    if nxt is None:
                        break
                    queued.append((nxt[0], asyncio.ensure_future(self._guarded(nxt[1]))))
                if not queued:
                    return
                index, task = queued.popleft()
                try:
                    value = await task
                except Exception as exc:
                    yield index, None, exc
                    continue
                if value is NOT_SENT:
                    yield index, None, NOT_SENT
                else:
                    yield index, value, None
        finally:
            for _index, task in queued:
                task.cancel()
            if queued:
                await asyncio.gather(*(t for _i, t in queued), return_exceptions=True)


@dataclass(frozen=True)
class FleetReport(Generic[T]):
    """What a fleet run gave: one :class:`FleetResult` per PBX, in fleet order.

    ``rows`` are all of them, ``failures`` the failed ones; :meth:`raise_for_failures`
    turns failures into one :class:`~tcxkit.errors.FleetFailure` (exit code 10, or the
    common code when every PBX failed alike) after the caller has shown the rows.
    """

    rows: list[FleetResult[T]]

    @property
    def failures(self) -> list[FleetResult[T]]:
        return [r for r in self.rows if not r.ok]

    @property
    def values(self) -> dict[str, T]:
        """The answers of the PBXs that succeeded, by name."""
        return {r.pbx: r.value for r in self.rows if r.ok}  # type: ignore[misc]

    @property
    def ok(self) -> bool:
        return not self.failures

    def raise_for_failures(self, total: int | None = None) -> None:
        """Raise :class:`~tcxkit.errors.FleetFailure` when some PBX failed (``total``:
        the PBXs of the whole run, when this report covers only part of it)."""
        failures = self.failures
        if failures:
            raise FleetFailure(failures, len(self.rows) if total is None else total)


def _as_tcx_error(exc: Exception) -> TcxError:
    """A non-tcxkit exception from a caller's function, as an error row (cause kept)."""
    err = TcxError(
        f"unexpected {type(exc).__name__}: {exc}",
        hint="A bug in the function run over the fleet, or in tcxkit; --debug shows more.",
    )
    err.__cause__ = exc
    return err


class Fleet:
    """Many PBXs, addressed as one.

    ``Fleet(targets, secrets=resolver)`` makes one AsyncClient per
    :class:`~tcxkit.fleet.PbxTarget` when first needed (``client_options`` are passed
    to each, e.g. ``timeout=10``); ``Fleet({"acme": client, ...})`` uses ready clients.
    ``async with`` closes every client.

    ``concurrency`` PBXs are worked on at once; each client made here sends at most
    ``per_pbx`` requests at once (its :attr:`~tcxkit.AsyncClient.max_in_flight`; None: no
    limit): the PBXs are already in parallel, and a PBX's requests taking turns on a few
    kept-alive connections cost far less than a new connection each (a ``state plan``
    reads 13 kinds at once; docs/benchmarks.md, fleet).
    """

    def __init__(
        self,
        members: Iterable[PbxTarget] | Mapping[str, AsyncClient],
        *,
        secrets: SecretResolver | None = None,
        concurrency: int = 8,
        per_pbx: int | None = 4,
        **client_options: Any,
    ) -> None:
        if concurrency < 1:
            raise UsageError(
                f"concurrency must be at least 1, got {concurrency}.", hint="Default: 8."
            )
        from ..client import in_flight_limit

        self.concurrency = concurrency
        self.per_pbx = in_flight_limit(per_pbx, "per_pbx")
        self._secrets = secrets or resolve_secret
        self._options = client_options
        self._clients: dict[str, AsyncClient] = {}
        self._targets: dict[str, PbxTarget] = {}
        self._tls: dict[bool, ssl.SSLContext] = {}
        if isinstance(members, Mapping):
            self._clients = dict(members)
            self._names = list(self._clients)
        else:
            self._names = []
            for t in members:
                if t.name in self._targets:
                    raise UsageError(f"Two PBXs are named {t.name!r}.", hint="Names are keys.")
                self._targets[t.name] = t
                self._names.append(t.name)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    @property
    def targets(self) -> list[PbxTarget]:
        return [self._targets[n] for n in self._names if n in self._targets]

    def client(self, name: str) -> AsyncClient:
        """The PBX's client, made on first use (a missing secret raises here, per PBX)."""
        found = self._clients.get(name)
        if found is not None:
            return found
        target = self._targets.get(name)
        if target is None:
            raise UsageError(f"No PBX named {name!r} in this fleet.", hint=", ".join(self._names))
        from ..client import AsyncClient

        options = {
            "release": target.release,
            "verify": target.verify,
            "allow_http": target.insecure_http,
            **self._options,
        }
        if target.url.startswith("http://"):
            options["verify"] = False  # no certificates to check; skips loading the CA bundle
        if isinstance(options["verify"], bool):
            options["verify"] = self._tls_context(options["verify"])
        client = AsyncClient(target.url, target.client_id, self._secrets(target), **options)
        client.max_in_flight = self.per_pbx
        self._clients[name] = client
        return client

    def _tls_context(self, verify: bool) -> ssl.SSLContext:
        """One TLS context per ``verify`` setting for the whole fleet, made as httpx makes
        it for ``verify=True``/``False``: each client would otherwise build its own (and
        with verification on, load the CA bundle again), per PBX."""
        found = self._tls.get(verify)
        if found is None:
            from .._httpx import httpx

            found = self._tls[verify] = httpx.create_ssl_context(verify=verify)
        return found

    async def run(
        self, fn: Callable[[str, AsyncClient], Awaitable[T]], *, close_each: bool = False
    ) -> list[FleetResult[T]]:
        """``await fn(name, client)`` for every PBX, ``concurrency`` at a time; results in
        fleet order, failures as results with ``error`` set.  ``close_each`` closes a
        PBX's client (made from a target) as soon as its work is done, so a big fleet
        does not hold every finished PBX's idle connections until the end."""

        def job(name: str) -> Callable[[], Awaitable[T]]:
            async def one() -> T:
                try:
                    return await fn(name, self.client(name))
                finally:
                    if close_each:
                        await self._close(name)

            return one

        results: list[FleetResult[T]] = []
        engine = Bounded(self.concurrency)
        async for index, value, error in engine.outcomes(job(n) for n in self._names):
            name = self._names[index - 1]
            if error is None:
                results.append(FleetResult(name, value))
            elif isinstance(error, TcxError):
                results.append(FleetResult(name, error=error))
            else:  # a caller's bug must not cost the other PBXs
                results.append(FleetResult(name, error=_as_tcx_error(error)))  # type: ignore[arg-type]
        return results

    def run_sync(self, fn: Callable[[str, AsyncClient], Awaitable[T]]) -> FleetReport[T]:
        """:meth:`run` from synchronous code; closes the clients (their loop ends here)."""
        from .bridge import run_sync

        async def whole() -> FleetReport[T]:
            async with self:
                return FleetReport(await self.run(fn, close_each=True))

        return run_sync(whole)

    def stream_sync(self, source: Callable[[Fleet], AsyncIterator[T]]) -> Iterator[T]:
        """Iterate ``source(fleet)`` from synchronous code as its items arrive (a printer
        pulls rows while PBXs still answer); closes the clients at the end."""
        from .bridge import iterate

        async def whole() -> AsyncIterator[T]:
            async with self:
                async for item in source(self):
                    yield item

        return iterate(whole)

    async def call(self, action: str, /, **params: Any) -> list[FleetResult[Any]]:
        """One call of ``action`` on every PBX."""
        return await self.run(lambda _name, client: client.call(action, **params))

    async def paginate(
        self, action: str, /, *, page_size: int | None = None, **params: Any
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """``(pbx, item)`` for every item of every PBX, as they arrive (PBXs interleave).

        When some PBXs failed, :class:`~tcxkit.errors.FleetFailure` is raised after the
        last item of the others, its ``failures`` naming each failed PBX and its error.
        """
        queue: asyncio.Queue[Any] = asyncio.Queue(_QUEUE)
        end = object()

        async def pump(name: str, client: AsyncClient) -> int:
            n = 0
            async for item in client.paginate(action, page_size=page_size, **params):
                await queue.put((name, item))
                n += 1
            return n

        async def produce() -> list[FleetResult[int]]:
            try:
                return await self.run(pump)
            finally:
                await queue.put(end)

        task = asyncio.ensure_future(produce())
        try:
            while (got := await queue.get()) is not end:
                yield got
            results = await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        failures = [r for r in results if not r.ok]
        if failures:
            raise FleetFailure(failures, len(results))

    async def _close(self, name: str) -> None:
        if name in self._targets:  # a client the caller handed in stays the caller's
            client = self._clients.pop(name, None)
            if client is not None:
                await asyncio.gather(client.aclose(), return_exceptions=True)

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
