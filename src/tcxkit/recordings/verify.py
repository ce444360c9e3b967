"""``3cx recording verify``: every stored recording re-hashed against its entry."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import TcxError
from ..storage import Storage
from .manifest import ENTRY_SUFFIX, read_entry, sha256_of

__all__ = ["verify_store"]

#: What a recording's key ends with (other objects in the store -- backups -- are not ours).
AUDIO = ".wav"


def verify_store(store: Storage) -> Iterator[tuple[str, str | None]]:
    """``(key, None)`` per recording that matches its entry, ``(key, why)`` otherwise.

    Only recordings and their entries are looked at (``*.wav``, ``*.wav.json``), so a
    store shared with backups verifies.  A recording without an entry (a run killed between the two writes) and an entry
    without its recording are both reported: neither is an archived recording."""
    objects = {o.key: o.size for o in store.list() if o.key.endswith((AUDIO, AUDIO + ENTRY_SUFFIX))}
    for key in sorted(objects):
        if key.endswith(ENTRY_SUFFIX):
            if key[: -len(ENTRY_SUFFIX)] not in objects:
                yield key[: -len(ENTRY_SUFFIX)], "missing (its manifest entry is there)"
            continue
        if key + ENTRY_SUFFIX not in objects:
            yield key, "no manifest entry (an interrupted run; run the archive again)"
            continue
        try:
            entry = read_entry(store, key)
            with store.get(key) as handle:
                size, sha = sha256_of(handle)
        except TcxError as exc:
            yield key, exc.message
            continue
        if (size, sha) != (entry.size, entry.sha256):
            yield key, f"differs from its manifest entry ({size} bytes, sha256 {sha[:12]}...)"
        else:
            yield key, None
