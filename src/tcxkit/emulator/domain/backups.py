"""Backups: asynchronous, real zip archives with a plausible 3CX layout, and faults.

The data model (the source of truth for the backups a PBX has made; other modules,
e.g. health checks, read it, never write it):

* ``Backups`` entity set -- the rows ``GET /Backups`` lists (``FileName`` key,
  ``CreationTime``, ``Size``, ``DownloadLink`` = ``/backups/<file>``);
* ``state.extra["backup_files"]`` -- ``{file name: archive bytes}``, served by the
  download route (bearer token needed);
* ``state.extra["pending_backups"]`` -- backups started but not done yet, each with its
  ``ready_at`` time (now + ``config.options["backup_delay"]`` seconds, default 2);
  they are published on the next backup read after that time, so tests set the delay
  to 0 instead of sleeping;
* ``GetBackupExtras`` and ``Restore`` answer for known backups only (404 otherwise); a
  restore is accepted (204) and seen in the request log, the data is left as it is;
* ``state.extra["backup_faults"]`` -- what the next backups do instead of succeeding,
  set through ``/emulator/backups`` (:func:`control_endpoint`): ``fail`` (the
  ``Backup`` request is answered 500 with the PBX's envelope), ``never`` (accepted,
  never listed: a backup that dies on the PBX), ``corrupt`` (listed, but the
  archive's bytes are damaged, so its CRCs do not match) or ``oversize`` (listed with a
  ``Size`` half of what the download serves: a client must stop reading at the listed size).

The archive (3CX documents no layout; this one is plausible, not a copy)::

    BackupInfo.json                 product, build, name, time, contents chosen
    Data/DB/database.json           the PBX's DNs (users without their secrets, groups,
                                    queues, ring groups, IVRs, trunks)
    Data/Settings/settings.json     the configuration singletons the emulator keeps
    Data/CallHistory/calls.json     only when Contents.CallHistory is true
    Data/Recordings/recordings.bin  only with ``config.options["backup_extra_bytes"]``: that
                                    many incompressible bytes (stored), so benchmarks can
                                    stream archives of a realistic size (capped at 256 MB)
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..files import make_zip
from ..generic import backup_name
from ..outcomes import OutcomeQueue
from ..registry import Reply, RequestContext, XapiError, handler

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ..state import AppState

__all__ = ["FAULTS", "add_backup", "backup_zip", "control_endpoint", "publish_backups"]

DEFAULT_BACKUP_DELAY = 2.0
FAULTS = ("fail", "never", "corrupt", "oversize")
_DN_SETS = ("Users", "Groups", "Queues", "RingGroups", "Receptionists", "Trunks")
MAX_EXTRA_BYTES = 256 << 20
_SECRETS = ("AuthPassword", "AccessPassword", "VMPIN", "DeskphonePassword", "Password")


def _rows(state: AppState, set_name: str) -> list[dict[str, Any]]:
    return state.entity_set(set_name).all() if set_name in state.sets else []


def backup_zip(state: AppState, name: str, created: str, contents: Any = None) -> bytes:
    """A real backup archive (module docstring), secrets of users left out."""
    info = {
        "Product": "3CX Phone System (tcxkit emulator)",
        "Version": state.config.build,
        "Name": name,
        "Created": created,
        "Contents": contents,
    }
    dns = {s: _rows(state, s) for s in _DN_SETS}
    for user in dns["Users"]:
        for secret in _SECRETS:
            user.pop(secret, None)
    settings = {s: _rows(state, s) for s in ("Parameters", "CustomPrompts") if s in state.sets}
    files: dict[str, bytes | str] = {
        "BackupInfo.json": json.dumps(info, indent=2),
        "Data/DB/database.json": json.dumps(dns, separators=(",", ":")),
        "Data/Settings/settings.json": json.dumps(settings, separators=(",", ":")),
    }
    if isinstance(contents, dict) and contents.get("CallHistory"):
        calls = _rows(state, "CallHistoryView")[:1000]
        files["Data/CallHistory/calls.json"] = json.dumps(calls, separators=(",", ":"))
    archive = make_zip(files)
    extra = min(int(state.config.options.get("backup_extra_bytes", 0)), MAX_EXTRA_BYTES)  # type: ignore[call-overload]
    return _with_stored_member(archive, extra) if extra > 0 else archive


def _with_stored_member(archive: bytes, size: int) -> bytes:
    """``archive`` plus ``Data/Recordings/recordings.bin``: ``size`` random bytes, stored."""
    import io
    import random
    import zipfile

    buf = io.BytesIO(archive)
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_STORED) as z:
        z.writestr("Data/Recordings/recordings.bin", random.Random(size).randbytes(size))
    return buf.getvalue()


def _corrupt(archive: bytes) -> bytes:
    """The same length, with bytes of the first member's data flipped (CRC mismatch)."""
    data = bytearray(archive)
    start = 30 + len("BackupInfo.json") + 8  # past the first local header and a little
    for i in range(start, min(start + 16, len(data) // 2)):
        data[i] ^= 0xFF
    return bytes(data)


def add_backup(
    state: AppState,
    name: str,
    created: str,
    contents: Any = None,
    *,
    corrupt: bool = False,
    oversize: bool = False,
) -> dict[str, Any]:
    """Write a backup's archive and its ``Backups`` row now (used by seeding and publishing)."""
    file_name = name if name.endswith(".zip") else f"{name}.zip"
    archive = backup_zip(state, file_name, created, contents)
    if corrupt:
        archive = _corrupt(archive)
    state.extra.setdefault("backup_files", {})[file_name] = archive
    row = {
        "FileName": file_name,
        "CreationTime": created,
        "Size": len(archive) // 2 if oversize else len(archive),
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
        add_backup(
            state,
            item["name"],
            item["created"],
            item["contents"],
            corrupt=bool(item.get("corrupt")),
            oversize=bool(item.get("oversize")),
        )


@handler("Backup")
def start_backup(ctx: RequestContext) -> Reply:
    """Start a backup; it is listed once ``backup_delay`` seconds have passed."""
    desc = (ctx.body or {}).get("description") or {}
    created_dt = datetime.now(UTC).replace(microsecond=0)
    created = created_dt.isoformat().replace("+00:00", "Z")
    name = backup_name(desc, f"backup-{created_dt:%Y%m%d-%H%M%S}")
    fault = QUEUE.pop(ctx.state)
    if fault == "fail":
        raise XapiError(500, "Backup failed: not enough disk space (emulator fault).")
    if fault == "never":
        return Reply.no_content()
    delay = float(ctx.config.options.get("backup_delay", DEFAULT_BACKUP_DELAY))  # type: ignore[arg-type]
    ctx.state.extra.setdefault("pending_backups", []).append(
        {
            "name": name,
            "created": created,
            "contents": desc.get("Contents"),
            "ready_at": time.time() + delay,
            "corrupt": fault == "corrupt",
            "oversize": fault == "oversize",
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


def _known(ctx: RequestContext) -> str:
    publish_backups(ctx.state)
    name = str(ctx.params.get("FileName"))
    if name not in ctx.state.extra.get("backup_files", {}):
        raise XapiError(404, failures=[("FileName", "WARNINGS.XAPI.NOT_FOUND")])
    return name


@handler("GetBackupExtras")
def backup_extras(ctx: RequestContext) -> Reply:
    """Version, footprint (the archive's size) and encryption (never, here) of a backup."""
    name = _known(ctx)
    size = len(ctx.state.extra["backup_files"][name])
    return Reply.json({"Footprint": size, "IsEncrypted": False, "Version": ctx.config.build})


@handler("Restore")
def restore_backup(ctx: RequestContext) -> Reply:
    """Accept a restore of a known backup (204).  The emulator's data stays as it is: the
    request log shows the restore, which is what tests assert."""
    _known(ctx)
    return Reply.no_content()


#: What the next backups do instead of succeeding (``/emulator/backups``).
QUEUE = OutcomeQueue("backup_faults", "backup", FAULTS)


async def control_endpoint(state: AppState, request: Request) -> Response:
    """``/emulator/backups``: ``POST {"outcome": "corrupt", "times": 1}`` makes the next
    backup(s) come out that way; ``GET`` lists what is queued; ``DELETE`` clears it."""
    return await QUEUE.endpoint(state, request)
