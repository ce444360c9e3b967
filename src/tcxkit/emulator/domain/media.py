"""Files a PBX keeps: call recordings (WAV); backups are :mod:`.backups`'s."""

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
    return Reply.file(make_wav(seconds), name, "audio/x-wav")
