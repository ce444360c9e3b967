"""Configuration as code in Airflow: check a PBX against a state file, or make it match.

``ThreeCXStatePlanOperator`` is the nightly drift check: it compares the PBX of its
connection with a ``3cx state`` file (docs/state.md) and, when they differ, logs the plan
and fails the task, so a fleet DAG that maps it over connections shows the drifted PBXs as
failed tasks with the reason in their logs. ``ThreeCXStateApplyOperator`` rolls a file out:
it plans, logs the plan and applies it, stopping at the first failure with what was and was
not applied. Both run the one engine (:mod:`tcxkit.state`) that ``3cx state`` runs.

Neither is retried on drift or on a failed apply: drift does not go away by waiting, and an
apply that stopped half-way should be looked at (its log says where) before it runs again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._compat import AirflowFailException, BaseOperator
from .errors import translate_errors
from .hooks import ThreeCXHook
from .pools import ConnectionPool, pool_for

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..state import Plan

__all__ = [
    "ThreeCXDriftError",
    "ThreeCXStateApplyOperator",
    "ThreeCXStatePlanOperator",
    "per_pbx",
]

T = TypeVar("T")


def per_pbx(connections: Iterable[str], state_file: str) -> list[dict[str, str]]:
    """The ``expand_kwargs`` of a state operator mapped over a fleet: one entry per
    connection, with its file (``{pbx}`` in ``state_file`` becomes the connection id,
    for a file per customer; ``{conn_id}`` is a deprecated alias)."""
    from ..fleet.files import file_for

    return [
        {"threecx_conn_id": conn, "state_file": file_for(state_file, conn)} for conn in connections
    ]


class ThreeCXDriftError(AirflowFailException):
    """The PBX differs from its state file (the plan is in the task's log); not retried."""

    def __init__(self, conn_id: str, plan: Plan) -> None:
        c = plan.counts()
        super().__init__(
            f"The PBX of connection {conn_id!r} has drifted from its state file: "
            f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete "
            "(the plan is in this task's log; `ThreeCXStateApplyOperator` or `3cx state apply` "
            "makes it match)."
        )
        self.plan = plan


class _StateOperator(ConnectionPool, BaseOperator):
    template_fields: Sequence[str] = ("state_file", "threecx_conn_id")

    def __init__(
        self,
        *,
        state_file: str,
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        prune: bool = False,
        **kwargs: Any,
    ) -> None:
        pool_for(kwargs, threecx_conn_id)
        super().__init__(**kwargs)
        self.state_file = state_file
        self.threecx_conn_id = threecx_conn_id
        self.prune = prune

    def _on_pbx(self, work: Callable[[AsyncClient, Plan], Awaitable[T]]) -> T:
        """Plan the connection's PBX against the file, log the plan, then ``work(client,
        plan)`` -- one AsyncClient and one event loop for the whole task."""
        from ..client import AsyncClient
        from ..fleet.bridge import run_sync
        from ..state import load_document, plan

        doc = load_document(self.state_file)
        settings = ThreeCXHook(threecx_conn_id=self.threecx_conn_id).settings()

        async def run() -> T:
            async with AsyncClient(**settings) as client:
                planned = await plan(client, doc, prune=self.prune)
                self.log.info(
                    "Plan for connection %s against %s:\n%s",
                    self.threecx_conn_id,
                    self.state_file,
                    planned.render(),
                )
                return await work(client, planned)

        return run_sync(run)


class ThreeCXStatePlanOperator(_StateOperator):
    """Compare the PBX with ``state_file``; fail (no retries) when it drifted.

    :param state_file: a ``3cx state`` YAML file (``extends:`` and ``${ENV}`` secrets work).
    :param prune: also count objects of the file's kinds that the file does not name.
    :param fail_on_drift: ``False`` to only report (the XCom value holds the counts).
    :param threecx_conn_id: the ``threecx`` connection of the PBX.
    """

    def __init__(self, *, fail_on_drift: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_on_drift = fail_on_drift

    def execute(self, context: Any) -> dict[str, Any]:
        async def planned(_client: AsyncClient, result: Plan) -> Plan:
            return result

        with translate_errors():
            result = self._on_pbx(planned)
        if result and self.fail_on_drift:
            raise ThreeCXDriftError(self.threecx_conn_id, result)
        return {"drifted": bool(result), **result.counts()}


class ThreeCXStateApplyOperator(_StateOperator):
    """Make the PBX match ``state_file``: plan, log the plan, apply it.

    Deletes only with ``prune=True``. The XCom value counts what was applied. A failure
    stops at that change and fails the task without retries; the log lists what was
    applied before it and what was not attempted.
    """

    def execute(self, context: Any) -> dict[str, Any]:
        from ..state import ApplyReport, apply

        async def apply_plan(client: AsyncClient, planned: Plan) -> tuple[Plan, ApplyReport | None]:
            return planned, (await apply(client, planned) if planned else None)

        with translate_errors():
            planned, report = self._on_pbx(apply_plan)
        if report is None:
            return {"applied": 0, **planned.counts()}
        for change in report.applied:
            self.log.info("applied: %s %s %s", change.op, change.kind, change.key or "")
        if not report.ok:
            assert report.failed is not None and report.error is not None
            for change in report.skipped:
                self.log.error("not attempted: %s %s %s", change.op, change.kind, change.key or "")
            raise AirflowFailException(
                f"Stopped at {report.failed.op} of {report.failed.kind} "
                f"{report.failed.key or ''}: {report.error} "
                f"({len(report.applied)} applied, {len(report.skipped)} not attempted)."
            ) from report.error
        return {"applied": len(report.applied), **planned.counts()}
