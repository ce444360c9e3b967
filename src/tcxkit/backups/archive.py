"""What "verified" means for one backup archive, checked on a local file.

An archive is verified when all of these hold (docs/backups.md, "Guarantees"):

1. its size is the one expected (the PBX's listed ``Size``, or the manifest's) and its
   SHA-256 is recorded (or matches the manifest's);
2. it opens as a zip archive with 1..:data:`MAX_MEMBERS` members, none of them encrypted;
3. every member decompresses and matches its CRC-32 (the whole archive is read once,
   in pieces; at most :data:`MAX_UNPACKED` bytes unpacked, so a zip bomb is refused,
   not unpacked);
4. no member name could land outside a restore folder (absolute, ``..``, backslashes);
5. its table of contents looks like a 3CX backup: at least one configuration or
   database file (:data:`CONFIG_SUFFIXES`).  3CX documents no archive layout, so this
   is deliberately loose: it catches an HTML error page, an empty or foreign zip.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import TcxError
from ..storage.entries import sha256_of as stream_sha256

__all__ = ["CONFIG_SUFFIXES", "ArchiveFacts", "BackupInvalid", "check_archive", "sha256_of"]

MAX_MEMBERS = 100_000
MAX_UNPACKED = 64 << 30
CONFIG_SUFFIXES = (".json", ".xml", ".sql", ".dump", ".conf", ".ini", ".db", ".backup")
_PIECE = 1 << 20


class BackupInvalid(TcxError):
    """An archive that does not verify (which one, and why); exit code 10."""

    title = "backup does not verify"
    exit_code = 10


def sha256_of(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file, read in pieces."""
    with open(path, "rb") as handle:
        return stream_sha256(handle)


@dataclass(frozen=True)
class ArchiveFacts:
    """What verification learnt: size, SHA-256 (hex) and the number of members."""

    size: int
    sha256: str
    members: int


def check_archive(
    path: Path, label: str, *, size: int | None = None, sha256: str | None = None
) -> ArchiveFacts:
    """Verify the archive at ``path`` (module docstring); ``label`` names it in errors."""
    got_size, digest = sha256_of(path)
    if size is not None and got_size != size:
        raise BackupInvalid(f"{label}: {got_size} bytes, expected {size}.", hint=_CORRUPT)
    if sha256 is not None and digest != sha256:
        raise BackupInvalid(f"{label}: SHA-256 {digest[:16]}... differs from the manifest's "
                            f"{sha256[:16]}...", hint=_CORRUPT)  # fmt: skip
    try:
        with zipfile.ZipFile(path) as archive:
            members = _check_members(archive, label)
    # zlib.error: damaged deflate data; NotImplementedError: a compression zipfile lacks.
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        ValueError,
        zlib.error,
        NotImplementedError,
    ) as exc:
        raise BackupInvalid(f"{label}: not a readable zip archive ({exc}).", hint=_CORRUPT) from exc
    return ArchiveFacts(got_size, digest, members)


_CORRUPT = "The archive is damaged or incomplete; take a new backup (3cx backup run)."


def _check_members(archive: zipfile.ZipFile, label: str) -> int:
    infos = archive.infolist()
    if not infos or len(infos) > MAX_MEMBERS:
        raise BackupInvalid(f"{label}: {len(infos)} members (expected 1..{MAX_MEMBERS}).")
    if sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise BackupInvalid(f"{label}: unpacks to more than {MAX_UNPACKED >> 30} GiB; refused.")
    for info in infos:
        name = info.filename
        pure = PurePosixPath(name)
        if "\\" in name or pure.is_absolute() or ".." in pure.parts:
            raise BackupInvalid(f"{label}: member {name[:80]!r} points outside the archive.")
        if info.flag_bits & 0x1:
            raise BackupInvalid(
                f"{label}: member {name[:80]!r} is encrypted; tcxkit cannot check it.",
                hint="Encrypted backups are not supported yet (docs/backups.md, 'Not yet').",
            )
        with archive.open(info) as member:  # reading to the end checks the CRC-32
            while member.read(_PIECE):
                pass
    if not any(i.filename.lower().endswith(CONFIG_SUFFIXES) for i in infos):
        raise BackupInvalid(
            f"{label}: no configuration or database file inside; not a 3CX backup.",
            hint=_CORRUPT,
        )
    return len(infos)
