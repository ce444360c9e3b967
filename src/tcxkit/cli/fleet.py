"""The CLI's fleet: which PBXs ``--fleet`` can select, their keys, ``3cx fleet list``.

Which PBXs exist and where their keys are is the core's
(:mod:`tcxkit.config.targets`); this module selects among them for ``--fleet``
and words the results.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..config import tls_verify
from ..config.inventory import PbxTarget, select
from ..config.options import Options
from ..config.targets import all_targets
from ..config.targets import secret_for as cli_secret
from .errors import error_fields

if TYPE_CHECKING:
    from ..fleet import Fleet, FleetReport, FleetResult

#: ``3cx fleet list`` columns in tables and CSV (JSON rows carry every field).
LIST_COLUMNS = "pbx,tags,release,build,reachable,url,source,key_source"

__all__ = [
    "DEFAULT_CONCURRENCY",
    "cli_secret",
    "error_row",
    "fleet_targets",
    "list_fleet",
    "open_fleet",
    "run_each",
    "with_fleet",
]

DEFAULT_CONCURRENCY = 8


def fleet_targets(opts: Options, selector: str | None = None) -> list[PbxTarget]:
    """The PBXs ``--fleet`` selects; ``--release``/``--ca-bundle``/``--insecure``/
    ``--allow-http`` override."""
    from dataclasses import replace

    chosen = select(all_targets(opts), selector or opts.fleet or "all")
    out = []
    for t in chosen:
        verify = tls_verify(
            insecure=opts.insecure,
            ca_bundle=opts.ca_bundle,
            configured_insecure=t.insecure,
            configured_ca=t.ca_bundle,
        )
        out.append(
            replace(
                t,
                insecure=verify is False,
                ca_bundle=verify if isinstance(verify, str) else None,
                insecure_http=t.insecure_http or opts.allow_http,
                release=opts.release or t.release,
            )
        )
    return out


def open_fleet(targets: list[PbxTarget], opts: Options, concurrency: int | None) -> Fleet:
    """A Fleet for this run: the CLI's keys, timeout and debug logging."""
    from ..fleet import Fleet
    from .connect import enable_debug_logging
    from .settings import settle

    settle(opts)
    if opts.debug:
        enable_debug_logging()
    n = concurrency or opts.concurrency or DEFAULT_CONCURRENCY
    return Fleet(targets, secrets=cli_secret, concurrency=n, timeout=opts.timeout)


T = TypeVar("T")


def with_fleet(opts: Options, work: Callable[[Fleet], Awaitable[T]]) -> T:
    """``work(fleet)`` on the --fleet PBXs, or on a Fleet of the one PBX of the
    profile/flags, from synchronous code; the clients are closed at the end."""
    from ..fleet import Fleet
    from ..fleet.bridge import run_sync

    if opts.fleet:
        fleet = open_fleet(fleet_targets(opts), opts, None)

        async def whole() -> T:
            async with fleet:
                return await work(fleet)

        return run_sync(whole)
    from .connect import make_async_client, resolve

    conn = resolve(opts)
    name = conn.profile or "pbx"

    async def single() -> T:
        async with make_async_client(conn, opts) as client:
            return await work(Fleet({name: client}))

    return run_sync(single)


def run_each(opts: Options, one: Callable[[str, Any], Awaitable[T]]) -> FleetReport[T]:
    """``one(pbx, client)`` on every --fleet PBX, or on the one PBX of the profile/flags:
    a FleetReport either way, so a command has one way to print rows and fail."""
    from ..fleet import FleetReport

    async def each(fleet: Fleet) -> FleetReport[T]:
        return FleetReport(await fleet.run(one, close_each=True))

    return with_fleet(opts, each)


def error_row(result: FleetResult[Any], **extra: Any) -> dict[str, Any]:
    """A failed PBX as an output row: its name, then its error (what, why, exit code).

    The one place a fleet's error row is built (a test holds every other module to it)."""
    assert result.error is not None
    return {"pbx": result.pbx, **extra, "error": error_fields(result.error)}


def list_fleet(opts: Options, check: bool, printer: Any) -> None:
    """``3cx fleet list``: every selected PBX, its tags, release and reachability."""
    targets = fleet_targets(opts)
    if not check:
        printer.rows(_row(t) for t in targets)
        return
    fleet = open_fleet(targets, opts, None)

    async def probe(name: str, client: Any) -> dict[str, Any]:
        # A real read (the release probe's own), so a cached token cannot hide a dead PBX.
        await client.call("GetDefs", select=["Id"])
        return {"release": await client.release(), "build": client.pbx_version}

    report = fleet.run_sync(probe)
    by_name = {t.name: t for t in targets}
    printer.rows(_probed(report.rows, by_name))
    report.raise_for_failures()


def _probed(
    results: list[FleetResult[Any]], by_name: dict[str, PbxTarget]
) -> Iterator[dict[str, Any]]:
    for r in results:
        if r.ok:
            yield {**_row(by_name[r.pbx]), **r.value, "reachable": True}
        else:
            yield error_row(r, **_row(by_name[r.pbx]), reachable=False)


def _row(t: PbxTarget) -> dict[str, Any]:
    return {
        "pbx": t.name,
        "url": t.url,
        "tags": list(t.tags),
        "release": t.release,
        "source": t.source if t.source == "profile" else "inventory",
        "key_source": t.secret.describe(),  # where the key is, never the key
    }
