"""Where health-check thresholds are configured: the ``[health]`` tables of
``config.toml`` and of the inventory (``fleet.toml`` or ``--inventory FILE``); and the
inventory's ``[updates]`` table (maintenance windows, tcxkit.updates).

This module only finds and reads them (the same files, privacy checks and TOML errors
as profiles and the inventory); :mod:`tcxkit.health.thresholds` checks their contents
against the checks and merges them per PBX tag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..private_files import check_private
from .options import Options
from .profiles import config_dir
from .targets import inventory_path

__all__ = ["health_tables", "inventory_table"]


def _read(path: Path, what: str, table: str = "health") -> Any:
    import tomllib

    check_private(path, what)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get(table)
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigurationError(
            f"Cannot read {path}: {exc}.", hint=f"Fix the file; see docs/{table}.md."
        ) from None


def health_tables(opts: Options) -> list[tuple[str, Any]]:
    """``(file, its [health] table)`` for config.toml, then the inventory (lowest first);
    files without one are left out."""
    found = []
    config = config_dir() / "config.toml"
    if config.exists():
        found.append((str(config), _read(config, "configuration file")))
    inventory, _explicit = inventory_path(opts)
    if inventory is not None and inventory.exists():
        found.append((str(inventory), _read(inventory, "inventory")))
    return [(where, raw) for where, raw in found if raw is not None]


def inventory_table(opts: Options, table: str) -> tuple[str, Any] | None:
    """``(file, its [table])`` of the inventory, or None when it has none."""
    inventory, _explicit = inventory_path(opts)
    if inventory is None or not inventory.exists():
        return None
    raw = _read(inventory, "inventory", table)
    return None if raw is None else (str(inventory), raw)
