"""The checkpoint file of a file sink (JSON lines/CSV, Parquet), replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["save_state"]


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` through ``PATH.tmp``, synced, then renamed over it: a
    crash at any point leaves the old checkpoint or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
