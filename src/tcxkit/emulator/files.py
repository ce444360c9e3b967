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
import struct
import wave
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["make_csv", "make_wav", "make_zip"]


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
