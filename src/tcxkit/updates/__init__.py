"""Updates across a fleet: status, maintenance windows, and a roll-out that backs up first.

Public API (stable; the CLI's ``3cx update`` and the Airflow face build on these only):

* :func:`parse_window` -> :class:`Window` (``'Sat 02:00-05:00'``, judged in each PBX's
  time zone; unparseable text raises :class:`WindowError`, a usage error with the fix);
* :func:`pbx_status` (one PBX) / :func:`fleet_status` (a :class:`tcxkit.Fleet`) ->
  :class:`UpdateStatus` (installed, offered, how far behind; ``as_row()``);
* :func:`roll_out` ``(fleet, lane, RolloutOptions(canary=, batch=, window=, windows=,
  version=, wait=...), progress=)`` -> :class:`RolloutReport` (``rows`` of
  :class:`PbxResult`: updated / skipped / failed / not attempted; ``raise_for_failures()``
  raises :class:`RolloutFailed`, exit 10).  Per PBX (:mod:`.install`): a verified backup
  taken in this run (:mod:`tcxkit.backups`) or nothing is installed; ``InstallUpdates``
  at most once; a bounded wait for the PBX to go away and come back on the new version;
  health checks (:mod:`tcxkit.health`).  Waves run on the one fleet engine and stop at
  the first failure;
* :func:`update_pbx` ``(pbx, client, lane, options.plan_for(pbx), progress)`` -> one
  PBX's :class:`Outcome` (updated / skipped) or :class:`UpdateFailed` (``stage``,
  ``backup``): the step a roll-out runs per PBX, for a scheduler that runs one PBX per task;
* :func:`windows_by_tag` (:mod:`.tagged`) -> per-PBX windows from an inventory's ``[updates]`` table.

See docs/updates.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .install import Outcome, UpdateFailed, update_pbx
from .rollout import PbxResult, RolloutFailed, RolloutOptions, RolloutReport, roll_out, waves
from .status import UpdateStatus, pbx_status
from .tagged import windows_by_tag
from .window import Window, WindowError, parse_window

if TYPE_CHECKING:
    from ..fleet import Fleet, FleetReport

__all__ = [
    "Outcome",
    "PbxResult",
    "RolloutFailed",
    "RolloutOptions",
    "RolloutReport",
    "UpdateFailed",
    "UpdateStatus",
    "Window",
    "WindowError",
    "fleet_status",
    "parse_window",
    "pbx_status",
    "roll_out",
    "update_pbx",
    "waves",
    "windows_by_tag",
]


async def fleet_status(fleet: Fleet) -> FleetReport[UpdateStatus]:
    """Every PBX's :class:`UpdateStatus`, or its error (one fleet run, two reads each)."""
    from ..fleet import FleetReport

    return FleetReport(await fleet.run(pbx_status, close_each=True))
