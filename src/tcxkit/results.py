"""What a call gives back, read the same way by every face.

Two kinds of result live here:

- **Rows out of a JSON result** (:func:`items_of`, :func:`value_of`, :func:`records_of`):
  the one rule the CLI, MCP, Airflow and the fleet read collections by. A face never looks
  up ``"value"`` or ``@odata.count`` itself (``tests/test_one_core.py`` holds it to that).
- **Results that are not JSON**: recordings, exports, backups (:class:`FileResult`).

The rule for rows (the strictest of the copies the faces had):

=========================================================  ===============================
result                                                     ``items_of``
=========================================================  ===============================
a JSON array                                               ``Page(the list)``
``{"value": [...]}`` plus only ``@odata.*`` keys            ``Page(value, @odata.count,
                                                           @odata.nextLink)``
a function's answer ``{"value": <not a list>}``             ``None`` (one value: ``value_of``)
an entity, even one with a ``value`` list among its fields  ``None`` (one row)
``None`` (204 No Content), a scalar, a file                 ``None``
=========================================================  ===============================

``count`` is kept only when it is an integer and ``next`` only when it is a string, so a
face never prints a malformed total or follows a link that is not one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .downloads import fallback_name, place, safe_filename, write_new

__all__ = [
    "FileResult",
    "Page",
    "filename_from_disposition",
    "finish_download",
    "items_of",
    "page_of",
    "records_of",
    "rows_of",
    "value_of",
]


@dataclass(frozen=True, slots=True)
class Page:
    """The rows of one collection result, its total (``$count=true``) and the next page's link."""

    items: list[Any]
    count: int | None = None
    next: str | None = None


def _envelope(result: Any) -> bool:
    """An OData envelope: a ``value`` and nothing else but ``@odata.*`` annotations."""
    return (
        isinstance(result, dict)
        and "value" in result
        and all(k == "value" or k.startswith("@odata.") for k in result)
    )


def items_of(result: Any) -> Page | None:
    """The rows of a collection result, else ``None`` (see the module's table for the rule)."""
    if isinstance(result, list):
        return Page(result)
    if _envelope(result) and isinstance(result["value"], list):
        count = result.get("@odata.count")
        link = result.get("@odata.nextLink")
        return Page(
            result["value"],
            count if isinstance(count, int) and not isinstance(count, bool) else None,
            link if isinstance(link, str) else None,
        )
    return None


def page_of(result: Any) -> Page:
    """:func:`items_of`, with an empty page for a result that is not a collection.

    For callers that asked for a collection and treat anything else as "nothing found".
    """
    return items_of(result) or Page([])


def rows_of(result: Any) -> list[Any]:
    """The rows of a collection result; ``[]`` for anything else (see :func:`page_of`)."""
    return page_of(result).items


def value_of(result: Any) -> Any:
    """A function's single answer without its envelope (``{"value": 5}`` is ``5``).

    Anything else, a collection included, comes back unchanged.
    """
    if _envelope(result) and not isinstance(result["value"], list):
        return result["value"]
    return result


def records_of(result: Any) -> list[Any]:
    """Rows to store for a result: a collection's items, one entity as one row, or none."""
    if result is None:
        return []
    page = items_of(result)
    return page.items if page is not None else [result]


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
    return safe_filename(name, "") or None


def finish_download(
    result: Any,
    path: str | os.PathLike[str],
    part: Path,
    directory: Path | None,
    *,
    label: str,
    overwrite: bool,
) -> FileResult:
    """Put a download's result in place: the streamed ``.part`` file, bytes read
    into memory, or JSON (kept as JSON, so nothing is lost).  An answer with no content
    (204: the action was done, there is no file) writes nothing and ``path`` stays None;
    a caller that needs the file asks :func:`require_file`."""

    def final(name: str | None, default: str) -> Path:
        return directory / (name or default) if directory is not None else Path(path)

    try:
        if result is None:
            return FileResult(None, "")
        if isinstance(result, FileResult) and result.path is not None:
            target = final(result.filename, fallback_name(label, result.content_type))
            place(part, target, overwrite)
        elif isinstance(result, FileResult):
            target = final(result.filename, fallback_name(label, result.content_type))
            write_new(target, result.read(), overwrite)
        else:
            import json

            target = final(None, fallback_name(label, "application/json"))
            write_new(target, json.dumps(result, indent=2, ensure_ascii=False).encode(), overwrite)
            result = FileResult(None, "application/json", filename=target.name)
        result.path = str(target)
        result.size = target.stat().st_size
        return result
    finally:
        part.unlink(missing_ok=True)


def require_file(result: FileResult, what: str) -> FileResult:
    """``result`` when the download wrote a file; a 204 (no content) where a file was due
    (a recording, a backup) is an :class:`~tcxkit.errors.UnexpectedContentError` naming
    ``what``, so no caller opens a file that was never written."""
    if result.path is None:
        from .errors import UnexpectedContentError

        raise UnexpectedContentError(
            f"{what}: the PBX answered 204 (no content) where a file was due; nothing was saved.",
            status=204,
            content_type="",
            head=b"",
            hint="Check that it still exists on the PBX, then try again.",
        )
    return result
