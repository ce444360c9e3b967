"""The CLI's fleet: which PBXs ``--fleet`` can select, their keys, ``3cx fleet list``.

The fleet is the ``--inventory FILE`` (or ``$TCX_INVENTORY``) alone when one is given
-- a test or customer inventory must never pull the user's other PBXs into an
action -- and otherwise every profile (with the tags ``3cx login --tag`` gave it)
plus ``fleet.toml`` in the config directory.  Keys come from where each target
says: the profile's store, the OS keyring, a 0600 file or an environment variable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import env_text, tls_verify
from ..errors import ConfigurationError, FleetFailure
from ..fleet.inventory import PbxTarget, SecretRef, load_inventory, resolve_secret, select
from .errors import error_fields
from .profiles import KEYRING_SERVICE, config_dir, get_secret, keyring_secret, load_config
from .runopts import Options

if TYPE_CHECKING:
    from ..fleet import Fleet, FleetResult

#: ``3cx fleet list`` columns in tables and CSV (JSON rows carry every field).
LIST_COLUMNS = "pbx,tags,release,build,reachable,url,source,key_source"

__all__ = [
    "DEFAULT_CONCURRENCY",
    "cli_secret",
    "error_row",
    "fleet_targets",
    "list_fleet",
    "open_fleet",
    "stream",
]

DEFAULT_CONCURRENCY = 8


def _inventory_path(opts: Options) -> tuple[Path | None, bool]:
    """The inventory file, and whether it was named explicitly (then it is the fleet)."""
    given = opts.inventory or env_text("TCX_INVENTORY")
    if given:
        return Path(given).expanduser(), True
    default = config_dir() / "fleet.toml"
    return (default if default.exists() else None), False


def all_targets(opts: Options) -> list[PbxTarget]:
    """Every PBX the selector can name (see the module docstring)."""
    path, explicit = _inventory_path(opts)
    inventory = load_inventory(path) if path else []
    if explicit:
        return inventory
    cfg = load_config()
    profiles = [
        PbxTarget(
            name=p.name,
            url=p.url.rstrip("/"),
            client_id=p.client_id,
            secret=SecretRef("profile", p.name),
            tags=tuple(p.tags),
            release=p.version,
            ca_bundle=p.ca_bundle,
            insecure=p.insecure,
            source="profile",
        )
        for p in cfg.profiles.values()
    ]
    clash = sorted({p.name for p in profiles} & {t.name for t in inventory})
    if clash:
        raise ConfigurationError(
            f"{path}: {', '.join(clash)} is both a profile and an inventory entry.",
            hint="Rename one of them: a name selects exactly one PBX.",
        )
    return profiles + inventory


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


def cli_secret(target: PbxTarget) -> str:
    """The key of ``target``: the core's sources plus the profile store and the keyring."""
    ref = target.secret
    if ref.kind == "profile":
        found = get_secret(load_config().require(ref.ref))
        if not found:
            raise ConfigurationError(
                f"{target.name}: no API key stored for profile {ref.ref!r}.",
                hint=f"Store it again with `3cx login --name {ref.ref}`.",
            )
        return found
    if ref.kind == "keyring":
        found = keyring_secret(ref.ref)
        if not found:
            raise ConfigurationError(
                f"{target.name}: no API key in the keyring under {KEYRING_SERVICE}/{ref.ref}.",
                hint="Store it with `keyring set tcxkit NAME`, or name secret_env / "
                "secret_file in the inventory.",
            )
        return found
    return resolve_secret(target)


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


def error_row(result: FleetResult[Any], **extra: Any) -> dict[str, Any]:
    """A failed PBX as an output row: its name, then its error (what, why, exit code)."""
    assert result.error is not None
    return {"pbx": result.pbx, **extra, "error": error_fields(result.error)}


def stream(source: Callable[[], AsyncIterator[Any]]) -> Iterator[Any]:
    """Iterate an async generator from synchronous code (the printer pulls rows).

    The event loop runs in one worker thread; rows cross through a bounded queue, so a
    slow terminal holds the PBXs back instead of filling memory.  Stopping early (the
    reader went away) cancels the loop's work.
    """
    import asyncio
    import contextlib
    import queue
    import threading

    rows: queue.Queue[Any] = queue.Queue(1024)
    end = object()
    stop = threading.Event()
    failed: list[BaseException] = []
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = []

    async def pump() -> None:
        task = asyncio.current_task()
        assert task is not None
        running.append((asyncio.get_running_loop(), task))
        try:
            async for row in source():
                while not stop.is_set():
                    try:
                        rows.put(row, timeout=0.1)
                        break
                    except queue.Full:
                        await asyncio.sleep(0)
                if stop.is_set():
                    return
        except BaseException as exc:
            failed.append(exc)
        finally:
            rows.put(end)

    worker = threading.Thread(target=asyncio.run, args=(pump(),), name="tcxkit-fleet")
    worker.start()
    try:
        while (row := rows.get()) is not end:
            yield row
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
                    rows.get_nowait()
            worker.join(timeout=0.05)
    if failed:
        raise failed[0]


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

    failures: list[FleetResult[Any]] = []

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async with fleet:
            results = await fleet.run(probe)
        by_name = {t.name: t for t in targets}
        for r in results:
            if r.value is not None:
                yield {**_row(by_name[r.pbx]), **r.value, "reachable": True}
            else:
                failures.append(r)
                yield error_row(r, **_row(by_name[r.pbx]), reachable=False)

    printer.rows(stream(rows))
    if failures:
        raise FleetFailure(failures, len(targets))


def _row(t: PbxTarget) -> dict[str, Any]:
    return {
        "pbx": t.name,
        "url": t.url,
        "tags": list(t.tags),
        "release": t.release,
        "source": t.source if t.source == "profile" else "inventory",
        "key_source": t.secret.describe(),  # where the key is, never the key
    }
