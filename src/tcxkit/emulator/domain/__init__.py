"""PBX behaviour on top of the generic emulator: importing this package registers it.

Modules, in hook order: ``numbering`` (DN ranges and
``GetFirstAvailable*``), ``dns`` (create/update/delete of every DN, membership, Peers,
``Init*``, batch deletes), ``peers``, ``calls`` (call log, reports, active calls),
``system`` (status, licence, parameters), ``health`` (what health checks read:
services, updates, certificate, backup settings, disk; ``/emulator/pbx-health``),
``updates`` (what ``GetUpdates`` offers, ``InstallUpdates``' outage), ``backups``
(archives, faults), ``media`` (recordings), ``clock`` (the
PBX's time zone), ``seeding`` (demo data, scale records) and ``storyline`` (the demo's
scripted calls of yesterday), ``livecalls`` (``MakeCall``: calls that ring, talk and
end in real time; ``DropCall``) and ``traffic`` (the ``--traffic`` generator), then
``builtin`` (the prompt set and e-mail templates every PBX ships with).  See docs/emulator.md for what each one models.
"""

from __future__ import annotations

from . import (
    backups,
    builtin,
    calls,
    clock,
    dns,
    health,
    livecalls,
    media,
    numbering,
    peers,
    seeding,
    storyline,
    system,
    traffic,
    updates,
)

__all__ = [
    "backups",
    "builtin",
    "calls",
    "clock",
    "dns",
    "health",
    "livecalls",
    "media",
    "numbering",
    "peers",
    "seeding",
    "storyline",
    "system",
    "traffic",
    "updates",
]
