"""Call recordings into an archive, one data interval per run: ``ThreeCXRecordingsArchiveOperator`` (#26).

Each task archives the recordings that *started* in its run's data interval with the engine
of ``3cx recording archive`` (:func:`tcxkit.recordings.archive_pbx`): every recording is
downloaded, checked as a WAV, stored, read back and hashed, and only then given its
manifest entry (``<key>.json``); with ``delete_after_verify`` the PBX's copies of the
verified recordings are deleted, each batch sent at most once.

Idempotent and resumable: a recording whose entry is already in the store is not fetched
again, so a re-run (or a retry after some recordings failed) archives only what is
missing. A run in which some recordings failed fails the task after the others were
archived, naming each; whether Airflow retries is the core's decision on those errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import TcxError
from .errors import translate_errors
from .intervals import data_interval
from .stores import StoreOperator

if TYPE_CHECKING:
    from ..recordings import ArchiveReport

__all__ = ["RecordingsIncomplete", "ThreeCXRecordingsArchiveOperator"]


class RecordingsIncomplete(TcxError, title="recordings incomplete"):
    """Some recordings of the interval were not archived or not deleted (each is logged).

    A retry runs the archive again, which skips what is stored and verified; it is
    allowed exactly when the core allows it for every one of the failures."""

    def __init__(self, report: ArchiveReport) -> None:
        super().__init__(
            f"{len(report.failed)} of {report.listed} recordings of {report.pbx} were not "
            f"archived and {len(report.delete_failed)} not deleted (each is named in this "
            "task's log).",
            hint="Nothing unverified was deleted; a re-run skips what is stored and verified.",
        )
        failures = {**report.failed, **report.delete_failed}.values()
        self._again = all(exc.facts.retryable for exc in failures)

    def _retryable(self) -> bool:
        return self._again


class ThreeCXRecordingsArchiveOperator(StoreOperator):
    """Archive the recordings that started in the run's data interval into ``target``.

    :param downloads: recordings downloaded at once.
    :param delete_after_verify: delete the PBX's copy of each verified recording.

    ``target``, ``storage_conn_id`` and ``threecx_conn_id``: see
    :class:`~tcxkit.airflow.stores.StoreOperator`; recordings go under
    ``<connection id>/<day>/``.
    """

    def __init__(self, *, downloads: int = 4, delete_after_verify: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.downloads = downloads
        self.delete_after_verify = delete_after_verify

    def execute(self, context: Any) -> dict[str, Any]:
        from ..recordings import ArchiveOptions, Period, archive_pbx

        pbx = self.threecx_conn_id
        with translate_errors():
            start, end = data_interval(self.task_id, context)
            options = ArchiveOptions(
                Period(start, end), concurrency=self.downloads, delete=self.delete_after_verify
            )
            report, _where = self.into_store(
                lambda client, lane: archive_pbx(pbx, client, lane, options, progress=self.progress)
            )
            row = report.row()
            self.log.info("%s: %s", pbx, row)
            for rec_id, exc in sorted({**report.failed, **report.delete_failed}.items()):
                self.log.error("%s: recording %s: %s", pbx, rec_id, exc)
            if not report.ok:
                raise RecordingsIncomplete(report)
        return row
