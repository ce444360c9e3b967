"""What the two database sinks (SQLite, PostgreSQL) share: tables, checkpoint, a window.

Both keep ``calls`` and ``call_legs`` (key: ``pbx`` + ``call_id`` / ``segment_id``) and
``tcx_export_checkpoints`` (one row per export key), hold a window's rows until
:meth:`~TableSink.commit`, then upsert them table by table together with the checkpoint.
Only the SQL dialect differs -- column types and quoting, the parameter mark, how a
transaction is opened and how changed rows are counted -- so a subclass gives just that.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from .calls import CALL_COLUMNS
from .legs import LEG_COLUMNS

__all__ = ["CALL_TABLE_COLUMNS", "TableSink"]

#: The ``calls`` table's columns: a call's own fields (its legs go to ``call_legs``).
CALL_TABLE_COLUMNS = tuple(c for c in CALL_COLUMNS if c != "legs")


class TableSink:
    """The shared half of a database sink; see the module docstring."""

    #: SQL types of the checkpoint table's key and state columns.
    key_type = "TEXT"
    state_type = "TEXT"
    #: The driver's parameter mark.
    mark = "?"
    #: The checkpoint's state as read back from the database -> a dict.
    decode: Callable[[Any], dict[str, Any]] = staticmethod(json.loads)

    db: Any

    def _ddl(self, table: str, columns: tuple[str, ...], key: str) -> str:
        raise NotImplementedError

    def _upsert(
        self, table: str, columns: tuple[str, ...], key: str, rows: list[dict[str, Any]]
    ) -> None:
        raise NotImplementedError

    def _open(
        self,
        export_key: str,
        atomic: AbstractContextManager[Any],
        *,
        pbx: str,
        resume: bool,
        legs_only: bool,
    ) -> None:
        """Create the tables (inside ``atomic``) and read this export's checkpoint."""
        self.key = export_key
        self.pbx = pbx
        self.legs_only = legs_only
        with atomic:
            self.db.execute(self._ddl("calls", CALL_TABLE_COLUMNS, "call_id"))
            self.db.execute(self._ddl("call_legs", LEG_COLUMNS, "segment_id"))
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS tcx_export_checkpoints "
                f"(export_key {self.key_type} PRIMARY KEY, state {self.state_type} NOT NULL)"
            )
            self.db.execute("CREATE INDEX IF NOT EXISTS call_legs_call ON call_legs (pbx, call_id)")
            row = self.db.execute(
                f"SELECT state FROM tcx_export_checkpoints WHERE export_key = {self.mark}",
                (export_key,),
            ).fetchone()
        self._state = self.decode(row[0]) if row and resume else None
        self.changes = 0
        self._pending: list[dict[str, Any]] = []

    def checkpoint(self) -> dict[str, Any] | None:
        return self._state

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._pending.extend(rows)

    def _write_window(self, checkpoint: dict[str, Any]) -> None:
        """Upsert the held rows and the checkpoint (the caller holds the transaction)."""
        if self.legs_only:
            self._upsert("call_legs", LEG_COLUMNS, "segment_id", self._pending)
        else:
            self._upsert("calls", CALL_TABLE_COLUMNS, "call_id", self._pending)
            legs = [leg for call in self._pending for leg in call["legs"]]
            self._upsert("call_legs", LEG_COLUMNS, "segment_id", legs)
        self.db.execute(
            "INSERT INTO tcx_export_checkpoints (export_key, state) "
            f"VALUES ({self.mark}, {self.mark}) "
            "ON CONFLICT (export_key) DO UPDATE SET state = excluded.state",
            (self.key, json.dumps(checkpoint)),
        )

    def _committed(self, checkpoint: dict[str, Any]) -> None:
        self._pending = []
        self._state = checkpoint
