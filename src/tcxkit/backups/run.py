"""``backup run``: one PBX's backup, from ``Backup`` to a verified archive in a store.

Per PBX (:func:`backup_pbx`, run by :class:`tcxkit.Fleet` on every selected PBX):

1. note the backups the PBX lists now, then ``POST Backups/Pbx.Backup`` with a name of
   our own (``tcxkit-<UTC time>-<random>``) and the chosen contents (a write: sent at most once);
2. poll ``ListBackups`` until a new backup of that name is listed with a size, waiting
   at most ``wait`` seconds (progress is reported; the PBX gives no other signal);
3. stream its ``DownloadLink`` to a private temporary file (tcxkit.downloads: never
   whole in memory; stopped as soon as it runs past the listed ``Size``), verify it (:mod:`.archive`), then put the archive and, last, its
   manifest entry in the store.

Anything that goes wrong raises, so the fleet reports that PBX as an error row; nothing
unverified is ever stored.  The archive stays on the PBX too (its own retention applies).
"""

from __future__ import annotations

import asyncio
import io
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DownloadTooLarge, TcxError
from ..results import items_of, require_file
from ..storage.lane import StoreLane
from .archive import check_archive
from .manifest import ManifestEntry, archive_key, stamp

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..storage import Storage

__all__ = ["BackupFailed", "BackupOptions", "Progress", "StoreLane", "backup_pbx", "fetch_listed"]

#: ``progress(pbx, message)``: what a run is doing, for a person watching (stderr).
Progress = Callable[[str, str], None]
DEFAULT_WAIT = 900.0
#: Seconds between two looks at ``ListBackups``: quick at first, then every 5 s.
POLL_STEPS = (0.2, 0.5, 1.0, 2.0, 5.0)


class BackupFailed(TcxError):
    """The PBX did not produce a backup in time, or its listing made no sense.

    Exit code 10, as every failed backup (``3cx backup``'s own rule, docs/backups.md).
    """

    title = "backup failed"
    exit_code = 10


@dataclass(frozen=True)
class BackupOptions:
    """What the backup includes (XAPI's ``Pbx.BackupContents``; encryption: not yet)."""

    call_history: bool = False
    fqdn: bool = False
    compress: bool = True

    def contents(self) -> dict[str, Any]:
        return {
            "CallHistory": self.call_history,
            "FQDN": self.fqdn,
            "DisableBackupCompression": not self.compress,
            "EncryptBackup": False,
        }


def _now() -> datetime:
    return datetime.now(UTC)


async def listed_backups(client: AsyncClient) -> list[dict[str, Any]]:
    page = items_of(await client.call("ListBackups"))
    if page is None:
        raise BackupFailed("ListBackups did not answer with a list of backups.")
    return [r for r in page.items if isinstance(r, dict)]


async def _wait_for(
    client: AsyncClient,
    pbx: str,
    name: str,
    before: set[str],
    wait: float,
    progress: Progress,
    sleep: Callable[[float], Awaitable[None]],
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    step = 0
    while True:
        for row in await listed_backups(client):
            file_name = str(row.get("FileName") or "")
            if file_name not in before and file_name.startswith(name) and row.get("Size"):
                return row
        waited = loop.time() - start
        if waited >= wait:
            raise BackupFailed(
                f"{pbx}: the backup {name} was not listed after {waited:.0f} s.",
                hint="The PBX may still be working or may have failed: look at its backups "
                "(3cx backups list-backups), or allow more time with --wait SECONDS.",
            )
        pause = POLL_STEPS[min(step, len(POLL_STEPS) - 1)]
        if step and step % 6 == 0:
            progress(pbx, f"waiting for {name} ({waited:.0f} s)")
        step += 1
        await sleep(min(pause, max(0.0, wait - waited)))


async def backup_pbx(
    pbx: str,
    client: AsyncClient,
    lane: StoreLane,
    options: BackupOptions,
    *,
    wait: float = DEFAULT_WAIT,
    progress: Progress = lambda _pbx, _msg: None,
    clock: Callable[[], datetime] = _now,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ManifestEntry:
    """Take, fetch, verify and store one PBX's backup (module docstring)."""
    before = {str(r.get("FileName")) for r in await listed_backups(client)}
    started = clock()
    # Unique even for two runs in one second: a name the PBX lists already (and would
    # overwrite) could never be told apart from the new backup.
    name = f"tcxkit-{stamp(started)}-{secrets.token_hex(3)}"
    await client.call("Backup", description={"Name": name, "Contents": options.contents()})
    progress(pbx, f"backup {name} started")
    row = await _wait_for(client, pbx, name, before, wait, progress, sleep)
    pbx_file = str(row["FileName"])
    key = archive_key(pbx, started, pbx_file)
    with tempfile.TemporaryDirectory(prefix="tcxkit-backup-") as tmp:  # mode 0700
        local = Path(tmp) / "archive"
        listed = await fetch_listed(client, pbx, row, local, "nothing stored")
        facts = await asyncio.to_thread(check_archive, local, f"{pbx}: {pbx_file}", size=listed)
        progress(pbx, f"verified {pbx_file}: {facts.size} bytes, {facts.members} files")
        entry = ManifestEntry(
            pbx=pbx,
            key=key,
            time=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            size=facts.size,
            sha256=facts.sha256,
            release=await client.release(),
            build=client.pbx_version,
            pbx_file=pbx_file,
            members=facts.members,
            options=options.contents(),
        )
        await lane.run(_store, lane.store, local, entry)
    progress(pbx, f"stored {lane.store.where}/{key}")
    return entry


async def fetch_listed(
    client: AsyncClient,
    pbx: str,
    row: dict[str, Any],
    local: Path,
    outcome: str,
    fallback_size: int | None = None,
) -> int | None:
    """Stream a listed backup's ``DownloadLink`` to ``local``, stopped at its listed
    ``Size`` (``fallback_size`` when the PBX lists none): a PBX that streams forever must
    not fill the disk.  Returns the bound; ``outcome`` ends the error (what was not done).
    The one bounded download of :mod:`tcxkit.backups`: ``backup run`` and ``restore``."""
    link, pbx_file = row.get("DownloadLink"), str(row.get("FileName"))
    if not isinstance(link, str) or not link:
        raise BackupFailed(f"{pbx}: the backup {pbx_file} is listed without a DownloadLink.")
    listed = _int(row.get("Size"))
    bound = listed if listed is not None else fallback_size
    try:
        require_file(
            await client.download_url(link, local, max_bytes=bound), f"{pbx}: the backup {pbx_file}"
        )
    except DownloadTooLarge as exc:
        raise BackupFailed(
            f"{pbx}: the backup {pbx_file} ran past its listed size ({exc.limit} bytes); "
            f"the download was stopped and {outcome}.",
            hint="Look at the PBX's backups (3cx backups list-backups) and try again.",
        ) from exc
    return listed


def _store(store: Storage, local: Path, entry: ManifestEntry) -> None:
    with open(local, "rb") as handle:
        store.put(entry.key, handle)
    store.put(entry.entry_key, io.BytesIO(entry.to_json()))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
