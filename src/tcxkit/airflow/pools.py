"""One Airflow pool per PBX connection, so a burst of mapped tasks cannot overload a PBX.

A PBX is a phone system first: an API burst of hundreds of mapped tasks competes with calls,
and 3CX's anti-hacking protection watches request rates. So every ``ThreeCXOperator`` and
``ThreeCXSensor`` runs in the pool ``threecx_<conn_id>`` unless the DAG gives ``pool=``.

Airflow never schedules a task whose pool does not exist (the scheduler only logs "Tasks
using non-existent pool ... will not be scheduled"), so the pools must be created once per
deployment, like a connection::

    python -m tcxkit.airflow.pools threecx_default [other_conn ...] [--slots 4]
    # or: airflow pools set threecx_threecx_default 4 "3CX PBX threecx_default"

Existing pools are left at the size an operator gave them. Set
``AIRFLOW__THREECX__DEFAULT_POOL=False`` to go back to Airflow's ``default_pool``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, MutableMapping
from typing import Any

__all__ = ["DEFAULT_POOL_SLOTS", "ConnectionPool", "ensure_pools", "pool_for", "pool_name"]

DEFAULT_POOL_SLOTS = 4
"""Four concurrent calls per PBX: the emulator and a small PBX answer a call in tens of
milliseconds, so four in flight keep a PBX busy without queueing behind its call handling."""


def pool_name(conn_id: str) -> str:
    return f"threecx_{conn_id}"


def _enabled() -> bool:
    try:
        from airflow.configuration import conf

        return conf.getboolean("threecx", "default_pool", fallback=True)
    except Exception:  # no readable configuration: keep the documented default
        return True


def pool_for(kwargs: MutableMapping[str, Any], conn_id: str) -> None:
    """Give an operator's keyword arguments the connection's pool unless they name one.

    Called from ``__init__`` and from ``partial()``: a mapped task's pool is read from its
    partial arguments by the scheduler, before any operator is built.
    """
    if kwargs.get("pool") is None and _enabled():
        kwargs["pool"] = pool_name(conn_id)


class ConnectionPool:
    """Mixin of every 3CX operator and sensor: ``partial()`` gives a mapped task its
    connection's pool too (the scheduler reads a mapped task's pool from the partial
    arguments, before any operator is built; ``__init__`` covers the unmapped case)."""

    @classmethod
    def partial(cls, **kwargs: Any) -> Any:
        from .hooks import ThreeCXHook

        pool_for(kwargs, kwargs.get("threecx_conn_id") or ThreeCXHook.default_conn_name)
        return super().partial(**kwargs)  # type: ignore[misc]


def ensure_pools(conn_ids: Iterable[str], slots: int = DEFAULT_POOL_SLOTS) -> list[str]:
    """Create the missing ``threecx_<conn_id>`` pools (a deployment step: needs the
    metadata database, as ``airflow pools set`` does); returns the names created."""
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    created = []
    with create_session() as session:
        for conn_id in conn_ids:
            name = pool_name(conn_id)
            if session.query(Pool).filter(Pool.pool == name).first() is None:
                session.add(
                    Pool(
                        pool=name,
                        slots=slots,
                        description=f"3CX PBX of connection {conn_id!r} (tcxkit)",
                        include_deferred=False,
                    )
                )
                created.append(name)
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tcxkit.airflow.pools",
        description="Create the Airflow pool threecx_<conn_id> for each 3CX connection.",
    )
    parser.add_argument("conn_ids", nargs="*", default=["threecx_default"])
    parser.add_argument("--slots", type=int, default=DEFAULT_POOL_SLOTS)
    args = parser.parse_args(argv)
    if args.slots < 1:
        parser.error("--slots must be at least 1")
    created = set(ensure_pools(args.conn_ids, args.slots))
    for conn_id in args.conn_ids:
        name = pool_name(conn_id)
        print(
            f"{name}: {'created with ' + str(args.slots) + ' slots' if name in created else 'exists'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
