"""The roll-out: waves of PBXs through the one fleet engine, stopped at the first failure.

Every PBX's status is read first; those already current are skipped, and wave 1 is the
``canary`` (the first N PBXs, in fleet order, that are offered an update), then batches of ``batch`` PBXs, each batch run concurrently on
:class:`tcxkit.Fleet`'s bounded engine.  A wave runs to its end (an update under way is
never abandoned); after a wave in which some PBX failed, no further PBX is touched: each
is reported ``not attempted``.  A PBX that is skipped (current, outside its window...)
is no failure.

What a stopped roll-out leaves behind (docs/updates.md): the PBXs of earlier waves
updated and healthy, each with the verified backup taken just before; the failed
PBX(s) in whatever state the update left them, with their backup named in the row; the
rest untouched.  Nothing is rolled back by itself: a restore is a person's decision
(``3cx backup restore``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from ..backups import BackupOptions
from ..errors import PartialFailure, TcxError, UsageError
from .install import Outcome, PbxPlan, Progress, UpdateFailed, update_pbx
from .status import pbx_status
from .window import Window

if TYPE_CHECKING:
    from ..fleet import Fleet
    from ..storage.lane import StoreLane

__all__ = ["PbxResult", "RolloutFailed", "RolloutOptions", "RolloutReport", "roll_out", "waves"]

STATUSES = ("updated", "skipped", "failed", "not attempted")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RolloutOptions:
    """How a roll-out runs.  ``window`` applies to every PBX unless ``windows`` names the
    PBX (its own window, or None for none); ``version`` refuses any other offered
    version; ``checks`` are :mod:`tcxkit.health` check names run after each update."""

    canary: int = 1
    batch: int = 1
    window: Window | None = None
    windows: Mapping[str, Window | None] = field(default_factory=dict)
    version: str | None = None
    backup: BackupOptions = field(default_factory=BackupOptions)
    backup_wait: float = 900.0
    wait: float = 1800.0
    checks: tuple[str, ...] = ("trunk_registration", "services")
    now: Callable[[], datetime] = _now

    def __post_init__(self) -> None:
        _check_sizes(self.canary, self.batch)
        if self.wait <= 0 or self.backup_wait <= 0:
            raise UsageError("wait times must be positive seconds.", hint="e.g. --wait 1800")
        from ..health import select_checks

        select_checks(self.checks)  # an unknown check name is refused now, not after a backup

    def plan_for(self, pbx: str) -> PbxPlan:
        window = self.windows.get(pbx, self.window)
        return PbxPlan(
            window, self.version, self.backup, self.backup_wait, self.wait, self.checks, self.now
        )


@dataclass(frozen=True)
class PbxResult:
    """One PBX of a roll-out: its ``status`` (:data:`STATUSES`), ``wave`` (1 = canary;
    0 = in none: current, unreadable or never reached), what happened, and for a failure
    its error and stage."""

    pbx: str
    status: str
    wave: int
    reason: str = ""
    installed: str | None = None
    release: str | None = None
    backup: str | None = None
    stage: str | None = None
    error: TcxError | None = None

    def as_row(self) -> dict[str, Any]:
        """The fields every face prints (a failure's error is the face's to word)."""
        row = {"pbx": self.pbx, "status": self.status, "wave": self.wave, "reason": self.reason}
        row.update(installed=self.installed, release=self.release, backup=self.backup)
        if self.stage:
            row["stage"] = self.stage
        return row


@dataclass(frozen=True)
class RolloutReport:
    """Every PBX of the roll-out, in fleet order."""

    rows: list[PbxResult]

    def named(self, status: str) -> list[str]:
        return [r.pbx for r in self.rows if r.status == status]

    @property
    def ok(self) -> bool:
        return not self.named("failed")

    def summary(self) -> str:
        """``updated: pbx01; failed: pbx02; not attempted: pbx03`` (statuses present)."""
        parts = [f"{s}: {', '.join(self.named(s))}" for s in STATUSES if self.named(s)]
        return "; ".join(parts) or "no PBX"

    def raise_for_failures(self) -> None:
        """:class:`RolloutFailed` (exit 10) when some PBX failed, after the rows are shown."""
        failed = [r for r in self.rows if r.status == "failed"]
        if failed:
            first = failed[0]
            then = first.error.hint if first.error and first.error.hint else ""
            raise RolloutFailed(
                f"The roll-out stopped at wave {first.wave}: {self.summary()}.",
                hint=f"Nothing is rolled back by itself. {then}".strip(),
            )


class RolloutFailed(PartialFailure):
    """Some PBX failed; the roll-out stopped (exit 10, with every PBX's row)."""

    title = "update roll-out stopped"


def _check_sizes(canary: int, batch: int) -> None:
    """Refuse wave sizes that cannot cut a fleet (a negative canary would slice from the end)."""
    if canary < 0 or batch < 1:
        raise UsageError(
            f"canary must be 0 or more and batch 1 or more (got {canary}, {batch}).",
            hint="e.g. --canary 1 --batch 5",
        )


def waves(names: list[str], canary: int, batch: int) -> list[list[str]]:
    """``names`` cut into the canary wave, then batches: ``waves(5 names, 1, 2)`` is
    ``[[a], [b, c], [d, e]]``.  Sizes that cannot cut a fleet are refused (a DAG file
    calls this with its own numbers, not through :class:`RolloutOptions`)."""
    _check_sizes(canary, batch)
    out = [names[:canary]] if canary else []
    rest = names[canary:]
    out += [rest[i : i + batch] for i in range(0, len(rest), batch)]
    return [w for w in out if w]


def _result(pbx: str, wave: int, value: Outcome | None, error: TcxError | None) -> PbxResult:
    if error is None:
        assert value is not None
        return PbxResult(
            pbx, value.status, wave, value.reason, value.installed, value.release, value.backup
        )
    stage = error.stage if isinstance(error, UpdateFailed) else None
    backup = error.backup if isinstance(error, UpdateFailed) else None
    return PbxResult(pbx, "failed", wave, str(error), backup=backup, stage=stage, error=error)


async def _preflight(fleet: Fleet, progress: Progress) -> tuple[list[str], list[PbxResult]]:
    """Read every PBX's status first: the waves are made of the PBXs that are behind (so
    the canary is a PBX that really updates); one that cannot be read stops the
    roll-out before it starts (fail closed: it might be the one that needed care)."""
    todo: list[str] = []
    rows: list[PbxResult] = []
    for r in await fleet.run(partial(pbx_status, settings=False)):
        if r.error is not None:
            failed = UpdateFailed(
                f"{r.pbx}: cannot read its update status: {r.error.message}",
                stage="status",
                hint=r.error.hint,
            )
            rows.append(_result(r.pbx, 0, None, failed))
        elif r.value is not None and r.value.current:
            rows.append(
                PbxResult(
                    r.pbx, "skipped", 0, f"already current ({r.value.installed})", r.value.installed
                )
            )
        else:
            todo.append(r.pbx)
    progress("fleet", f"{len(todo)} of {len(fleet.names)} PBXs offered an update")
    return todo, rows


async def roll_out(
    fleet: Fleet,
    lane: StoreLane,
    options: RolloutOptions,
    *,
    progress: Progress = lambda _pbx, _msg: None,
) -> RolloutReport:
    """Update every PBX of ``fleet`` in waves (module docstring); backups go to ``lane``."""
    from ..fleet import Fleet

    todo, rows = await _preflight(fleet, progress)
    stopped = any(r.status == "failed" for r in rows)
    for number, wave in enumerate(waves(todo, options.canary, options.batch), 1):
        if stopped:
            why = "an earlier wave failed" if number > 1 else "a PBX could not be read first"
            rows += [PbxResult(n, "not attempted", 0, why) for n in wave]
            continue
        progress("fleet", f"wave {number}: {', '.join(wave)}")

        async def one(pbx: str, client: Any) -> Outcome:
            return await update_pbx(pbx, client, lane, options.plan_for(pbx), progress)

        clients = {name: fleet.client(name) for name in wave}  # made by the preflight
        for r in await Fleet(clients, concurrency=len(clients)).run(one):
            rows.append(_result(r.pbx, number, r.value, r.error))
            stopped = stopped or not r.ok
    order = {n: i for i, n in enumerate(fleet.names)}
    return RolloutReport(sorted(rows, key=lambda r: order[r.pbx]))
