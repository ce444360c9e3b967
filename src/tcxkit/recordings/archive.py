"""``recordings archive``: one PBX's recordings of a period, verified, into a store.

Per PBX (:func:`archive_pbx`; :class:`tcxkit.Fleet` runs it on many):

1. list the period's recordings (``ListRecording``, paged; the whole list first, so
   deletes cannot shift the pages) and what the store holds under ``<pbx>/``;
2. a recording whose manifest entry is there, with an object of the entry's size, is
   *present* and not fetched again (an entry is written only after verification);
3. the others are downloaded, at most ``concurrency`` at a time
   (:class:`tcxkit.fleet.runner.Bounded`), each to a private temporary file and stopped
   past its bound (:func:`download_limit`: the size the PBX lists for it, else
   ``max_bytes``; :class:`~tcxkit.errors.DownloadTooLarge`, as a backup's), checked
   (a valid WAV, :func:`.manifest.check_wav`), put in the store, **read back** and
   hashed again, and only then given their manifest entry;
4. with ``delete``, the recordings verified in this run -- and present ones whose stored
   copy is read back and matches its entry now -- are deleted on the PBX with
   ``BulkRecordingsDelete``, in batches, each batch sent at most once (a batch whose
   fate is unknown is reported, never re-sent).  Nothing that failed is deleted.

A recording that fails is reported in :attr:`ArchiveReport.failed`; the others go on.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DownloadTooLarge, TcxError
from ..fleet.runner import Bounded
from ..results import require_file
from .manifest import (
    CALL_FIELDS,
    ENTRY_SUFFIX,
    BadRecording,
    RecordingEntry,
    check_wav,
    read_entry,
    sha256_of,
)
from .naming import Period, recording_key

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..storage import Storage, StoreLane

__all__ = ["DEFAULT_MAX_BYTES", "ArchiveOptions", "ArchiveReport", "archive_pbx", "download_limit"]

#: ``progress(pbx, message)``: what a run is doing, for a person watching (stderr).
Progress = Callable[[str, str], None]
DELETE_BATCH = 100
PROGRESS_EVERY = 50
#: The bound of a recording the PBX lists no size for (none of 20.0.4-20.0.10 does): 1 GiB,
#: over 18 hours of 3CX's 8 kHz 16-bit audio, so a server that streams without end stops.
DEFAULT_MAX_BYTES = 1 << 30


@dataclass(frozen=True)
class ArchiveOptions:
    """What a run does: the period, how many downloads at once, whether to delete, and
    the most bytes one recording may have (:func:`download_limit`)."""

    period: Period
    concurrency: int = 4
    delete: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES


def download_limit(row: dict[str, Any], max_bytes: int) -> int:
    """The bytes a recording's download may run to: the size the PBX lists for it (an
    integer ``Size``, when a release lists one) if smaller, else ``max_bytes``."""
    listed = row.get("Size")
    if isinstance(listed, int) and not isinstance(listed, bool) and 0 < listed < max_bytes:
        return listed
    return max_bytes


@dataclass
class ArchiveReport:
    """One PBX's run: counts, bytes, and each failure (recording id -> why)."""

    pbx: str
    listed: int = 0
    archived: int = 0
    present: int = 0
    deleted: int = 0
    bytes: int = 0
    failed: dict[int, TcxError] = field(default_factory=dict)
    delete_failed: dict[int, TcxError] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.delete_failed

    def row(self) -> dict[str, Any]:
        return {
            "pbx": self.pbx,
            "status": "complete" if self.ok else "incomplete",
            "recordings": self.listed,
            "archived": self.archived,
            "present": self.present,
            "failed": len(self.failed),
            "deleted": self.deleted,
            "bytes": self.bytes,
        }


async def list_recordings(client: AsyncClient, period: Period) -> list[dict[str, Any]]:
    """Every recording that started in ``period``, oldest first, each once.

    A row without an integer ``Id`` cannot be downloaded or deleted: the PBX's listing
    is refused (fail closed) rather than a recording silently left out.  A recording
    listed twice (pages shifted by a recording deleted meanwhile) is taken once."""
    seen: dict[int, dict[str, Any]] = {}
    async for r in client.paginate(
        "ListRecording", filter=period.odata_filter(), orderby="StartTime,Id"
    ):
        rec_id = r.get("Id") if isinstance(r, dict) else None
        if not isinstance(rec_id, int) or isinstance(rec_id, bool):
            raise BadRecording(
                f"ListRecording returned a row without an integer Id ({str(r)[:120]}).",
                hint="Nothing was archived from this PBX; look at its recordings list.",
            )
        seen.setdefault(rec_id, r)
    return list(seen.values())


