"""``backup restore``: put a PBX back to a verified backup -- explicit, checked, confirmed.

XAPI has no upload, so a PBX can only be restored from a backup it still has.  Before
anything is sent, every link between the verified archive in the store and what the PBX
will restore is checked (:func:`check_restore`):

1. the archive in the store verifies against its manifest entry;
2. it belongs to this PBX (the entry's PBX is the PBX connected to);
3. the PBX still lists the same file, and its copy has the manifest's SHA-256 (it is
   downloaded -- stopped at the size the PBX lists, as ``backup run``'s downloads are --
   and hashed, never trusted by name);
4. ``GetBackupExtras`` says it is not encrypted (encrypted backups: not yet).

Only then may the caller ask the person and send ``Restore`` (never retried: a
destructive write is sent at most once).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .archive import BackupInvalid, sha256_of
from .catalogue import check_one
from .manifest import ManifestEntry, read_entries
from .run import BackupFailed, fetch_listed, listed_backups

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..storage import Storage

__all__ = ["RestorePlan", "check_restore", "find_entry", "restore"]


@dataclass(frozen=True)
class RestorePlan:
    entry: ManifestEntry
    footprint: int


def find_entry(store: Storage, key: str) -> ManifestEntry:
    """The manifest entry of the archive ``key`` (a usage error naming the keys if none)."""
    from ..errors import UsageError

    entries = read_entries(store)
    for e in entries:
        if key in (e.key, e.entry_key):
            return e
    raise UsageError(
        f"No backup {key!r} in {store.where}.",
        hint="The KEY column of `3cx backup list TARGET` names each backup.",
    )


async def check_restore(
    store: Storage, entry: ManifestEntry, pbx: str, client: AsyncClient
) -> RestorePlan:
    """Every check of the module docstring; raises on the first that fails."""
    import asyncio

    if entry.pbx != pbx:
        raise BackupInvalid(
            f"{entry.key} is a backup of {entry.pbx}, not of {pbx}; nothing was sent.",
            hint=f"Connect to {entry.pbx} (--pbx {entry.pbx}), or restore it by hand.",
        )
    check = await asyncio.to_thread(check_one, store, entry)
    if check.error is not None:
        raise check.error
    listed = {str(r.get("FileName")): r for r in await listed_backups(client)}
    row = listed.get(str(entry.pbx_file))
    if row is None or not isinstance(row.get("DownloadLink"), str):
        raise BackupFailed(
            f"{pbx} no longer has {entry.pbx_file}; XAPI cannot upload it back.",
            hint="Restore the archive from the store in the PBX's admin console "
            "(Backup and Restore, upload), see docs/backups.md 'Recovery'.",
        )
    with tempfile.TemporaryDirectory(prefix="tcxkit-restore-") as tmp:
        local = Path(tmp) / "archive"
        # Bounded as backup run's download: the listed Size (else the manifest's).
        await fetch_listed(client, pbx, row, local, "nothing was sent", entry.size)
        _size, digest = await asyncio.to_thread(sha256_of, local)
    if digest != entry.sha256:
        raise BackupInvalid(
            f"{pbx}'s copy of {entry.pbx_file} is not the verified archive (SHA-256 "
            f"{digest[:16]}..., the manifest says {entry.sha256[:16]}...); nothing was sent."
        )
    extras: Any = await client.call("GetBackupExtras", file_name=entry.pbx_file)
    if isinstance(extras, dict) and extras.get("IsEncrypted"):
        raise BackupInvalid(f"{entry.pbx_file} is encrypted; not supported yet.")
    footprint = extras.get("Footprint") if isinstance(extras, dict) else None
    return RestorePlan(entry, footprint if isinstance(footprint, int) else 0)


async def restore(client: AsyncClient, plan: RestorePlan) -> None:
    """Send ``Restore`` for a checked plan (a destructive write: at most once)."""
    await client.call(
        "Restore", file_name=plan.entry.pbx_file, footprint=plan.footprint, password=""
    )
