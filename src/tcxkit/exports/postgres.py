"""PostgreSQL output (extra ``postgres``: psycopg 3): the SQLite schema, typed, upserted.

``--into postgresql://user@host/db`` creates (if missing) the tables ``calls`` and
``call_legs`` (key: ``pbx`` + ``call_id`` / ``segment_id``) and
``tcx_export_checkpoints``, and commits each window's rows with the checkpoint in one
transaction.  A row is rewritten only when a value differs (``IS DISTINCT FROM``), so a
re-run changes no row.  Times are ``timestamptz``, lists ``jsonb``.  The password, if
any, comes from the URL's environment (``PGPASSWORD``, ``~/.pgpass``), never a command
line: a URL holding one is refused (``user:password@``, or a query's ``?password=``,
which libpq reads as well).
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import ConfigurationError, UsageError
from ..redaction import is_secret_key, redact_text
from .legs import parse_utc
from .tables import TableSink

__all__ = ["PostgresSink"]

_BIGINT = {"segment_id", "call_id"}
_INT = {"indent", "transfers", "legs_count"}
_FLOAT = {"ring_seconds", "talk_seconds", "wait_seconds", "duration_seconds"}
_TIME = {"start_utc", "end_utc"}
_JSON = {"recording_ids", "transferred_to"}


def _sql_type(column: str) -> str:
    if column in _BIGINT:
        return "bigint"
    if column in _INT:
        return "integer"
    if column in _FLOAT:
        return "double precision"
    if column in _TIME:
        return "timestamptz"
    if column in _JSON:
        return "jsonb"
    if column == "answered":
        return "boolean"
    return "text"


def _value(column: str, value: Any) -> Any:
    if column in _TIME and value is not None:
        return parse_utc(value)
    if column in _JSON:
        return json.dumps(value)
    return value


class PostgresSink(TableSink):
    """See the module docstring."""

    key_type = "text"
    state_type = "jsonb"
    mark = "%s"
    decode = staticmethod(lambda state: state)  # psycopg already decodes jsonb

    def __init__(
        self,
        url: str,
        export_key: str,
        *,
        pbx: str,
        resume: bool,
        legs_only: bool,
        password: str | None = None,
    ):
        """``password``: from a secret store (an Airflow connection), never a command line."""
        parts = urlsplit(url)
        in_query = any(is_secret_key(name) for name, _ in parse_qsl(parts.query))
        if parts.password or in_query:
            raise UsageError(
                "The PostgreSQL URL holds a password, which would show in the process list.",
                hint="Leave it out of the URL and set PGPASSWORD, or use ~/.pgpass.",
            )
        try:
            import psycopg
        except ImportError:
            raise ConfigurationError(
                "PostgreSQL output needs psycopg.",
                hint="Install the extra: pip install 'tcxkit[postgres]'.",
            ) from None
        try:
            extra = {"password": password} if password else {}
            self.db = psycopg.connect(url, autocommit=False, **extra)
        except psycopg.Error as exc:  # names host and user; the one redaction all the same
            why = redact_text(str(exc).splitlines()[0], (password or "",))
            raise UsageError(
                f"Cannot open the PostgreSQL database: {why}.",
                hint="Check the URL's host, user and database, and PGPASSWORD or ~/.pgpass.",
            ) from None
        self._open(export_key, self.db.transaction(), pbx=pbx, resume=resume, legs_only=legs_only)

    def _ddl(self, table: str, columns: tuple[str, ...], key: str) -> str:
        cols = ", ".join(f"{c} {_sql_type(c)}" for c in columns)
        return (
            f"CREATE TABLE IF NOT EXISTS {table} "
            f"(pbx text NOT NULL, {cols}, PRIMARY KEY (pbx, {key}))"
        )

    def commit(self, checkpoint: dict[str, Any]) -> None:
        with self.db.transaction():
            self._write_window(checkpoint)
        self._committed(checkpoint)

    def _upsert(
        self, table: str, columns: tuple[str, ...], key: str, rows: list[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        names = ("pbx", *columns)
        marks = ", ".join("%s" for _ in names)
        rest = [c for c in columns if c != key]
        sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
        mine = ", ".join(f"{table}.{c}" for c in rest)
        theirs = ", ".join(f"excluded.{c}" for c in rest)
        sql = (
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) "
            f"ON CONFLICT (pbx, {key}) DO UPDATE SET {sets} "
            f"WHERE ({mine}) IS DISTINCT FROM ({theirs})"
        )
        with self.db.cursor() as cur:  # pipelined by psycopg; rowcount sums the rows changed
            cur.executemany(
                sql, [[self.pbx, *(_value(c, r.get(c)) for c in columns)] for r in rows]
            )
            self.changes += max(0, cur.rowcount)

    def close(self) -> None:
        with suppress(Exception):
            self.db.close()
