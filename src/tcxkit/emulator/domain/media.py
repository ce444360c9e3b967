"""Files a PBX keeps: call recordings (WAV); backups are :mod:`.backups`'s.

Each recording is a short valid WAV whose tone depends on its id, so no two recordings
share a SHA-256 (an archive that mixed two up would be caught).  For tests of archive
verification, ``config.options["corrupt_recordings"]`` lists recording ids served with
a broken RIFF header (same length, HTTP 200: only a reader of the audio notices).
"""

from __future__ import annotations

from datetime import datetime

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
    audio = make_wav(seconds, frequency=300.0 + 0.25 * (int(row["Id"]) % 4000))
    if row["Id"] in _corrupt(ctx):
        audio = b"JUNK" + audio[4:]
    return Reply.file(audio, name, "audio/x-wav")


def _corrupt(ctx: RequestContext) -> set[int]:
    ids = ctx.state.config.options.get("corrupt_recordings") or []
    return {int(i) for i in ids}  # type: ignore[attr-defined]
