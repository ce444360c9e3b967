"""One manifest entry: the small JSON object stored next to an archived object.

Backups (tcxkit.backups.manifest) and recordings (tcxkit.recordings.manifest) each
keep an entry per stored object, written last as its commit mark.  Both need the same
three things -- where the entry lives, its bytes, and a strict read that turns any
malformed entry into one :class:`StorageError` naming it -- so they share this mixin
rather than two copies that could drift apart in what counts as "readable".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import IO, Any, ClassVar, Self

from .base import StorageError

__all__ = ["JsonEntry"]


class JsonEntry:
    """Mixin for a frozen dataclass with ``key``, ``size`` and ``sha256`` fields.

    A subclass sets :attr:`entry_suffix` and may extend :meth:`check` with its own
    rules; unknown JSON fields are ignored (a newer writer's entry stays readable).
    """

    entry_suffix: ClassVar[str]
    key: str
    size: int
    sha256: str

    @property
    def entry_key(self) -> str:
        """The key the entry is stored under: the object's key plus the suffix."""
        return self.key + self.entry_suffix

    def to_json(self) -> bytes:
        """The entry as stored: indented, sorted JSON and a final newline."""
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode() + b"\n"  # type: ignore[call-overload]

    def check(self) -> None:
        """Raise ValueError when a field is malformed (extended by subclasses)."""

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Self:
        """The entry in ``data``; a malformed one is a :class:`StorageError` naming ``where``."""
        fields: dict[str, Any] = cls.__dataclass_fields__  # type: ignore[attr-defined]
        try:
            raw = json.loads(data)
            entry = cls(**{f: raw[f] for f in fields if f in raw})
            entry.check()
            if not isinstance(entry.size, int) or len(str(entry.sha256)) != 64:
                raise ValueError("size or sha256 malformed")
        except (ValueError, TypeError, KeyError) as exc:
            raise StorageError(f"{where}: not a readable manifest entry ({exc}).") from exc
        return entry


def sha256_of(handle: IO[bytes]) -> tuple[int, str]:
    """Size and SHA-256 of a stream, read in pieces (what every entry records)."""
    digest, size = hashlib.sha256(), 0
    while piece := handle.read(1 << 20):
        digest.update(piece)
        size += len(piece)
    return size, digest.hexdigest()
