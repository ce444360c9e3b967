"""Backups you can restore: take, fetch, verify and keep PBX backups in a store.

:mod:`.run` takes one PBX's backup (the fleet runs it on many), :mod:`.archive` says
what "verified" means, :mod:`.manifest` records each archive, :mod:`.catalogue`
verifies, lists and prunes a store (:mod:`tcxkit.storage`), :mod:`.restore` puts a
PBX back to a checked backup.  ``3cx backup`` is the
command line over it; see docs/backups.md.
"""

from __future__ import annotations

from .archive import ArchiveFacts, BackupInvalid, check_archive
from .catalogue import Check, gfs_keep, list_rows, prune_plan, verify_store
from .manifest import ManifestEntry, read_entries
from .run import BackupFailed, BackupOptions, StoreLane, backup_pbx

__all__ = [
    "ArchiveFacts",
    "BackupFailed",
    "BackupInvalid",
    "BackupOptions",
    "Check",
    "ManifestEntry",
    "StoreLane",
    "backup_pbx",
    "check_archive",
    "gfs_keep",
    "list_rows",
    "prune_plan",
    "read_entries",
    "verify_store",
]
