"""Where a downloaded file goes: safe names, no silent overwrite, atomic placement.

The server's file name (``Content-Disposition``) is input from the network, so it
is reduced to one plain, visible name before it touches the disk: no folders, no
leading dot, no ``..``, no Windows device names, no control characters, at most
255 bytes.  An existing file is only replaced when the caller says so
(``overwrite=True``, ``3cx --force``), and then atomically: a reader sees the old
file or the new one, never half of either.
"""

from __future__ import annotations

import mimetypes
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

from .errors import OutputExistsError
from .private_files import open_private

__all__ = [
    "MAX_NAME_BYTES",
    "atomic_file",
    "download_target",
    "fallback_name",
    "place",
    "refuse_existing",
    "safe_filename",
    "write_new",
]

MAX_NAME_BYTES = 255  # the usual limit of one path component (ext4, NTFS, APFS)
_MAX_SUFFIX = 16
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
# Reserved on Windows, with or without an extension ("CON.txt" is the console too).
_DEVICES = re.compile(r"^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$", re.I)


def safe_filename(name: str | None, fallback: str) -> str:
    """``name`` as one plain, visible file name, or ``fallback`` when nothing is left."""
    if name:
        name = name.replace("\\", "/").rsplit("/", 1)[-1]  # the last component only
        name = _UNSAFE.sub("_", name).strip(" .")  # no hidden files, no "..", no "x. "
        if name and _DEVICES.match(name.split(".", 1)[0].rstrip(" ")):
            name = "_" + name
        name = _bounded(name)
    return name or fallback


def _bounded(name: str) -> str:
    """At most MAX_NAME_BYTES of UTF-8, keeping a short extension."""
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > _MAX_SUFFIX:
        stem, suffix = name, ""
    ext = f".{suffix}" if suffix else ""
    room = MAX_NAME_BYTES - len(ext.encode())
    cut = stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .")
    return cut + ext


def fallback_name(label: str, content_type: str) -> str:
    """The action's name with an extension for the content type, e.g. ``DownloadRecording.wav``."""
    ext = {"audio/wav": ".wav", "audio/x-wav": ".wav", "text/csv": ".csv"}.get(content_type)
    ext = ext or mimetypes.guess_extension(content_type or "") or ".bin"
    return safe_filename(label, "download") + ext


def refuse_existing(path: Path, overwrite: bool) -> None:
    if not overwrite and (path.exists() or path.is_symlink()):
        raise OutputExistsError(
            f"{path} exists already; nothing was overwritten.",
            hint="Pass overwrite=True (3cx: --force) to replace it, or choose another path.",
        )


def download_target(path: str | os.PathLike[str], overwrite: bool) -> tuple[Path, Path | None]:
    """A temporary ``.part`` name next to the destination, and the folder if it is one.

    A folder destination (``"calls/"`` names one even before it exists) gets the
    server's file name at the end; a file destination is checked now, so a
    download that could not be kept is not even started.
    """
    target = Path(path).expanduser()
    text = os.fspath(path)
    if text.endswith(("/", os.sep)) and not target.is_dir():
        target.mkdir(parents=True, exist_ok=True)
    # Unique per call: concurrent downloads (threads, asyncio.gather) into one
    # folder must not share a temporary file.
    tag = f"{os.getpid()}.{uuid.uuid4().hex[:12]}"
    if target.is_dir():
        return target / f".tcxkit-download-{tag}.part", target
    refuse_existing(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name[:100]}.{tag}.part"), None


def place(part: Path, final: Path, overwrite: bool) -> None:
    """Move a complete temporary file to ``final``: atomic replace, or never clobber."""
    if overwrite:
        os.replace(part, final)
        return
    try:
        os.link(part, final)  # fails if final exists, even if it appeared a moment ago
    except FileExistsError:
        refuse_existing(final, False)
        raise
    except OSError:  # no hard links here (some network or FAT file systems)
        refuse_existing(final, False)
        os.replace(part, final)
    else:
        part.unlink()


@contextmanager
def atomic_file(
    final: Path,
    overwrite: bool,
    mode: Literal["wb", "w"] = "wb",
    *,
    make_parents: bool = False,
    private: bool = False,
) -> Iterator[IO[Any]]:
    """A file to write that appears at ``final`` only once complete (see :func:`place`).

    The one atomic write of tcxkit: downloads, saved results and Airflow's exports all
    go through it, so a failed or interrupted writer never leaves half a file where a
    reader (a person, a downstream task) would take it for a finished one.  Text mode
    writes UTF-8 with newlines as given (CSV writes its own).  ``private``: the file is
    owner-only from its creation (:func:`tcxkit.private_files.open_private`).
    """
    refuse_existing(final, overwrite)
    if make_parents:
        final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(f".{final.name[:100]}.{os.getpid()}.{uuid.uuid4().hex[:12]}.part")
    text: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    try:
        opened = (
            open_private(part, mode.replace("w", "x"), what="file being written", **text)
            if private
            else open(part, mode, **text)  # noqa: SIM115 - closed by the with
        )
        with opened as handle:
            yield handle
        place(part, final, overwrite)
    finally:
        part.unlink(missing_ok=True)


def write_new(final: Path, data: bytes, overwrite: bool) -> None:
    """Write ``data`` to ``final`` under the same rules, through a temporary file."""
    with atomic_file(final, overwrite) as handle:
        handle.write(data)
