"""The checkpoint file of a file sink (JSON lines/CSV, Parquet), replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..private_files import open_private

__all__ = ["save_state"]

#: What :func:`~tcxkit.private_files.open_private` names in a refusal: call records name
#: people and their numbers, so no other local user reads an export or its checkpoint.
WHAT = "export file"


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` through ``PATH.tmp``, synced, then renamed over it: a
    crash at any point leaves the old checkpoint or the new one, never half of one.  Owner
    only (0600), like the export it describes."""
    tmp = path.with_name(path.name + ".tmp")
    with open_private(tmp, "w", what=WHAT, encoding="utf-8") as fh:
        json.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
