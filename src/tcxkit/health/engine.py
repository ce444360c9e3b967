"""Run checks on one PBX (:func:`check_pbx`) or a fleet (:func:`check_fleet`).

One PBX's reads are shared by its checks (:class:`.facts.Facts`); a fleet runs on the
one fleet engine (:class:`tcxkit.fleet.Fleet`), so a PBX that cannot be read at all is
a :class:`~tcxkit.fleet.FleetResult` with its error, never the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..redaction import redact
from . import checks_security, checks_system  # noqa: F401  (importing declares the checks)
from .facts import Facts, ReadFailed
from .model import CheckResult, PbxHealth
from .registry import CHECKS, Check, Finding, require_declared
from .thresholds import Thresholds

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..fleet import Fleet, FleetReport

__all__ = ["check_fleet", "check_pbx", "default_thresholds", "select_checks"]

require_declared()


def default_thresholds() -> Thresholds:
    """Each check's thresholds with their built-in values."""
    return {name: dict(c.thresholds) for name, c in CHECKS.items()}


def _names(text: Iterable[str], flag: str) -> list[str]:
    words = [w.strip() for item in text for w in item.split(",") if w.strip()]
    unknown = [w for w in words if w not in CHECKS]
    if unknown:
        raise UsageError(
            f"{flag}: no check named {', '.join(map(repr, unknown))}.",
            hint="Checks: " + ", ".join(CHECKS) + ".",
        )
    return words


def select_checks(only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[Check]:
    """The checks to run: all, or ``only`` those, less ``skip`` (unknown names refused)."""
    chosen = _names(only, "--only") or list(CHECKS)
    skipped = set(_names(skip, "--skip"))
    picked = [CHECKS[n] for n in CHECKS if n in chosen and n not in skipped]
    if not picked:
        raise UsageError("No check left to run.", hint="Loosen --only/--skip.")
    return picked


async def _run_one(c: Check, facts: Facts, t: dict[str, float], now: datetime) -> CheckResult:
    try:
        data = {read: await facts.get(read) for read in c.reads}
        found = c.run(data, t, now)
    except ReadFailed as exc:
        found = Finding(
            "unknown",
            f"Cannot read {exc.read}: {exc.error}",
            {"read": exc.read, "error": type(exc.error).__name__},
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # an answer of
        found = Finding("unknown", f"Unexpected answer: {exc}", {})  # an unknown shape
    # The one redaction: evidence is printed, exported and logged by every face.
    evidence = redact(found.evidence)
    return CheckResult(c.name, c.title, found.status, c.severity, found.summary, evidence, c.fix)


async def check_pbx(
    name: str,
    client: AsyncClient,
    checks: Sequence[Check],
    thresholds: Thresholds,
    now: datetime | None = None,
) -> PbxHealth:
    """Run ``checks`` on one PBX; the system status is read first, so a PBX that cannot
    be reached raises (a fleet makes it an error row) rather than failing every check."""
    now = now or datetime.now(UTC)
    facts = Facts(client)
    await facts.get("status")
    results = [await _run_one(c, facts, thresholds[c.name], now) for c in checks]
    return PbxHealth(name, sorted(results, key=CheckResult.sort_key))


async def check_fleet(
    fleet: Fleet,
    checks: Sequence[Check],
    thresholds_for: Callable[[str], Thresholds],
    now: datetime | None = None,
) -> FleetReport[PbxHealth]:
    """Every PBX of ``fleet``: its :class:`PbxHealth`, or its error."""
    from ..fleet import FleetReport

    async def one(name: str, client: Any) -> PbxHealth:
        return await check_pbx(name, client, checks, thresholds_for(name), now)

    return FleetReport(await fleet.run(one, close_each=True))
