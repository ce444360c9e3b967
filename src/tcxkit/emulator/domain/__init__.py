"""PBX behaviour on top of the generic emulator: importing this package registers it.

Modules, in hook order: ``numbering`` (DN ranges and
``GetFirstAvailable*``), ``dns`` (create/update/delete of every DN, membership, Peers,
``Init*``, batch deletes), ``peers``, ``calls`` (call log, reports, active calls),
``system`` (status, licence, parameters), ``media`` (backups, recordings) and ``seeding``
(demo data, scale records).  See docs/emulator.md for what each one models.
"""

from __future__ import annotations

from . import calls, dns, media, numbering, peers, seeding, system

__all__ = ["calls", "dns", "media", "numbering", "peers", "seeding", "system"]
