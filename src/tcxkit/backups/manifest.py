"""The manifest: one small JSON entry next to each archive, written after it.

Layout in a store::

    <pbx>/<UTC time>_<PBX's file name>                  the archive, as the PBX made it
    <pbx>/<UTC time>_<PBX's file name>.manifest.json    its manifest entry

One entry per archive (not one shared file) because entries are then written
atomically and independently: two runs into one store, or twenty PBXs of one run,
never rewrite each other's entries, and an interrupted run leaves either an archive
with its entry or an archive without one -- which ``3cx backup verify`` reports as
"no manifest entry", never as a good backup.  The entry is written last: it is the
commit mark.  It never holds a secret (the backup's password is never recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from ..downloads import safe_filename
from ..storage import ObjectInfo, Storage, StorageError
from ..storage.entries import JsonEntry

__all__ = ["ENTRY_SUFFIX", "ManifestEntry", "archive_key", "read_entries"]

ENTRY_SUFFIX = ".manifest.json"
#: Largest manifest entry read, bytes (an entry is about 500).
MAX_ENTRY = 64 * 1024
FORMAT = 1


@dataclass(frozen=True)
class ManifestEntry(JsonEntry):
    """One archive: which PBX and release, when, how big, its SHA-256, with which options."""

    pbx: str
    key: str
    time: str  # UTC, ISO 8601 with Z
    size: int
    sha256: str
    release: str | None = None
    build: str | None = None
    pbx_file: str | None = None
    members: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT
    entry_suffix: ClassVar[str] = ENTRY_SUFFIX

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    def check(self) -> None:
        """A bad time is a bad entry, found when it is read, not when it is used."""
        self.when  # noqa: B018 - a bad time is a bad entry, found now


def stamp(when: datetime) -> str:
    """``2026-12-07T021500Z``: sortable, and a plain name on every file system."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")


def archive_key(pbx: str, when: datetime, pbx_file: str) -> str:
    """Where a PBX's archive goes in a store (module docstring)."""
    name = safe_filename(pbx_file, "backup.zip").replace(" ", "_")
    return f"{pbx}/{stamp(when)}_{name}"


def read_entries(store: Storage, objects: list[ObjectInfo] | None = None) -> list[ManifestEntry]:
    """Every manifest entry in ``store``, oldest first (a bad one raises, naming it)."""
    objects = store.list() if objects is None else objects
    entries = []
    for obj in objects:
        if not obj.key.endswith(ENTRY_SUFFIX):
            continue
        if obj.size > MAX_ENTRY:
            raise StorageError(f"{store.where}/{obj.key}: {obj.size} bytes, not an entry.")
        with store.get(obj.key) as handle:
            data = handle.read(MAX_ENTRY + 1)
        entries.append(ManifestEntry.from_json(data, f"{store.where}/{obj.key}"))
    return sorted(entries, key=lambda e: (e.when, e.pbx))
