"""The checkpoint file of a file sink (JSON lines/CSV, Parquet), replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

__all__ = ["private_open", "save_state"]


def private_open(path: Path, mode: str, **kwargs: Any) -> IO[Any]:
    """``open(path, mode)``, a file it creates being owner-only (0600): call records name
    people and their numbers, so no other local user reads an export."""
    flags = os.O_CREAT | (os.O_RDWR if "+" in mode else os.O_WRONLY)
    if mode.startswith("w"):
        flags |= os.O_TRUNC
    return open(os.open(path, flags, 0o600), mode, **kwargs)


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` through ``PATH.tmp``, synced, then renamed over it: a
    crash at any point leaves the old checkpoint or the new one, never half of one.  Owner
    only (0600), like the export it describes."""
    tmp = path.with_name(path.name + ".tmp")
    with private_open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
