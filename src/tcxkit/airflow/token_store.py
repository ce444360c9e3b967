"""``AirflowTokenStore``: one 3CX token for every worker of an Airflow deployment.

A PBX keeps one active token per API client, so workers on different hosts that each keep
their own token cache revoke each other's token all day. They share no disk, but they all
reach Airflow's API server: this store keeps the token entry in an Airflow Variable
(``tcxkit_token_<key>``, written through the Task SDK, Fernet-encrypted at rest when the
deployment has a Fernet key, and masked in task logs because its name says "token").

The store only loads, saves and locks. What makes workers converge is in the core
(:mod:`tcxkit.flow`): a 401 re-reads the store and adopts a newer token before fetching,
and a replacement is spaced from the last fetch the entry records. Variables have no
atomic update, so the lock is a :class:`~tcxkit.auth.LeaseLock` on a second Variable.

When the API server cannot be reached (or the code runs outside a task, e.g. a "Test"
button in the UI), the store says so once in the log and the client fetches a token as it
would without a store; no message ever includes the token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..auth import LeaseLock

__all__ = ["AirflowTokenStore", "variable_name"]

log = logging.getLogger("tcxkit.airflow.token_store")

PREFIX = "tcxkit_token_"
_DESCRIPTION = "tcxkit: the 3CX API token shared by this deployment's workers (do not edit)"


def variable_name(key: str, suffix: str = "") -> str:
    """The Variable holding the entry of one PBX + credentials (the key holds no secret)."""
    return f"{PREFIX}{key}{suffix}"


def _mask(entry: Mapping[str, Any]) -> None:
    """Register the token with Airflow's log masker before anything could print it."""
    token = entry.get("access_token")
    if isinstance(token, str) and token:
        from airflow.sdk.log import mask_secret

        mask_secret(token)


class AirflowTokenStore:
    """A :class:`~tcxkit.auth.TokenStore` on Airflow Variables (Task SDK, Airflow 3)."""

    def __init__(self, *, lease_ttl: float = 15.0, settle: float = 0.25) -> None:
        self.lease_ttl = lease_ttl
        self.settle = settle
        self.failures = 0  # how many reads/writes failed (the first one is logged as a warning)

    def __repr__(self) -> str:  # stable: the hook's client cache compares settings by repr
        return "AirflowTokenStore()"

    # -- Variable access -----------------------------------------------------
    def _get(self, name: str) -> dict[str, Any] | None:
        from airflow.sdk import Variable

        try:  # a cached value would hide the newer token another worker just saved
            from airflow.sdk.execution_time.cache import SecretCache

            SecretCache.invalidate_variable(name)
        except Exception:  # no cache to invalidate on this Airflow
            pass
        raw = Variable.get(name, default=None)
        if raw in (None, ""):
            return None
        data = json.loads(raw) if isinstance(raw, str) else raw
        return data if isinstance(data, dict) else None

    def _set(self, name: str, value: Mapping[str, Any]) -> None:
        from airflow.sdk import Variable

        Variable.set(name, json.dumps(dict(value)), description=_DESCRIPTION)

    def _unreachable(self, doing: str, exc: BaseException, secret: str | None = None) -> None:
        self.failures += 1
        reason = str(exc).replace(secret, "***") if secret else str(exc)
        level = logging.WARNING if self.failures == 1 else logging.DEBUG
        log.log(
            level,
            "tcxkit: the Airflow token store could not %s (%s: %s); going on without it "
            "(a token is fetched from the PBX if needed, which may replace other workers' token)",
            doing,
            type(exc).__name__,
            reason[:200],
        )

    # -- TokenStore ----------------------------------------------------------
    def load(self, key: str) -> dict[str, Any] | None:
        try:
            entry = self._get(variable_name(key))
        except Exception as exc:
            self._unreachable("be read", exc)
            return None
        if entry:
            _mask(entry)
        return entry

    def save(self, key: str, entry: Mapping[str, Any]) -> None:
        secret = entry.get("access_token") if isinstance(entry.get("access_token"), str) else None
        try:
            _mask(entry)
            self._set(variable_name(key), entry)
        except Exception as exc:
            self._unreachable("be written", exc, secret)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        name = variable_name(key, "_lock")
        lease = LeaseLock(
            lambda: self._get(name),
            lambda value: self._set(name, value),
            ttl=self.lease_ttl,
            settle=self.settle,
        )
        with lease.held() as had:
            if not had:
                log.warning("tcxkit: no cluster-wide token lock to be had; fetching without it")
            yield
