"""``apply``: carry out a plan in dependency order, stopping at the first failure.

Creates and updates run kind by kind in the order of :data:`~.managed.MANAGED_TYPES`
(groups before the users that join them, users before the queues that name
them, trunks before the rules that use them); deletes run last, in reverse
order.  Each write is sent once (the client's at-most-once rule); the first
failure stops the run, and the :class:`ApplyReport` says what was applied,
what failed and what was not attempted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import TcxError
from .managed import MANAGED_TYPES, get_type
from .plan import Change, Plan
from .shape import to_pbx

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["ApplyReport", "apply", "ordered"]


@dataclass
class ApplyReport:
    """What happened: ``applied`` in order, the ``failed`` change and its ``error``, ``skipped``."""

    applied: list[Change] = field(default_factory=list)
    failed: Change | None = None
    error: TcxError | None = None
    skipped: list[Change] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed is None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": self.ok,
            "applied": [_brief(c) for c in self.applied],
            "skipped": [_brief(c) for c in self.skipped],
        }
        if self.failed is not None:
            out["failed"] = _brief(self.failed)
            out["error"] = self.error.to_dict() if self.error else None
        return out


def _brief(change: Change) -> dict[str, Any]:
    return {"kind": change.kind, "key": change.key, "op": change.op}


def ordered(plan: Plan) -> list[Change]:
    """Creates and updates in dependency order, then deletes in reverse."""
    rank = {k.name: i for i, k in enumerate(MANAGED_TYPES)}
    writes = sorted((c for c in plan.changes if c.op != "delete"), key=lambda c: rank[c.kind])
    deletes = sorted((c for c in plan.changes if c.op == "delete"), key=lambda c: -rank[c.kind])
    return writes + deletes


async def _perform(client: AsyncClient, change: Change, plan: Plan) -> None:
    kind = get_type(change.kind)
    if change.op == "delete":
        await client.call(kind.delete, Id=change.id)
        plan.ids.get(kind.name, {}).pop(change.key, None)
        return
    body = to_pbx(kind, change.key, change.send(), plan.ids)
    if kind.singleton:
        await client.call(kind.update, body=body)
    elif change.op == "update":
        await client.call(kind.update, Id=change.id, body=body)
    else:
        if not kind.key_in_body:
            body[kind.key[0]] = change.key
        created = await client.call(kind.create, body=body)
        if isinstance(created, dict) and "Id" in created:
            plan.ids.setdefault(kind.name, {})[change.key] = created["Id"]


async def apply(
    client: AsyncClient, plan: Plan, *, progress: Callable[[Change], None] | None = None
) -> ApplyReport:
    """Apply ``plan`` to the PBX it was made against; never raises for a PBX error.

    ``progress`` is called after each change that was applied (the CLI prints it).
    """
    report = ApplyReport()
    changes = ordered(plan)
    for i, change in enumerate(changes):
        try:
            await _perform(client, change, plan)
        except TcxError as exc:
            report.failed, report.error = change, exc
            report.skipped = changes[i + 1 :]
            return report
        report.applied.append(change)
        if progress is not None:
            progress(change)
    return report
