"""Real files for the operations that download something.

A PBX answers recording downloads with WAV audio, report exports with CSV and
backups with a zip archive.  Clients choose their parser by Content-Type, so
the emulator must send genuine, parseable bytes, not JSON placeholders.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import struct
import wave
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

__all__ = [
    "MAX_FILE_NAME",
    "content_disposition",
    "file_name_problem",
    "make_csv",
    "make_wav",
    "make_zip",
]

#: Characters of a name that becomes a file (a backup's ``Name``), before ``.zip``.
MAX_FILE_NAME = 128
#: POSIX's portable filename character set.  3CX documents no rule for backup names; the
#: PBX writes them as files on Debian (and once on Windows), and this is the set every
#: file system, shell and URL takes as it is (inferred, see docs/emulator.md "Names").
_FILE_NAME = re.compile(r"[A-Za-z0-9._-]+")


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot become a file on the PBX (None when it can).

    Refused: characters outside ``A-Z a-z 0-9 . _ -`` (control characters, quotes,
    ``/`` and ``\\``, spaces, non-ASCII), a leading ``.`` (hidden files, ``..``), and more
    than :data:`MAX_FILE_NAME` characters.
    """
    if not name:
        return "it is empty"
    if len(name) > MAX_FILE_NAME:
        return f"it is longer than {MAX_FILE_NAME} characters"
    if not _FILE_NAME.fullmatch(name):
        bad = next(c for c in name if not _FILE_NAME.fullmatch(c))
        return f"it contains {bad!r}; use only letters A-Z and a-z, digits, '.', '_' and '-'"
    if name.startswith("."):
        return "it starts with '.'"
    return None


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A ``Content-Disposition`` value per RFC 6266: an ASCII ``filename`` any client can
    read (anything else, quotes and backslashes included, becomes ``_``) and, when that
    had to change the name, ``filename*`` with the exact name in UTF-8 (RFC 8187)."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        value += "; filename*=UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")
    return value


def make_wav(seconds: float = 1.0, *, rate: int = 8000, frequency: float = 440.0) -> bytes:
    """A mono 16-bit PCM WAV holding a sine tone (telephony rate by default)."""
    frames = int(seconds * rate)
    amplitude = 8000
    samples = (int(amplitude * math.sin(2 * math.pi * frequency * i / rate)) for i in range(frames))
    pcm = struct.pack(f"<{frames}h", *samples)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def make_csv(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> bytes:
    """CSV (UTF-8, header row) of ``rows``; columns default to the first row's keys."""
    rows = list(rows)
    if columns is None:
        columns = []
        for row in rows:
            for key in row:
                if key not in columns and not key.startswith("@"):
                    columns.append(key)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def make_zip(entries: Mapping[str, bytes | str]) -> bytes:
    """A zip archive with the given ``name -> content`` members (deflated)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buf.getvalue()
