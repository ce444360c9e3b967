"""The storage protocol, its one error and the rule for object keys.

Keys are relative, ``/``-separated paths of plain names (``pbx01/2026-12-07.zip``):
no empty part, no ``.``/``..``, no leading dot, no control characters.  They are
checked once here, so no store can be talked into writing outside its root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol, runtime_checkable

from ..errors import TcxError

__all__ = [
    "MAX_KEY",
    "ObjectInfo",
    "Storage",
    "StorageError",
    "StorageUnreachable",
    "check_key",
]

#: Longest key, in characters (every store's limit is larger).
MAX_KEY = 512
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=@-]{0,199}")


class StorageError(TcxError):
    """A store could not be reached, read or written (the place and the reason, no secret)."""

    title = "storage error"


def failed(where: str, what: str, exc: BaseException, secrets: Iterable[str] = ()) -> StorageError:
    """``where: cannot what: why`` -- a remote store's failure, its library's text through the
    one redaction (:func:`tcxkit.redaction.redact_text`, with the credentials the store was
    given): boto's or paramiko's text may quote an endpoint with a signed query, a key id,
    or what a server was sent.  The caller raises it ``from exc``."""
    from ..redaction import redact_text

    return StorageError(f"{where}: cannot {what}: {redact_text(str(exc), secrets)}.")


class StorageUnreachable(StorageError):
    """The store's server cannot be reached (exit code 4, as a PBX that cannot be)."""

    title = "storage unreachable"
    exit_code = 4


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object: its key, size in bytes and last change (UTC, when known)."""

    key: str
    size: int
    modified: datetime | None = None


def check_key(key: str) -> str:
    """``key`` when it is a safe relative key, else :class:`StorageError` saying why."""
    if not key or len(key) > MAX_KEY:
        raise StorageError(f"Bad storage key {key[:80]!r}: empty or longer than {MAX_KEY}.")
    for part in key.split("/"):
        if not _PART.fullmatch(part):
            raise StorageError(
                f"Bad storage key {key[:80]!r}: the part {part[:40]!r} is not a plain name.",
                hint="Use letters, digits and . _ + = @ - (not first); no empty parts or '..'.",
            )
    return key


@runtime_checkable
class Storage(Protocol):
    """A place that holds objects under keys.

    ``put`` is atomic: until it returns, readers see the old object (or none), never
    part of the new one; an object that already exists is replaced only when
    ``overwrite`` is true.  ``list`` returns objects under ``prefix`` (every level),
    sorted by key.  ``where`` names the place for messages (never a secret).
    """

    where: str

    def put(self, key: str, source: IO[bytes], *, overwrite: bool = False) -> ObjectInfo: ...

    def get(self, key: str) -> AbstractContextManager[IO[bytes]]: ...

    def list(self, prefix: str = "") -> list[ObjectInfo]: ...

    def delete(self, key: str) -> None: ...

    def stat(self, key: str) -> ObjectInfo | None: ...

    def close(self) -> None: ...


def chunks(source: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """``source`` in pieces of at most ``size`` bytes (streams never load whole)."""
    while piece := source.read(size):
        yield piece
