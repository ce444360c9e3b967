"""One action on many PBXs: ``3cx RESOURCE ACTION --fleet SELECTOR``.

Every row carries the PBX it came from (``pbx``, the first column); a PBX that fails
is a row with its ``error`` (and its exit code), printed by the same printer; the
others' rows are complete.  The run exits 0, or with :class:`~tcxkit.errors.FleetFailure`
(10; every PBX failing alike: that failure's own code).  One event loop drives every
PBX's :class:`~tcxkit.AsyncClient` (:mod:`tcxkit.fleet.runner`).

Not offered with ``--fleet`` (a usage error says so): items mode (which PBX gets which
item is a plan, see ``3cx state``), file downloads (N files of one name), ``--dry-run``
and ``--strict``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import click

from ..errors import FleetFailure, UsageError
from ..results import items_of, value_of
from .fleet import error_row, fleet_targets, open_fleet

if TYPE_CHECKING:
    from ..catalog import Action
    from ..fleet import Fleet, FleetResult
    from .output import Printer

__all__ = ["refuse_with_fleet", "run_fleet"]

#: One PBX of the fleet, by the name `3cx fleet list` shows (a profile or an inventory PBX).
ONE_PBX = "--pbx NAME instead of --fleet (any name `3cx fleet list` shows)"
_REFUSED = (
    ("items", "--items", f"Items mode runs on one PBX: run it with {ONE_PBX}."),
    ("dry_run", "--dry-run", f"See the request one PBX would get: run it with {ONE_PBX}."),
    ("strict_numbers", "--strict", f"Check the numbers on one PBX: run it with {ONE_PBX}."),
)
#: A fleet delete asks first; --dry-run works on one PBX only.
PREVIEW = f"or run it with {ONE_PBX} and --dry-run to see the request first"


def refuse_with_fleet(action: Action, values: dict[str, Any]) -> None:
    """Options that make no sense over a fleet stop the run before anything is sent."""
    for key, flag, why in _REFUSED:
        if values.get(key):
            raise UsageError(f"{flag} cannot be combined with --fleet.", hint=why)
    if action.response.shape == "file":
        raise UsageError(
            f"{action.id} returns a file; --fleet does not download from many PBXs at once.",
            hint=f"Download per PBX: run it with {ONE_PBX} (one file each, no name clashes).",
        )


def _rows(pbx: str, result: Any, collection: bool) -> list[dict[str, Any]]:
    """One call's result as rows that name the PBX first."""
    if result is None:
        return [{"pbx": pbx, "status": "ok"}]
    page = items_of(result) if collection or isinstance(result, list) else None
    if page is not None:
        if page.count is not None:
            print(f"3cx: {pbx}: @odata.count: {page.count}.", file=sys.stderr)
        return [
            {"pbx": pbx, **r} if isinstance(r, dict) else {"pbx": pbx, "value": r}
            for r in page.items
        ]
    answer = value_of(result)
    if isinstance(answer, dict):
        return [{"pbx": pbx, **{k: v for k, v in answer.items() if k != "@odata.context"}}]
    return [{"pbx": pbx, "value": answer}]


def run_fleet(
    ctx: click.Context,
    action: Action,
    kwargs: dict[str, Any],
    values: dict[str, Any],
    printer: Printer,
) -> None:
    """Run ``action`` on every selected PBX; print every row; raise FleetFailure if some failed."""
    from ..fleet import FleetReport
    from .safety import confirm_delete

    refuse_with_fleet(action, values)
    opts = ctx.find_root().obj
    targets = fleet_targets(opts)
    where = f"{len(targets)} PBX{'s' if len(targets) != 1 else ''} ({', '.join(t.name for t in targets)})"
    yes = bool(values.get("yes"))
    confirm_delete(action, kwargs, where, count=None, yes=yes, preview=PREVIEW)
    fleet = open_fleet(targets, opts, values.get("concurrency"))
    collection = action.response.shape == "collection"
    if not values.get("fetch_all"):
        report = fleet.run_sync(lambda _pbx, client: client.call(action.id, **kwargs))
        printer.rows(
            row
            for r in report.rows
            for row in (
                _rows(r.pbx, printer.answer(r.value), collection) if r.ok else [error_row(r)]
            )
        )
        report.raise_for_failures()
        return
    failures: list[FleetResult[Any]] = []

    async def paged(fleet: Fleet) -> AsyncIterator[dict[str, Any]]:
        try:
            async for pbx, item in fleet.paginate(
                action.id, page_size=values.get("page_size"), **kwargs
            ):
                item = printer.answer(item)
                yield (
                    {"pbx": pbx, **item} if isinstance(item, dict) else {"pbx": pbx, "value": item}
                )
        except FleetFailure as exc:
            failures.extend(exc.failures)
            for r in exc.failures:
                yield error_row(r)

    printer.rows(fleet.stream_sync(paged))
    FleetReport(failures).raise_for_failures(len(targets))
