"""Call records into a warehouse, one data interval per run: ``ThreeCXCallsExportOperator`` (#25).

Each task exports the calls that began in its run's data interval
``[data_interval_start, data_interval_end)`` with the engine of ``3cx calls export``
(:mod:`tcxkit.exports`): window by window, each window proven whole against the PBX's own
count, late legs of a call begun in the interval followed past its end. Consecutive runs
therefore cover the timeline without gap or overlap: a call belongs to the interval its
first leg began in, and to no other.

Idempotent: into PostgreSQL (or SQLite) rows are upserted on ``(pbx, call_id)`` /
``(pbx, segment_id)`` and rewritten only when a value differs, so a re-run of the same
interval changes no row (the XCom value counts ``changed`` rows) and a re-run after the
PBX corrected a call rewrites just that call. ``resume=True`` continues a failed try from
the last window it committed instead of reading the interval again.

The PostgreSQL password never goes into a templated field: give ``into`` without one (the
worker's ``PGPASSWORD`` or ``~/.pgpass`` supplies it), or name an Airflow Postgres
connection (``postgres_conn_id``), whose password goes to the driver only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import UsageError
from ._compat import BaseHook, BaseOperator
from .errors import translate_errors
from .hooks import ThreeCXHook
from .intervals import data_interval
from .pools import ConnectionPool, pool_for

__all__ = ["ThreeCXCallsExportOperator", "postgres_target"]

#: libpq settings an Airflow Postgres connection's extra may carry into the URL.
_LIBPQ_EXTRAS = ("sslmode", "sslrootcert", "connect_timeout", "application_name")


def postgres_target(conn_id: str) -> tuple[str, str | None]:
    """``(url, password)`` of an Airflow Postgres connection: the URL without the password."""
    conn = BaseHook.get_connection(conn_id)
    if not conn.host:
        raise UsageError(
            f"Connection {conn_id!r} has no host.",
            hint="Set the host (and schema = the database) of the Postgres connection.",
        )
    user = f"{quote(conn.login, safe='')}@" if conn.login else ""
    port = f":{conn.port}" if conn.port else ""
    extras = dict(conn.extra_dejson or {})
    query = urlencode({k: extras[k] for k in _LIBPQ_EXTRAS if extras.get(k) not in (None, "")})
    url = f"postgresql://{user}{conn.host}{port}/{quote(conn.schema or '', safe='')}"
    return (f"{url}?{query}" if query else url), (conn.password or None)


class ThreeCXCallsExportOperator(ConnectionPool, BaseOperator):
    """Export the calls (or legs) begun in the run's data interval into a database or file.

    :param into: ``postgresql://USER@HOST[:PORT]/DB`` (no password), ``sqlite:///PATH``, a
        file (``cdr/{{ ds }}.jsonl``, ``.csv``) or ``DIR.parquet``; or leave it out and
        give ``postgres_conn_id``.
    :param postgres_conn_id: an Airflow Postgres connection to export into.
    :param legs: raw legs (table ``call_legs`` only) instead of calls.
    :param tz: IANA zone of the ``start_local`` column (default: the PBX's own).
    :param cap: the PBX's report cap; ``window``: first window's length, seconds.
    :param resume: continue from this interval's checkpoint (a failed try) rather than
        read it again.
    :param pbx: the PBX's name in the ``pbx`` column (default: the connection id).
    :param output_format: ``jsonl``, ``csv`` or ``parquet`` for a file ``into``; None (the
        default) takes it from the name (``.csv``, ``.parquet``; else jsonl). A database
        target takes none (the same rule as ``3cx calls export -o``).
    :param threecx_conn_id: the ``threecx`` connection of the PBX.
    """

    template_fields: Sequence[str] = ("threecx_conn_id", "into", "pbx")
    ui_color = "#e6f2ff"

    def __init__(
        self,
        *,
        into: str | None = None,
        postgres_conn_id: str | None = None,
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        legs: bool = False,
        tz: str | None = None,
        cap: int = 20000,
        window: int = 3600,
        resume: bool = False,
        pbx: str | None = None,
        output_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        pool_for(kwargs, threecx_conn_id)
        super().__init__(**kwargs)
        if (into is None) == (postgres_conn_id is None):
            raise UsageError(
                f"{kwargs.get('task_id')}: give exactly one of into= and postgres_conn_id=.",
                hint="into='postgresql://cdr@db/cdr' (password from PGPASSWORD or ~/.pgpass), "
                "or postgres_conn_id='warehouse'.",
            )
        self.into = into
        self.postgres_conn_id = postgres_conn_id
        self.threecx_conn_id = threecx_conn_id
        self.legs, self.tz, self.cap, self.window = legs, tz, cap, window
        self.resume = resume
        self.pbx = pbx
        self.output_format = output_format

    def execute(self, context: Any) -> dict[str, Any]:
        from ..exports import ExportSpec, export_async, open_sink

        pbx = self.pbx or self.threecx_conn_id
        with translate_errors():
            start, end = data_interval(self.task_id, context)
            spec = ExportSpec(start, end, legs=self.legs, tz=self.tz, cap=self.cap,
                              window=self.window, pbx=pbx)  # fmt: skip
            into, password = (
                postgres_target(self.postgres_conn_id)
                if self.postgres_conn_id
                else (self.into, None)
            )
            sink = open_sink(into, fmt=self.output_format, legs_only=self.legs,
                             resume=self.resume, export_key=spec.key(), pbx=pbx,
                             password=password)  # fmt: skip
            try:
                # No client retries: the export answers a 504 with a smaller window.
                summary = ThreeCXHook(threecx_conn_id=self.threecx_conn_id).run_async(
                    lambda client: export_async(client, spec, sink), retries=0
                )
            finally:
                sink.close()
        changed = getattr(sink, "changes", None)
        self.log.info(
            "%s: exported %d %s (%d legs read) of %s to %s, %d windows each matched the "
            "PBX's count; %s rows changed%s.",
            pbx, summary.rows, "legs" if self.legs else "calls", summary.legs, start, end,
            summary.windows, "?" if changed is None else changed,
            " (resumed)" if summary.resumed else "",
        )  # fmt: skip
        return {
            "pbx": pbx,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "into": self.into or f"postgres connection {self.postgres_conn_id}",
            "changed": changed,
            **asdict(summary),
        }
