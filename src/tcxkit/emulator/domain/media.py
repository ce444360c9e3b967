"""Files a PBX keeps: backups (asynchronous, real zip archives) and call recordings (WAV).

A backup on a PBX takes a while: ``POST Backups/Pbx.Backup`` answers at once and the
archive shows up in ``GET /Backups`` later.  The emulator records a ``ready_at`` time
(now + ``config.options["backup_delay"]`` seconds, default 2) and publishes pending
backups on the next list after that time, so tests set the delay to 0 instead of
sleeping.  Each listed backup has a relative ``DownloadLink`` (``/backups/<file>``)
that the app serves from ``state.extra["backup_files"]`` (bearer token needed).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..files import make_wav, make_zip
from ..generic import backup_name
from ..registry import Reply, RequestContext, XapiError, handler

if TYPE_CHECKING:
    from ..state import AppState

__all__ = ["add_backup", "backup_zip", "publish_backups"]

DEFAULT_BACKUP_DELAY = 2.0
#: Recordings are served as short tones, whatever the call's length, to stay cheap.
MAX_WAV_SECONDS = 3.0


def backup_zip(state: AppState, name: str, created: str, contents: Any = None) -> bytes:
    """A real backup archive: a manifest and a JSON dump of the PBX's DNs."""
    manifest = {
        "Product": "3CX Phone System (tcxkit emulator)",
        "Version": state.config.build,
        "Name": name,
        "Created": created,
        "Contents": contents,
    }
    dns = {
        set_name: state.entity_set(set_name).all()
        for set_name in ("Users", "Groups", "Queues", "RingGroups", "Receptionists", "Trunks")
    }
    for users in dns["Users"]:
        for secret in ("AuthPassword", "AccessPassword", "VMPIN", "DeskphonePassword"):
            users.pop(secret, None)
    return make_zip(
        {
            "manifest.json": json.dumps(manifest, indent=2),
            "pbx/dns.json": json.dumps(dns, separators=(",", ":")),
        }
    )


def add_backup(state: AppState, name: str, created: str, contents: Any = None) -> dict[str, Any]:
    """Write a backup's archive and its ``Backups`` row now (used by seeding and publishing)."""
    file_name = name if name.endswith(".zip") else f"{name}.zip"
    archive = backup_zip(state, file_name, created, contents)
    state.extra.setdefault("backup_files", {})[file_name] = archive
    row = {
        "FileName": file_name,
        "CreationTime": created,
        "Size": len(archive),
        "DownloadLink": f"/backups/{quote(file_name)}",
    }
    es = state.entity_set("Backups")
    if es.get(file_name) is None:
        es.insert(row)
    else:
        es.replace(file_name, row)
    return row


def publish_backups(state: AppState) -> None:
    """Finish the backups whose time has come (called before every backup read)."""
    pending: list[dict[str, Any]] = state.extra.setdefault("pending_backups", [])
    due = [p for p in pending if p["ready_at"] <= time.time()]
    for item in due:
        pending.remove(item)
        add_backup(state, item["name"], item["created"], item["contents"])


@handler("Backup")
def start_backup(ctx: RequestContext) -> Reply:
    """Start a backup; it is listed once ``backup_delay`` seconds have passed."""
    desc = (ctx.body or {}).get("description") or {}
    created_dt = datetime.now(UTC).replace(microsecond=0)
    created = created_dt.isoformat().replace("+00:00", "Z")
    name = backup_name(desc, f"backup-{created_dt:%Y%m%d-%H%M%S}")
    delay = float(ctx.config.options.get("backup_delay", DEFAULT_BACKUP_DELAY))  # type: ignore[arg-type]
    ctx.state.extra.setdefault("pending_backups", []).append(
        {
            "name": name,
            "created": created,
            "contents": desc.get("Contents"),
            "ready_at": time.time() + delay,
        }
    )
    if delay <= 0:
        publish_backups(ctx.state)
    return Reply.no_content()


@handler("ListBackups")
def list_backups(ctx: RequestContext) -> Reply:
    publish_backups(ctx.state)
    return ctx.generic()


@handler("DeleteBackups")
def delete_backup(ctx: RequestContext) -> Reply:
    publish_backups(ctx.state)
    name = ctx.params.get("FileName")
    if not ctx.entity_set("Backups").delete(name):
        raise XapiError(404, failures=[("FileName", "WARNINGS.XAPI.NOT_FOUND")])
    ctx.state.extra.get("backup_files", {}).pop(name, None)
    return Reply.no_content()


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
