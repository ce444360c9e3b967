"""Where the backup and recordings operators write: a storage target of :mod:`tcxkit.storage`.

The target is the same text ``3cx backup run --to`` and ``3cx recording archive --into``
take (a folder, ``sftp://user@host/folder``, ``s3://bucket/prefix``) and is a templated
field, so it is stored with the rendered task and shown in the UI: it must never hold a
credential, and :func:`tcxkit.storage.open_storage` refuses one that does. Credentials
come, as for the CLI, from the worker's environment (``TCX_SFTP_PASSWORD``,
``TCX_SFTP_KEY_FILE``, ``AWS_ACCESS_KEY_ID``...) or, on a cluster, from an Airflow
connection (``storage_conn_id``) whose extra names the same variables -- each value is
registered with Airflow's secrets masker before the store is opened.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ConfigurationError
from ._compat import BaseHook, BaseOperator
from .hooks import ThreeCXHook
from .pools import ConnectionPool, pool_for

if TYPE_CHECKING:
    from ..client import AsyncClient
    from ..storage import StoreLane

__all__ = ["StoreOperator", "opened_target", "storage_env"]

T = TypeVar("T")


def storage_env(conn_id: str) -> dict[str, str]:
    """The store variables of connection ``conn_id``'s extra, each masked in task logs.

    Fails closed: a name that is not a variable the stores read
    (:data:`tcxkit.storage.VARIABLES`) is refused, with the list: a typo would otherwise
    quietly fall back to the worker's own credentials."""
    from airflow.sdk.log import mask_secret

    from ..storage import VARIABLES

    conn = BaseHook.get_connection(conn_id)
    extras: dict[str, Any] = dict(conn.extra_dejson or {})
    wrong = sorted(str(name) for name in extras if name not in VARIABLES)
    if wrong:
        raise ConfigurationError(
            f"Connection {conn_id!r}: extra {', '.join(map(repr, wrong))} is not a storage "
            "variable.",
            hint="The extra holds only the variables the stores read: "
            + ", ".join(sorted(VARIABLES))
            + " (docs/airflow.md).",
        )
    env = {str(name): str(value) for name, value in extras.items() if value not in (None, "")}
    for value in env.values():
        mask_secret(value)
    return env


@contextmanager
def opened_target(target: str, storage_conn_id: str | None) -> Iterator[StoreLane]:
    """The store ``target`` names, as the lane the core's coroutines write through; closed
    afterwards."""
    from ..storage import StoreLane, open_storage

    env = dict(os.environ)
    if storage_conn_id:
        env.update(storage_env(storage_conn_id))
    store = open_storage(target, env)
    try:
        yield StoreLane(store)
    finally:
        store.close()


class StoreOperator(ConnectionPool, BaseOperator):
    """What the backup and recordings operators share: one PBX, one store target.

    :param target: a folder, ``sftp://user@host[:port]/folder`` or ``s3://bucket[/prefix]``
        (a credential in it is refused); the PBX's objects go under ``<connection id>/``.
    :param storage_conn_id: a connection whose extra holds the store's variables
        (``TCX_SFTP_PASSWORD``, ``AWS_SECRET_ACCESS_KEY``...); default (or empty): the
        environment. Templated, like the PBX's connection id: a DAG param can name it.
    :param threecx_conn_id: the ``threecx`` connection of the PBX (also its name in the store).
    """

    template_fields: Sequence[str] = ("threecx_conn_id", "target", "storage_conn_id")
    ui_color = "#e6f2ff"

    def __init__(
        self,
        *,
        target: str,
        threecx_conn_id: str = ThreeCXHook.default_conn_name,
        storage_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        pool_for(kwargs, threecx_conn_id)
        super().__init__(**kwargs)
        self.target = target
        self.threecx_conn_id = threecx_conn_id
        self.storage_conn_id = storage_conn_id

    def into_store(self, work: Callable[[AsyncClient, StoreLane], Awaitable[T]]) -> tuple[T, str]:
        """``await work(client, lane)`` with the PBX's client and the opened target; returns
        its result and where the store is (for messages, never a secret)."""
        with opened_target(self.target, self.storage_conn_id) as lane:
            hook = ThreeCXHook(threecx_conn_id=self.threecx_conn_id)
            return hook.run_async(lambda client: work(client, lane)), lane.store.where

    @property
    def progress(self) -> Callable[[str, str], None]:
        """The core's ``progress(pbx, message)`` as lines of the task's log."""
        return lambda pbx, message: self.log.info("%s: %s", pbx, message)
