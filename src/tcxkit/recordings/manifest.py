"""The manifest: one JSON entry next to each recording, written after it is verified.

Layout in a store::

    <pbx>/<day>/<start>_rec<id>_<from>_to_<to>.wav          the audio, as the PBX sent it
    <pbx>/<day>/<start>_rec<id>_<from>_to_<to>.wav.json     its manifest entry

As with backups (tcxkit.backups.manifest), an entry per object rather than one shared
file: each is written atomically on every store (an S3 object cannot be appended to), a
run killed at any point leaves either a recording with its entry -- archived and
verified -- or without one, which the next run downloads again.  The entry is the
commit mark: it exists only once the stored copy was read back and matched.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..storage import Storage, StorageError
from ..storage.entries import JsonEntry, sha256_of

__all__ = ["ENTRY_SUFFIX", "AudioFacts", "BadRecording", "RecordingEntry", "check_wav"]

ENTRY_SUFFIX = ".json"
#: Largest manifest entry read, bytes (an entry is about 1 KB).
MAX_ENTRY = 64 * 1024
FORMAT = 1
#: Fields of the PBX's ``Pbx.Recording`` copied into the entry (call metadata).
CALL_FIELDS = (
    "Id", "StartTime", "EndTime", "CallType", "FromDn", "FromDnType", "FromDisplayName",
    "FromCallerNumber", "FromDidNumber", "ToDn", "ToDnType", "ToDisplayName",
    "ToCallerNumber", "ToDidNumber", "RefParticipantId", "FromIdParticipant",
    "ToIdParticipant", "IsArchived", "SentimentScore",
)  # fmt: skip


class BadRecording(StorageError):
    """A downloaded or stored recording is not the valid WAV, size or hash expected."""

    title = "recording does not verify"


@dataclass(frozen=True)
class AudioFacts:
    """What verification found in one WAV: bytes, SHA-256 and its audio format."""

    size: int
    sha256: str
    seconds: float
    rate: int
    channels: int


@dataclass(frozen=True)
class RecordingEntry(JsonEntry):
    """One archived recording: the PBX, its key, the call's metadata, size and SHA-256."""

    pbx: str
    key: str
    recording_id: int
    size: int
    sha256: str
    seconds: float = 0.0
    rate: int = 0
    channels: int = 0
    archived_at: str = ""  # UTC, ISO 8601 with Z
    release: str | None = None
    build: str | None = None
    call: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT
    entry_suffix: ClassVar[str] = ENTRY_SUFFIX


def read_entry(store: Storage, key: str) -> RecordingEntry:
    """The manifest entry stored for the recording at ``key`` (bounded read)."""
    with store.get(key + ENTRY_SUFFIX) as handle:
        data = handle.read(MAX_ENTRY + 1)
    if len(data) > MAX_ENTRY:
        raise StorageError(f"{store.where}/{key}{ENTRY_SUFFIX}: larger than an entry.")
    return RecordingEntry.from_json(data, f"{store.where}/{key}{ENTRY_SUFFIX}")


def check_wav(path: str, label: str) -> AudioFacts:
    """Facts of the WAV at ``path``, or :class:`BadRecording` saying what is wrong.

    Valid means: a RIFF/WAVE file whose RIFF size is the file's, a PCM ``fmt`` chunk,
    and a ``data`` chunk holding whole frames that ends inside the file -- what a
    truncated, padded or mangled download breaks."""
    with open(path, "rb") as handle:
        size, sha = sha256_of(handle)
        handle.seek(0)
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise BadRecording(f"{label}: not a RIFF/WAVE file.")
        if struct.unpack("<I", head[4:8])[0] + 8 != size:
            raise BadRecording(f"{label}: its RIFF header says another length than {size} bytes.")
        handle.seek(0)
        try:
            with wave.open(handle) as audio:
                rate, channels = audio.getframerate(), audio.getnchannels()
                frames, width = audio.getnframes(), audio.getsampwidth()
        except (wave.Error, EOFError) as exc:
            raise BadRecording(f"{label}: not a readable WAV ({exc}).") from None
    if not rate or not channels or frames * channels * width > size:
        raise BadRecording(f"{label}: its audio header does not fit its {size} bytes.")
    return AudioFacts(size, sha, round(frames / rate, 3), rate, channels)
