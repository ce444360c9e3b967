"""Where a PBX stands: the release it runs, the 3CX update it is offered, how far behind.

Three reads: ``GetSystemStatus`` (``Version``, the build installed), ``GetUpdates`` (the
entries the PBX offers; the ``3CX`` category is the PBX itself, the others are phone
firmware, prompts and the like) and ``GetUpdateSettings`` (whether the PBX updates
itself, on its own schedule and outside any window of ours; None when that cannot be
read; a roll-out leaves it unread).  Only the PBX's own update is rolled out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, TcxError
from ..releases import releases_behind, version_key

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["UpdateStatus", "pbx_status"]

#: ``UpdateItem.Category`` of the PBX's own software.
PBX_CATEGORY = "3CX"


@dataclass(frozen=True)
class UpdateStatus:
    """One PBX's update status (``offered`` is None when it is current; ``behind`` counts
    releases, 20.0.8 -> 20.0.10 is two, and a newer build of the same release one)."""

    pbx: str
    installed: str | None
    offered: str | None = None
    behind: int = 0
    #: The Guids of the 3CX entries to install, and the list's ``Key`` (InstallUpdates' body).
    entries: tuple[str, ...] = ()
    key: str | None = None
    #: Other pending updates (phone firmware, prompts...), by name; not rolled out here.
    other: tuple[str, ...] = ()
    maintenance_expired: bool = False
    last_update: str | None = None
    auto_update: bool | None = None

    @property
    def current(self) -> bool:
        return self.offered is None

    def as_row(self) -> dict[str, Any]:
        """The status as an output row (every face prints the same fields)."""
        return {
            "pbx": self.pbx,
            "installed": self.installed,
            "offered": self.offered,
            "behind": self.behind,
            "status": "current" if self.current else "behind",
            "other_updates": len(self.other),
            "maintenance_expired": self.maintenance_expired,
            "auto_update": self.auto_update,
            "last_update": self.last_update,
        }


def _entries(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, dict) or not isinstance(answer.get("Entries", []), list):
        raise TcxError("GetUpdates did not answer with an update list (Entries).")
    return [e for e in answer.get("Entries") or [] if isinstance(e, dict)]


async def _auto_update(client: AsyncClient) -> bool | None:
    try:
        settings = await client.call("GetUpdateSettings")
    except ApiError:  # a role that may not read it, a release without it: not known
        return None
    found = settings.get("AutoUpdateEnabled") if isinstance(settings, dict) else None
    return found if isinstance(found, bool) else None


async def pbx_status(pbx: str, client: AsyncClient, *, settings: bool = True) -> UpdateStatus:
    """Read one PBX's :class:`UpdateStatus` (raises when the version or the updates
    cannot be read).  ``settings=False`` leaves ``auto_update`` unread (None): a roll-out
    decides without it, and reads every PBX's status twice."""
    system = await client.call("GetSystemStatus")
    installed = system.get("Version") if isinstance(system, dict) else None
    answer = await client.call("GetUpdates")
    entries = _entries(answer)
    pending = [e for e in entries if e.get("OutOfDate") and not e.get("Ignore")]
    own = [e for e in pending if e.get("Category") == PBX_CATEGORY]
    offered = max((str(e.get("ServerVersion")) for e in own), key=version_key, default=None)
    if offered is not None and version_key(offered) <= version_key(installed):
        offered, own = None, []  # "out of date" yet not newer: nothing to install
    return UpdateStatus(
        pbx=pbx,
        installed=str(installed) if installed else None,
        offered=offered,
        behind=max(1, releases_behind(installed, offered)) if offered else 0,
        entries=tuple(str(e["Guid"]) for e in own if e.get("Guid")),
        key=answer.get("Key"),
        other=tuple(str(e.get("Name")) for e in pending if e.get("Category") != PBX_CATEGORY),
        maintenance_expired=bool(answer.get("IsMaintananceExpired")),  # the spec's spelling
        last_update=answer.get("LastSuccessfulUpdate"),
        auto_update=await _auto_update(client) if settings else None,
    )
