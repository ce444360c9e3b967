"""Results that are not JSON: recordings, exports, backups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

__all__ = ["FileResult", "filename_from_disposition"]


@dataclass(slots=True)
class FileResult:
    """A file the PBX sent back.

    ``content`` holds the bytes when the response was read into memory;
    after :meth:`tcxkit.Client.download` it is ``None`` and ``path`` says
    where the bytes went.
    """

    content: bytes | None
    content_type: str
    filename: str | None = None
    path: str | None = None
    size: int = 0

    def __post_init__(self) -> None:
        if self.content is not None and not self.size:
            self.size = len(self.content)

    def read(self) -> bytes:
        if self.content is not None:
            return self.content
        if self.path is None:
            return b""
        return Path(self.path).read_bytes()

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write to ``path`` (a directory gets the server's file name, made safe).

        An existing file is kept (``OutputExistsError``) unless ``overwrite=True``,
        which replaces it atomically.
        """
        from .downloads import write_new

        target = Path(path)
        if target.is_dir():
            target = target / (self.filename or "download.bin")
        write_new(target, self.read(), overwrite)
        return target

    def __repr__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"<FileResult {self.filename or '?'} {self.content_type} {self.size} bytes{where}>"


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*"?([^";]+)"?', re.IGNORECASE)


def filename_from_disposition(header: str | None) -> str | None:
    """The file name from a Content-Disposition header, made safe for a path
    (:func:`tcxkit.downloads.safe_filename`); ``None`` when it gives none."""
    if not header:
        return None
    m = _FILENAME_STAR.search(header)
    name = unquote(m.group(2), encoding=m.group(1) or "utf-8") if m else None
    if name is None:
        m = _FILENAME.search(header)
        name = m.group(1).strip() if m else None
    from .downloads import safe_filename

    return safe_filename(name, "") or None
