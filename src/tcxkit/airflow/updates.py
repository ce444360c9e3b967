"""PBX updates, one PBX per task: ``ThreeCXUpdateOperator`` (#25).

One task updates the PBX of one ``threecx`` connection with the engine of ``3cx update``
(:mod:`tcxkit.updates`): a PBX that is current, offers another version than the one asked
for, has lost its maintenance or is outside its maintenance window (judged in the PBX's own
time zone) is *skipped*; otherwise a **verified backup is taken first** into ``target``
(nothing is installed without one), ``InstallUpdates`` is sent at most once, the task waits
(bounded) for the PBX to go away and come back on the new version, and the health checks
must not fail.

The task runs the step a roll-out runs per PBX (:func:`tcxkit.updates.update_pbx`), so
what "updated", "skipped" and "failed" mean is the core's; the XCom value is the PBX's
outcome (``status``, ``reason``, ``installed``, ``release``, ``backup``). A failure fails
the task **without retries** (an update that stopped half-way is a person's to look at:
the message names the stage and the backup to restore from). The roll-out DAG (examples/airflow/threecx_fleet_update.py) runs
these tasks in waves: a canary task group first, then the batches, each wave only after
the one before it succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .errors import translate_errors
from .stores import StoreOperator

__all__ = ["ThreeCXUpdateOperator"]


class ThreeCXUpdateOperator(StoreOperator):
    """Update the connection's PBX, after a verified backup into ``target``.

    :param window: maintenance window (``'Sat 02:00-05:00'``, the PBX's local time); empty
        or None: any time. Outside it the PBX is skipped (the task succeeds).
    :param version: install only this offered version (others are skipped); empty: any.
    :param checks: health checks that must not fail afterwards (default: the core's).
    :param wait: seconds the PBX may take to come back on the new version.
    :param backup_wait: seconds the PBX may take to list its backup.
    :param call_history: include the call history in the backup.

    ``target``, ``storage_conn_id`` and ``threecx_conn_id``: see
    :class:`~tcxkit.airflow.stores.StoreOperator`.
    """

    #: The store's fields (``storage_conn_id`` too: a DAG param may name it), and the window's.
    template_fields: Sequence[str] = (*StoreOperator.template_fields, "window", "version")

    def __init__(
        self,
        *,
        window: str | None = None,
        version: str | None = None,
        checks: Sequence[str] | None = None,
        wait: float = 1800.0,
        backup_wait: float = 900.0,
        call_history: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.window = window
        self.version = version
        self.checks = checks
        self.wait = wait
        self.backup_wait = backup_wait
        self.call_history = call_history

    def _options(self) -> Any:
        from ..backups import BackupOptions
        from ..updates import RolloutOptions, parse_window

        extra = {} if self.checks is None else {"checks": tuple(self.checks)}
        return RolloutOptions(
            window=parse_window(self.window) if self.window else None,
            version=self.version or None,
            backup=BackupOptions(call_history=self.call_history),
            backup_wait=self.backup_wait,
            wait=self.wait,
            **extra,
        )

    def execute(self, context: Any) -> dict[str, Any]:
        from ..updates import update_pbx

        pbx = self.threecx_conn_id
        with translate_errors():
            plan = self._options().plan_for(pbx)
            outcome, where = self.into_store(
                lambda client, lane: update_pbx(pbx, client, lane, plan, self.progress)
            )
        self.log.info("%s: %s (%s)", pbx, outcome.status, outcome.reason)
        return {"target": where, **asdict(outcome)}
