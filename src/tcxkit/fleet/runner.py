"""Run one coroutine on many PBXs at once: :class:`Fleet`.

One event loop, one :class:`~tcxkit.AsyncClient` (and so one token) per PBX, at most
``concurrency`` PBXs in flight.  A PBX that fails becomes a :class:`FleetResult` with
its error; it never stops the others.  No thread or process per PBX: twenty PBXs cost
twenty sockets and a few coroutines, which is what keeps a fleet read close to the
time of the slowest PBX rather than the sum of all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..config.inventory import PbxTarget, SecretResolver, resolve_secret
from ..errors import FleetFailure, TcxError, UsageError

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["Fleet", "FleetResult"]

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
    """

    def __init__(
        self,
        members: Iterable[PbxTarget] | Mapping[str, AsyncClient],
        *,
        secrets: SecretResolver | None = None,
        concurrency: int = 8,
        **client_options: Any,
    ) -> None:
        if concurrency < 1:
            raise UsageError(
                f"concurrency must be at least 1, got {concurrency}.", hint="Default: 8."
            )
        self.concurrency = concurrency
        self._secrets = secrets or resolve_secret
        self._options = client_options
        self._clients: dict[str, AsyncClient] = {}
        self._targets: dict[str, PbxTarget] = {}
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
        client = AsyncClient(target.url, target.client_id, self._secrets(target), **options)
        self._clients[name] = client
        return client

    async def run(self, fn: Callable[[str, AsyncClient], Awaitable[T]]) -> list[FleetResult[T]]:
        """``await fn(name, client)`` for every PBX, ``concurrency`` at a time; results in
        fleet order, failures as results with ``error`` set."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(name: str) -> FleetResult[T]:
            async with gate:
                try:
                    return FleetResult(name, await fn(name, self.client(name)))
                except TcxError as exc:
                    return FleetResult(name, error=exc)
                except Exception as exc:  # a caller's bug must not cost the other PBXs
                    return FleetResult(name, error=_as_tcx_error(exc))

        return list(await asyncio.gather(*(one(n) for n in self._names)))

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

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
