"""One PBX's update: verified backup, ``InstallUpdates`` once, wait, health checks.

:func:`update_pbx` returns an :class:`Outcome` (``updated`` or ``skipped``) or raises
:class:`UpdateFailed`, which says at which ``stage`` it stopped and which backup (if any)
was taken, so a person knows what to restore from:

1. ``status``: a PBX that is current, offers another version than the one asked for, or
   whose maintenance has expired is *skipped*; so is one outside its window (its zone is
   the PBX's own);
2. ``backup``: :func:`tcxkit.backups.backup_pbx` takes, downloads, verifies and stores a
   backup now; without one nothing is installed;
3. ``install``: ``InstallUpdates`` with the offered entries, sent at most once (the
   client never re-sends a write that may have left the machine);
4. ``wait``: the PBX goes away (connections fail, or 503) and comes back reporting the
   new version, within ``wait`` seconds, polled with progress lines;
5. ``health``: the version is the new one, and :mod:`tcxkit.health`'s checks (trunk
   registration, services by default) do not fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..backups import BackupOptions, backup_pbx
from ..errors import ServerError, TcxError, TransportError
from ..releases import version_key
from .status import UpdateStatus, pbx_status
from .window import Window, local_time, next_start, pbx_zone

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..storage.lane import StoreLane

__all__ = ["Outcome", "PbxPlan", "UpdateFailed", "update_pbx"]

#: ``progress(pbx, message)``, as for backups.
Progress = Callable[[str, str], None]
#: Seconds between two looks at a PBX that is updating: quick at first, then every 5 s.
POLL_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
#: Longest a single look may take before it counts as "away".
POLL_TIMEOUT = 15.0


class UpdateFailed(TcxError):
    """A PBX's update failed at ``stage``; ``backup`` is the key of the backup taken first
    (None when none was).  Exit code 10, like every failed PBX of a roll-out."""

    title = "update failed"
    exit_code = 10

    def __init__(self, message: str, *, stage: str, backup: str | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.stage = stage
        self.backup = backup


@dataclass(frozen=True)
class Outcome:
    """What happened to one PBX that did not fail: ``updated`` or ``skipped`` (``reason``)."""

    pbx: str
    status: str
    reason: str
    installed: str | None = None
    release: str | None = None
    backup: str | None = None


@dataclass(frozen=True)
class PbxPlan:
    """What one PBX's update may do (from :class:`~.rollout.RolloutOptions`)."""

    window: Window | None
    version: str | None
    backup: BackupOptions
    backup_wait: float
    wait: float
    checks: tuple[str, ...]
    now: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


async def _skip_reason(client: AsyncClient, st: UpdateStatus, plan: PbxPlan) -> str | None:
    if st.current:
        return f"already current ({st.installed})"
    if plan.version and st.offered != plan.version:
        return f"offers {st.offered}, not {plan.version}"
    if st.maintenance_expired:
        return "maintenance expired: the PBX may not install updates (renew it first)"
    if not st.entries or not st.key:
        return f"offers {st.offered} without an installable entry (GetUpdates: no Guid/Key)"
    if plan.window is not None:
        zone, _name = await pbx_zone(client)
        now = plan.now()
        if not plan.window.contains(now.astimezone(zone)):
            opens = next_start(plan.window, now, zone)
            return (
                f"outside its window {plan.window} (PBX time {local_time(now, zone)}; "
                f"next opens {opens:%a %Y-%m-%d %H:%M})"
            )
    return None


async def update_pbx(
    pbx: str, client: AsyncClient, lane: StoreLane, plan: PbxPlan, progress: Progress
) -> Outcome:
    """Update one PBX (module docstring)."""
    try:
        st = await pbx_status(pbx, client, settings=False)
    except TcxError as exc:
        raise UpdateFailed(
            f"{pbx}: cannot read its update status: {exc.message}", stage="status", hint=exc.hint
        ) from exc
    try:
        skip = await _skip_reason(client, st, plan)
    except TcxError as exc:  # the PBX's zone could not be learnt: no window can be judged
        raise UpdateFailed(f"{pbx}: {exc.message}", stage="window", hint=exc.hint) from exc
    if skip is not None:
        progress(pbx, f"skipped: {skip}")
        return Outcome(pbx, "skipped", skip, st.installed)
    assert st.offered is not None
    try:
        entry = await backup_pbx(
            pbx, client, lane, plan.backup, wait=plan.backup_wait, progress=progress
        )
    except TcxError as exc:
        raise UpdateFailed(
            f"{pbx}: no verified backup, so nothing was installed: {exc.message}",
            stage="backup",
            hint="Fix the backup first (3cx backup run --to TARGET), then run the update again.",
        ) from exc
    if entry.pbx != pbx or not entry.sha256:  # the one rule this module may not bend
        raise UpdateFailed(f"{pbx}: the backup is not this PBX's.", stage="backup")
    await _install(pbx, client, st, entry.key, progress)
    await _wait_back(pbx, client, st, plan, entry.key, progress)
    await _healthy(pbx, client, st.offered, plan.checks, entry.key)
    progress(pbx, f"updated {st.installed} -> {st.offered}, healthy")
    done = f"{st.installed} -> {st.offered}"
    return Outcome(pbx, "updated", done, st.installed, st.offered, entry.key)


