"""Backups you can restore, as an Airflow task: ``ThreeCXBackupOperator`` (#25).

One task backs up the PBX of one ``threecx`` connection with the engine ``3cx backup run``
runs (:func:`tcxkit.backups.backup_pbx`): ``Backup`` once, wait for the PBX to list it,
stream it, verify it (:mod:`tcxkit.backups.archive`), put the archive and then -- the
commit mark -- its manifest entry in the store. Mapped over connections, a nightly DAG
backs up a fleet (examples/airflow/threecx_fleet_backup.py), one task per PBX.

The task's XCom value is the manifest entry (never a secret). A backup that fails,
times out or does not verify fails the task and stores nothing; whether Airflow may
retry is the core's decision (:mod:`tcxkit.airflow.errors`). A retry takes a *new*
backup: the ``Backup`` write of a failed try is never re-sent.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .errors import translate_errors
from .stores import StoreOperator

__all__ = ["ThreeCXBackupOperator"]


class ThreeCXBackupOperator(StoreOperator):
    """Back up the connection's PBX into ``target``, verified, with its manifest entry.

    :param call_history: include the call history.
    :param fqdn: include the FQDN and its certificate.
    :param compress: let the PBX compress the archive.
    :param wait: seconds the PBX may take to list the finished backup.

    ``target``, ``storage_conn_id`` and ``threecx_conn_id``: see
    :class:`~tcxkit.airflow.stores.StoreOperator`.
    """

    def __init__(
        self,
        *,
        call_history: bool = False,
        fqdn: bool = False,
        compress: bool = True,
        wait: float = 900.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.call_history = call_history
        self.fqdn = fqdn
        self.compress = compress
        self.wait = wait

    def execute(self, context: Any) -> dict[str, Any]:
        from ..backups import BackupOptions, backup_pbx

        options = BackupOptions(
            call_history=self.call_history, fqdn=self.fqdn, compress=self.compress
        )
        pbx = self.threecx_conn_id
        with translate_errors():
            entry, where = self.into_store(
                lambda client, lane: backup_pbx(
                    pbx, client, lane, options, wait=self.wait, progress=self.progress
                )
            )
        self.log.info(
            "Verified backup of %s stored as %s/%s (%d bytes, sha256 %s)",
            pbx, where, entry.key, entry.size, entry.sha256,
        )  # fmt: skip
        return {"status": "verified", "target": where, **asdict(entry)}
