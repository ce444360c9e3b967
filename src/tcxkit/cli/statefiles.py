"""State files on disk for ``3cx state``: written whole or not at all, summarised in a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError

__all__ = ["counts", "write_atomically"]


def write_atomically(path: str, text: str) -> None:
    """Write through a temporary file, so a failed pull never leaves half a document."""
    from ..downloads import atomic_file

    try:
        with atomic_file(Path(path), overwrite=True, mode="w") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def counts(doc: dict[str, Any]) -> list[str]:
    """``["12 users", "office_hours", ...]``: what a pulled document holds, for one line."""
    from ..state.managed import get_type

    return [name if get_type(name).singleton else f"{len(v)} {name}" for name, v in doc.items()]