async def _install(
    pbx: str, client: AsyncClient, st: UpdateStatus, backup: str, progress: Progress
) -> None:
    body = {"Entries": list(st.entries), "Key": st.key}
    try:
        await client.call("InstallUpdates", install=body)
    except TcxError as exc:
        facts = exc.facts
        # a broken connection or a 5xx after sending may hide an install under way; a 4xx
        # is a refusal
        maybe = facts.uncertain or (isinstance(exc, ServerError) and facts.sent is not False)
        then = " It may have started anyway: look at the PBX before anything else." if maybe else ""
        raise UpdateFailed(
            f"{pbx}: InstallUpdates to {st.offered} failed: {exc.message}{then}",
            stage="install",
            backup=backup,
            hint=_check_hint(pbx, backup),
        ) from exc
    progress(pbx, f"installing {st.offered} (backup {backup})")


def _check_hint(pbx: str, backup: str) -> str:
    return (
        f"Look at {pbx} (3cx --pbx {pbx} update status); if it is broken, restore it from "
        f"the backup taken first: 3cx --pbx {pbx} backup restore TARGET {backup}"
    )


async def _version(client: AsyncClient, timeout: float = POLL_TIMEOUT) -> str | None:
    answer = await asyncio.wait_for(client.call("GetSystemStatus"), max(0.1, timeout))
    return str(answer.get("Version")) if isinstance(answer, dict) else None


async def _wait_back(
    pbx: str, client: AsyncClient, st: UpdateStatus, plan: PbxPlan, backup: str, progress: Progress
) -> None:
    """Poll until the PBX reports ``st.offered`` again after going away (bounded)."""
    loop = asyncio.get_running_loop()
    start, step, away = loop.time(), 0, False
    target = version_key(st.offered)
    while True:
        try:  # each look is cut at what is left of the wait, so the wait stays bounded
            version = await _version(client, min(POLL_TIMEOUT, plan.wait - (loop.time() - start)))
        except (TransportError, ServerError, TimeoutError):
            version = None
            if not away:
                progress(pbx, "away (restarting)")
            away = True
        else:
            if version_key(version) >= target:
                progress(pbx, f"back, reporting {version}")
                return
            if away:
                raise UpdateFailed(
                    f"{pbx}: came back reporting {version}, not {st.offered}: the update failed.",
                    stage="wait", backup=backup, hint=_check_hint(pbx, backup),
                )  # fmt: skip
        waited = loop.time() - start
        if waited >= plan.wait:
            what = "did not come back" if away else f"still reports {version}"
            raise UpdateFailed(
                f"{pbx}: {what} after {waited:.0f} s (waiting for {st.offered}).",
                stage="wait", backup=backup, hint=_check_hint(pbx, backup),
            )  # fmt: skip
        if step and step % 10 == 0:
            progress(pbx, f"waiting for {st.offered} ({waited:.0f} s)")
        pause = POLL_STEPS[min(step, len(POLL_STEPS) - 1)]
        step += 1
        await plan.sleep(min(pause, max(0.0, plan.wait - waited)))


async def _healthy(
    pbx: str, client: AsyncClient, version: str, checks: tuple[str, ...], backup: str
) -> None:
    """Reachable, the new version, and no selected health check fails or cannot see."""
    from ..health import check_pbx, default_thresholds, select_checks

    try:
        health = await check_pbx(pbx, client, select_checks(checks), default_thresholds())
        now = await _version(client)
    except (TcxError, TimeoutError) as exc:
        raise UpdateFailed(
            f"{pbx}: health checks after the update could not run: "
            f"{getattr(exc, 'message', None) or 'no answer in time'}",
            stage="health", backup=backup, hint=_check_hint(pbx, backup),
        ) from exc  # fmt: skip
    bad = [r for r in health.results if r.status in ("fail", "unknown")]
    if version_key(now) < version_key(version):
        bad_text = f"it reports {now}, not {version}"
    elif bad:
        bad_text = "; ".join(f"{r.check}: {r.status} ({r.summary})" for r in bad)
    else:
        return
    raise UpdateFailed(
        f"{pbx}: unhealthy after the update: {bad_text}.",
        stage="health", backup=backup, hint=_check_hint(pbx, backup),
    )  # fmt: skip
