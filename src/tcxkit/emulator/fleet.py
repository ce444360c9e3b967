"""Emulated fleets: N independent PBXs on one server, and the inventory that lists them.

Each instance has its own port, SQLite database, client id and API key (random, so
that a test proves the runner uses each PBX's own token).  The inventory written
for them names a private file per key (a 0700 directory of 0600 files next to it);
the keys are never in the inventory nor printed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.inventory import PbxTarget, SecretRef, dump_inventory
from ..downloads import atomic_file
from ..private_files import open_private
from .config import EmulatorConfig

if TYPE_CHECKING:
    from ..fleet import Fleet
    from .server import RunningEmulator

__all__ = ["EmulatedFleet", "fleet_configs", "running_fleet", "serve_fleet", "write_inventory"]

#: Most instances one ``--instances`` serves (each is a full PBX with its own database).
MAX_INSTANCES = 200


def instance_name(i: int, n: int) -> str:
    return f"pbx{i + 1:0{max(2, len(str(n)))}d}"


def instance_tags(i: int) -> tuple[str, ...]:
    """Every instance is ``emulated``; odd ones ``eu``, even ones ``us`` (for selectors)."""
    return ("emulated", "eu" if i % 2 == 0 else "us")


def fleet_configs(n: int, base: EmulatorConfig | None = None) -> list[EmulatorConfig]:
    """``n`` configs like ``base``, each with its own client id, API key and database."""
    from ..errors import ConfigurationError

    if not 1 <= n <= MAX_INSTANCES:
        raise ConfigurationError(
            f"--instances must be between 1 and {MAX_INSTANCES}, got {n}.",
            hint="Each instance is a whole PBX with its own database.",
        )
    base = base or EmulatorConfig()
    out = []
    for i in range(n):
        name = instance_name(i, n)
        db = None
        if base.db is not None:  # one file per instance, next to the one given
            p = Path(base.db)
            db = p.with_name(f"{p.stem}-{name}{p.suffix or '.db'}")
        out.append(
            replace(
                base,
                client_id=f"{base.client_id}-{name}",
                client_secret=secrets.token_urlsafe(18),
                db=db,
                port=0,
                options=_own_seed(base.options, i),
            )
        )
    return out


def _own_seed(options: dict[str, object], i: int) -> dict[str, object]:
    """The instance's options: with a traffic ``seed``, seed + i, so each PBX has its own
    traffic and the fleet's is still replayed by the same seed."""
    seed = options.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        return dict(options)
    return {**options, "seed": seed + i}


def write_inventory(
    path: str | os.PathLike[str],
    urls: list[str],
    configs: list[EmulatorConfig],
    *,
    relative: bool = True,
) -> list[PbxTarget]:
    """Write the inventory at ``path`` and each key to ``<path>.secrets/<name>`` (0600).

    The inventory names the key files relative to itself (the pair can be moved),
    or by absolute path with ``relative=False`` (an inventory printed for copying).
    Returns the targets with absolute key paths.
    """
    inventory = Path(path)
    inventory.parent.mkdir(parents=True, exist_ok=True)
    keys = inventory.with_name(inventory.name + ".secrets")
    keys.mkdir(mode=0o700, exist_ok=True)
    os.chmod(keys, 0o700)
    targets = []
    for i, (url, config) in enumerate(zip(urls, configs, strict=True)):
        name = instance_name(i, len(configs))
        key = keys / name
        with open_private(key, "w", what="emulator key file", encoding="utf-8") as fh:
            fh.write(config.client_secret + "\n")
        targets.append(
            PbxTarget(
                name=name,
                url=url,
                client_id=config.client_id,
                secret=SecretRef("file", f"{keys.name}/{name}" if relative else str(key.resolve())),
                tags=instance_tags(i),
                release=config.version,
            )
        )
    with atomic_file(inventory, overwrite=True, mode="w") as handle:  # whole or absent
        handle.write(dump_inventory(targets))
    absolute = (replace(t, secret=SecretRef("file", str(keys.resolve() / t.name))) for t in targets)
    return list(absolute)


@dataclass
class EmulatedFleet:
    """A running emulated fleet: ``instances``, ``targets`` and the ``inventory`` file."""

    instances: list[RunningEmulator]
    targets: list[PbxTarget]
    inventory: Path

    def __getitem__(self, name: str) -> RunningEmulator:
        for target, instance in zip(self.targets, self.instances, strict=True):
            if target.name == name:
                return instance
        raise KeyError(name)

    def fleet(self, **options: Any) -> Fleet:
        """A :class:`tcxkit.Fleet` over every instance (``options`` go to Fleet/clients)."""
        from ..fleet import Fleet

        return Fleet(self.targets, **options)


@contextmanager
def running_fleet(
    n: int,
    inventory: str | os.PathLike[str],
    base: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
) -> Iterator[EmulatedFleet]:
    """Run ``n`` emulated PBXs in a background thread; write their inventory first."""
    from .server import running_many

    configs = fleet_configs(n, base)
    with running_many(configs, host) as instances:
        targets = write_inventory(inventory, [e.url for e in instances], configs)
        yield EmulatedFleet(instances, targets, Path(inventory))


def serve_fleet(
    configs: list[EmulatorConfig],
    host: str,
    port: int,
    inventory: str | os.PathLike[str],
    *,
    on_ready: Callable[[Path, list[PbxTarget]], None],
    idle_timeout: float | None = None,
    relative: bool = True,
) -> bool:
    """Serve ``configs`` in the foreground; write their inventory, then call ``on_ready``."""
    from .server import run_many

    path = Path(inventory)

    def ready(urls: list[str]) -> None:
        on_ready(path, write_inventory(path, urls, configs, relative=relative))

    return run_many(configs, host, port, on_ready=ready, idle_timeout=idle_timeout)
