"""Files a PBX keeps: call recordings (WAV); backups are :mod:`.backups`'s.

Each recording is a short valid WAV: a tone of the call's length (at most 3 s) whose
first samples carry the recording's id, so no two recordings share a SHA-256 (an
archive that mixed two up would be caught).  The tone is made once per length and
reused, so serving hundreds of recordings costs little.  For tests of archive
verification, ``config.options["corrupt_recordings"]`` lists recording ids served with
a broken RIFF header (same length, HTTP 200: only a reader of the audio notices).
"""

from __future__ import annotations

import struct
from datetime import datetime
from functools import lru_cache

from ..files import make_wav
from ..registry import Reply, RequestContext, XapiError, handler

__all__ = ["download_recording"]

#: Recordings are served as short tones, whatever the call's length, to stay cheap.
MAX_WAV_SECONDS = 3.0


@handler("DownloadRecording")
def download_recording(ctx: RequestContext) -> Reply:
    """The recording as WAV audio (``audio/x-wav``, attachment named after the call)."""
    rec_id = ctx.params.get("recId")
    row = ctx.entity_set("Recordings").get(rec_id)
    if row is None:
        raise XapiError(
            404,
            f"recId:\nWARNINGS.XAPI.NOT_FOUND (no recording {rec_id}; list them with "
            "ListRecording)",
            [("recId", "WARNINGS.XAPI.NOT_FOUND")],
        )
    seconds = MAX_WAV_SECONDS
    try:
        start = datetime.fromisoformat(str(row["StartTime"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(row["EndTime"]).replace("Z", "+00:00"))
        seconds = min(MAX_WAV_SECONDS, max(0.5, (end - start).total_seconds()))
    except (KeyError, ValueError):
        pass
    stamp = str(row.get("StartTime") or "")[:19].replace(":", "").replace("-", "")
    name = (
        f"{row.get('FromDn') or 'ext'}_{row.get('ToCallerNumber') or 'call'}_{stamp}_{rec_id}.wav"
    )
    name = "".join(c if c.isalnum() or c in "._-+" else "_" for c in name)
    audio = _audio(round(seconds, 2), int(row["Id"]))
    if row["Id"] in _corrupt(ctx):
        audio = b"JUNK" + audio[4:]
    return Reply.file(audio, name, "audio/x-wav")


@lru_cache(maxsize=64)
def _tone(seconds: float) -> bytes:
    return make_wav(seconds)


def _audio(seconds: float, rec_id: int) -> bytes:
    """The tone of ``seconds`` with its first four samples replaced by ``rec_id``."""
    tone = _tone(seconds)
    start = len(tone) - int(seconds * 8000) * 2  # the header ends where the samples start
    return tone[:start] + struct.pack("<q", rec_id) + tone[start + 8 :]


def _corrupt(ctx: RequestContext) -> set[int]:
    ids = ctx.state.config.options.get("corrupt_recordings") or []
    return {int(i) for i in ids}  # type: ignore[attr-defined]
