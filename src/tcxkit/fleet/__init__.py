"""Many PBXs at once: the inventory (:mod:`.inventory`), the engine (:mod:`.runner`),
the one sync bridge (:mod:`.bridge`) and per-PBX file names (:mod:`.files`).

``tcxkit.Fleet`` is the runner; see docs/fleet.md.  The runner (and asyncio) loads on
first use, so reading an inventory or checking a tag stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from ..config import inventory as _inventory
from ..config.inventory import *  # noqa: F403 -- the inventory's names, listed once there

if TYPE_CHECKING:
    from .runner import Fleet, FleetReport, FleetResult

__all__ = ["Fleet", "FleetReport", "FleetResult"]
__all__ += _inventory.__all__

__getattr__ = lazy_attributes(
    __name__, {"Fleet": "runner", "FleetReport": "runner", "FleetResult": "runner"}
)
