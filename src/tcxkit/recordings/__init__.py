"""Call recordings out of the PBX: archived, verified, resumable (``3cx recordings``).

:mod:`.naming` says which recordings a run takes and where each goes, :mod:`.manifest`
what "verified" means and what is recorded of each, :mod:`.archive` runs one PBX (the
fleet runs it on many).  Stores are :mod:`tcxkit.storage`'s (local, SFTP, S3); the
store lane (one store operation at a time, in a thread) is the backups'.  See
docs/recordings.md.
"""

from __future__ import annotations

from .archive import (
    DEFAULT_MAX_BYTES,
    ArchiveOptions,
    ArchiveReport,
    archive_pbx,
    download_limit,
    list_recordings,
)
from .manifest import AudioFacts, BadRecording, RecordingEntry, check_wav, read_entry
from .naming import Period, parse_when, recording_key

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ArchiveOptions",
    "ArchiveReport",
    "AudioFacts",
    "BadRecording",
    "Period",
    "RecordingEntry",
    "archive_pbx",
    "check_wav",
    "download_limit",
    "list_recordings",
    "parse_when",
    "read_entry",
    "recording_key",
]