class _Run:
    """The state of one PBX's run (kept out of the signatures of the steps)."""

    def __init__(
        self, pbx: str, client: AsyncClient, lane: StoreLane, progress: Progress, max_bytes: int
    ):
        self.pbx, self.client, self.lane, self.progress = pbx, client, lane, progress
        self.max_bytes = max_bytes
        self.report = ArchiveReport(pbx)
        self.verified: list[int] = []
        self.done = 0

    async def stored(self) -> dict[str, int]:
        objects = await self.lane.run(self.lane.store.list, f"{self.pbx}/")
        return {o.key: o.size for o in objects}

    async def present(self, key: str, rec_id: int, sizes: dict[str, int]) -> RecordingEntry | None:
        """The entry of a recording stored by an earlier run, when it holds."""
        if key not in sizes or key + ENTRY_SUFFIX not in sizes:
            return None
        try:
            entry = await self.lane.run(read_entry, self.lane.store, key)
        except TcxError:
            return None  # an unreadable entry: fetch again, the new one replaces it
        if entry.recording_id != rec_id or entry.size != sizes[key]:
            return None
        return entry

    async def one(self, row: dict[str, Any], sizes: dict[str, int], delete: bool) -> None:
        rec_id = int(row["Id"])
        try:
            key = recording_key(self.pbx, row)
        except ValueError as exc:
            raise BadRecording(f"{self.pbx}: {exc}.") from None
        entry = await self.present(key, rec_id, sizes)
        if entry is not None:
            if delete:  # stored earlier: read it back before the PBX's copy may go
                await self.lane.run(_read_back, self.lane.store, key, entry.size, entry.sha256)
            self.report.present += 1
        else:
            entry = await self.fetch(row, rec_id, key)
            self.report.archived += 1
            self.report.bytes += entry.size
        self.verified.append(rec_id)
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self.progress(self.pbx, f"{self.done}/{self.report.listed} recordings verified")

    async def fetch(self, row: dict[str, Any], rec_id: int, key: str) -> RecordingEntry:
        with tempfile.TemporaryDirectory(prefix="tcxkit-rec-") as tmp:  # mode 0700
            local = Path(tmp) / "recording.wav"
            await self._download(row, rec_id, local)
            facts = await asyncio.to_thread(
                check_wav, str(local), f"{self.pbx}: recording {rec_id}"
            )
            entry = RecordingEntry(
                pbx=self.pbx,
                key=key,
                recording_id=rec_id,
                size=facts.size,
                sha256=facts.sha256,
                seconds=facts.seconds,
                rate=facts.rate,
                channels=facts.channels,
                archived_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                release=await self.client.release(),
                build=self.client.pbx_version,
                call={f: row.get(f) for f in CALL_FIELDS if f in row},
            )
            await self.lane.run(_store, self.lane.store, local, entry)
        return entry

    async def _download(self, row: dict[str, Any], rec_id: int, local: Path) -> None:
        limit = download_limit(row, self.max_bytes)
        try:  # a PBX that streams without end must not fill the disk
            got = await self.client.download(
                "DownloadRecording", local, max_bytes=limit, recId=rec_id
            )
            require_file(got, f"{self.pbx}: recording {rec_id}")
        except DownloadTooLarge as exc:
            bound = "its listed size" if limit < self.max_bytes else "the archive's cap"
            raise DownloadTooLarge(
                f"{self.pbx}: recording {rec_id} ran past {bound} ({limit} bytes); the "
                "download was stopped and nothing stored.",
                limit=limit,
                hint="Nothing was deleted on the PBX. If recordings this long are expected, "
                "raise the cap (3cx recording archive --max-size MiB; ArchiveOptions.max_bytes).",
            ) from exc


def _store(store: Storage, local: Path, entry: RecordingEntry) -> None:
    """Put the audio, read it back, then (the commit mark) its manifest entry."""
    with open(local, "rb") as handle:
        store.put(entry.key, handle, overwrite=True)
    _read_back(store, entry.key, entry.size, entry.sha256)
    store.put(entry.entry_key, io.BytesIO(entry.to_json()), overwrite=True)


def _read_back(store: Storage, key: str, size: int, sha256: str) -> None:
    with store.get(key) as handle:
        got_size, got_sha = sha256_of(handle)
    if (got_size, got_sha) != (size, sha256):
        raise BadRecording(
            f"{store.where}/{key}: the stored copy ({got_size} bytes, {got_sha[:12]}...) is "
            f"not what was verified ({size} bytes, {sha256[:12]}...).",
            hint="Nothing was deleted on the PBX; run the archive again to replace it.",
        )


async def _delete(run: _Run) -> None:
    """``BulkRecordingsDelete`` of the verified ids, batch by batch, each sent once."""
    ids = sorted(run.verified)
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start : start + DELETE_BATCH]
        try:
            await run.client.call("BulkRecordingsDelete", ids=batch)
        except TcxError as exc:
            run.report.delete_failed.update(dict.fromkeys(batch, exc))
            unsent = TcxError(
                "not deleted: its delete was not sent, as the batch before it failed.",
                hint="It is archived and verified; run again with --delete-after-verify.",
            )
            run.report.delete_failed.update(dict.fromkeys(ids[start + DELETE_BATCH :], unsent))
            return  # the PBX's state is unknown now: send nothing more
        run.report.deleted += len(batch)
        run.progress(run.pbx, f"deleted {run.report.deleted}/{len(ids)} verified recordings")


async def archive_pbx(
    pbx: str,
    client: AsyncClient,
    lane: StoreLane,
    options: ArchiveOptions,
    *,
    progress: Progress = lambda _pbx, _msg: None,
) -> ArchiveReport:
    """Archive ``pbx``'s recordings of the period into ``lane``'s store (module docstring)."""
    run = _Run(pbx, client, lane, progress, options.max_bytes)
    rows = await list_recordings(client, options.period)
    run.report.listed = len(rows)
    sizes = await run.stored()
    progress(pbx, f"{len(rows)} recordings in the period")
    engine = Bounded(options.concurrency)
    jobs = [lambda r=r: run.one(r, sizes, options.delete) for r in rows]  # type: ignore[misc]
    async for index, _value, error in engine.outcomes(jobs, window=4 * options.concurrency):
        if error is not None:
            if not isinstance(error, TcxError):
                raise error
            run.report.failed[int(rows[index - 1]["Id"])] = error
    if options.delete and run.verified:
        await _delete(run)
    return run.report
