"""Fleet health in Airflow: run ``3cx health``'s checks on the PBX of a connection.

``ThreeCXHealthCheckOperator`` runs the checks of :mod:`tcxkit.health` (one read per
action, shared by the checks), logs each result worst first with its evidence and fix,
returns the report as its XCom value (also pushed under the key ``health`` before a
failure, so a failed task still hands it on), **fails** (no retries: a failing check
does not go away by waiting) when a check fails, and logs a **warning** -- the task
succeeds -- when checks only warn.  Mapped over connections, the grid of a nightly DAG is
the fleet's health (examples/airflow/threecx_fleet_health.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._compat import AirflowFailException, BaseOperator
from .errors import translate_errors
from .hooks import ThreeCXHook
from .pools import ConnectionPool, pool_for

__all__ = ["ThreeCXHealthCheckOperator", "ThreeCXHealthError"]


class ThreeCXHealthError(AirflowFailException):
    """Some check failed on the PBX (each is in the task's log); not retried."""


class ThreeCXHealthCheckOperator(ConnectionPool, BaseOperator):
    """Run the health checks on the connection's PBX.

    :param only: check names to run (default: all); unknown names fail the task.
    :param skip: check names to leave out.
    :param thresholds: ``{check: {threshold: number}}`` over the defaults (docs/health.md),
        checked like ``[health]`` in config.toml.
    :param threecx_conn_id: the ``threecx`` connection of the PBX.
    """

    template_fields: Sequence[str] = ("threecx_conn_id",)

    def __init__(
        self,
        *,
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        only: Sequence[str] = (),
        skip: Sequence[str] = (),
        thresholds: dict[str, dict[str, float]] | None = None,
        **kwargs: Any,
    ) -> None:
        pool_for(kwargs, threecx_conn_id)
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.threecx_conn_id = threecx_conn_id
        self.only = list(only)
        self.skip = list(skip)
        self.thresholds = thresholds or {}

    def execute(self, context: Any) -> dict[str, Any]:
        from ..client import AsyncClient
        from ..fleet.bridge import run_sync
        from ..health import check_pbx, default_thresholds, select_checks
        from ..health.thresholds import check_table, merge_tables

        with translate_errors():
            checks = select_checks(self.only, self.skip)
            where = f"thresholds of task {self.task_id}"
            defaults = default_thresholds()
            # One PBX, no tags: a ``tags`` table here would never apply, so it is refused
            # (as an unknown check) rather than silently ignored.
            check_table(self.thresholds, defaults, where)
            limits = merge_tables(defaults, [(where, self.thresholds)])(())
            settings = ThreeCXHook(threecx_conn_id=self.threecx_conn_id).settings()

            async def run() -> Any:
                async with AsyncClient(**settings) as client:
                    return await check_pbx(self.threecx_conn_id, client, checks, limits)

            found = run_sync(run)
        for r in found.results:
            log = {"fail": self.log.error, "pass": self.log.info}.get(r.status, self.log.warning)
            log("%s %s (%s): %s | evidence: %s | fix: %s", r.status.upper(), r.check,
                r.severity, r.summary, r.evidence, r.fix)  # fmt: skip
        report = {"pbx": found.pbx, "status": found.status, "counts": found.counts(),
                  "checks": [r.as_dict() for r in found.results]}  # fmt: skip
        counts = found.counts()
        if found.status == "fail":
            context["ti"].xcom_push(key="health", value=report)
            failed = [r.check for r in found.results if r.status == "fail"]
            raise ThreeCXHealthError(
                f"{len(failed)} health check(s) fail on connection {self.threecx_conn_id!r}: "
                f"{', '.join(failed)} (evidence and fix in this task's log)."
            )
        if found.status != "pass":
            self.log.warning("%d check(s) warn, %d could not read what they need.",
                             counts["warn"], counts["unknown"])  # fmt: skip
        return report
