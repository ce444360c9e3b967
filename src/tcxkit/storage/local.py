"""A folder on this machine (or a mounted share) as a store.

Writes go through :func:`tcxkit.downloads.atomic_file` -- the one atomic write of
tcxkit -- so an interrupted backup never leaves half an archive under its final name.
Objects are created ``0600`` and folders ``0700``: an archive holds a PBX's whole
configuration, so it is private to the user who took it (tcxkit.private_files checks
the folder before a manifest is trusted, see :mod:`tcxkit.backups.manifest`).
Temporary files start with a dot and are never listed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from ..downloads import atomic_file
from .base import ObjectInfo, StorageError, check_key, chunks

__all__ = ["LocalStorage"]


class LocalStorage:
    """Objects as files under ``root`` (created on first write, mode 0700)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()
        self.where = str(self.root)
        if self.root.exists():
            self.check()

    def check(self) -> None:
        """Refuse a folder that others could change (tcxkit.private_files): whoever can
        swap an archive *and* its manifest entry makes ``verify`` vouch for their file."""
        from ..private_files import check_private

        check_private(
            self.root,
            "backup folder",
            change="whoever can change it can replace a backup and its manifest entry",
        )

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _mkdirs(self, folder: Path) -> None:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for p in reversed(missing):
            p.mkdir(mode=0o700, exist_ok=True)

    def put(self, key: str, source: IO[bytes], *, overwrite: bool = False) -> ObjectInfo:
        path = self._path(key)
        try:
            self._mkdirs(path.parent)
            with atomic_file(path, overwrite, private=True) as handle:
                for piece in chunks(source):
                    handle.write(piece)
        except OSError as exc:
            raise StorageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
        return self._info(key, path)

    @contextmanager
    def get(self, key: str) -> Iterator[IO[bytes]]:
        path = self._path(key)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the caller's block
        except FileNotFoundError:
            raise StorageError(f"{path} does not exist.") from None
        except OSError as exc:
            raise StorageError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        with handle:
            yield handle

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        found: list[ObjectInfo] = []
        if not self.root.is_dir():
            return found
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                if name.startswith("."):
                    continue
                path = Path(folder, name)
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(self._info(key, path))
        return sorted(found, key=lambda o: o.key)

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"Cannot delete {path}: {exc.strerror or exc}.") from exc

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        return self._info(key, path) if path.is_file() else None

    def _info(self, key: str, path: Path) -> ObjectInfo:
        st = path.stat()
        return ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def close(self) -> None:
        """Nothing to release (the protocol's hook for stores that hold a connection)."""
