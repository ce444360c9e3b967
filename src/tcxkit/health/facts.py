"""The reads of one PBX, each made at most once per run and shared by every check.

Seventeen checks need eight reads: ``GetSystemStatus`` alone feeds the licence,
maintenance, disk, recordings and services checks.  :class:`Facts` asks for a read the
first time a check wants it and keeps the answer (or the error) for the others, so a
health run costs one request per read, whatever the number of checks.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import TcxError
from ..results import rows_of

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["READS", "Facts", "ReadFailed"]

#: Each read: the action and its fixed options (only the fields the checks use).
READS: dict[str, tuple[str, dict[str, Any]]] = {
    "status": ("GetSystemStatus", {}),
    "backups": ("ListBackups", {"orderby": "CreationTime desc", "top": 20}),
    "backup_settings": ("GetBackupSettings", {}),
    "backup_repository": ("GetBackupRepositorySettings", {}),
    "trunks": (
        "ListTrunk",
        {"select": ["Id", "Number", "IsOnline", "Gateway", "CertificateExpirationDate"]},
    ),
    "services": ("ListServiceInfo", {"select": ["Name", "DisplayName", "Status"]}),
    "updates": ("GetUpdates", {}),
    "secure_sip": ("GetSecureSipSettings", {}),
    "emergency_rules": ("GetEmergencyOutboundRules", {}),
    "console": ("GetConsoleRestrictions", {}),
    "anti_hacking": ("GetAntiHackingSettings", {}),
    "users": (
        "ListUser",
        {
            "select": ["Number", "DisplayName", "Require2FA", "Enable2FA", "Enabled"],
            "expand": "Groups",
        },
    ),
    "principals": (
        "ListServicePrincipal",
        {
            "select": ["Id", "Number", "XAPIEnabled", "CallControlEnabled", "IsSystem", "LastUsed"],
            "expand": "Groups",
        },
    ),
}

#: Reads answered as collections (every page is read).
_COLLECTIONS = {"trunks", "services", "users", "principals"}


class ReadFailed(Exception):
    """A read a check needs could not be made: the check is ``unknown``, with the reason."""

    def __init__(self, read: str, error: TcxError):
        self.read = read
        self.error = error
        super().__init__(f"{READS[read][0]} failed: {error}")


class Facts:
    """The answers of one PBX, read on first use (``await facts.get("status")``)."""

    def __init__(self, client: AsyncClient):
        self.client = client
        self._done: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: Which actions were sent (the cost of the run), in order.
        self.sent: list[str] = []

    async def get(self, read: str) -> Any:
        """The answer of ``read`` (rows for a collection); raises :class:`ReadFailed`."""
        lock = self._locks.setdefault(read, asyncio.Lock())
        async with lock:
            if read not in self._done:
                self._done[read] = await self._fetch(read)
        found = self._done[read]
        if isinstance(found, ReadFailed):
            raise found
        return found

    async def _fetch(self, read: str) -> Any:
        action, options = READS[read]
        self.sent.append(action)
        try:
            if read in ("backups", "emergency_rules"):  # one page: the newest twenty; a
                return rows_of(await self.client.call(action, **options))  # function
            if read in _COLLECTIONS:
                return [row async for row in self.client.paginate(action, **options)]
            return await self.client.call(action, **options)
        except TcxError as exc:
            if read == "status":
                raise  # the PBX itself cannot be read: the whole PBX is an error row
            return ReadFailed(read, exc)
