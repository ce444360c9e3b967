"""Many PBXs at once: the inventory (:mod:`.inventory`) and the runner (:mod:`.runner`).

``tcxkit.Fleet`` is the runner; see docs/fleet.md.
"""

from __future__ import annotations

from .inventory import (
    PbxTarget,
    SecretRef,
    SecretResolver,
    dump_inventory,
    load_inventory,
    parse_inventory,
    resolve_secret,
    select,
)
from .runner import Fleet, FleetResult

__all__ = [
    "Fleet",
    "FleetResult",
    "PbxTarget",
    "SecretRef",
    "SecretResolver",
    "dump_inventory",
    "load_inventory",
    "parse_inventory",
    "resolve_secret",
    "select",
]
