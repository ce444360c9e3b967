"""``ThreeCXHook``: a tcxkit ``Client`` built from an Airflow ``threecx`` connection.

Why clients are cached at module level: 3CX keeps only one access token per API client
active, and many token requests in a short time can trip its lock-out. Every hook in a worker
process that targets the same PBX and client id therefore shares one ``Client`` (and so one
token); across processes and hosts the connection's token store shares it (by default an
Airflow Variable, see :mod:`tcxkit.airflow.token_store`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ..config import FALSE_WORDS, TRUE_WORDS, parse_bool, tls_verify
from ..errors import ConfigurationError, TcxError
from ..results import require_file
from ._compat import BaseHook

if TYPE_CHECKING:
    from ..client import AsyncClient, Client

T = TypeVar("T")

__all__ = ["ThreeCXHook", "clear_client_cache", "connection_settings"]


_CLIENTS: dict[tuple[str, str], tuple[str, Client]] = {}
_LOCK = threading.Lock()


def clear_client_cache() -> None:
    """Close and forget every cached client (tests; or after rotating an API key)."""
    with _LOCK:
        clients = [client for _, client in _CLIENTS.values()]
        _CLIENTS.clear()
    for client in clients:
        client.close()


def _extra(extras: dict[str, Any], name: str) -> Any:
    """An extra by plain name, or by the ``extra__threecx__name`` form older UIs saved."""
    if name in extras and extras[name] not in (None, ""):
        return extras[name]
    return extras.get(f"extra__threecx__{name}")


def _as_bool(value: Any, field: str, conn_id: str) -> bool:
    """One boolean reader for every face (:func:`tcxkit.config.parse_bool`)."""
    return parse_bool(value, f"Connection {conn_id!r}: extra {field!r}")


def _base_url(conn: Any, extras: dict[str, Any]) -> str:
    """The PBX root URL from ``extra.base_url``, or the host field (with scheme/port if given)."""
    conn_id = conn.conn_id
    raw = _extra(extras, "base_url") or (conn.host or "").strip()
    if not raw:
        raise ConfigurationError(
            f"Connection {conn_id!r} has no Base URL.",
            hint="Set the host field to the PBX address, e.g. https://pbx.example.com:5001.",
        )
    if "://" not in raw:
        scheme = conn.schema if conn.schema in ("http", "https") else None
        scheme = scheme or _extra(extras, "scheme") or "https"
        raw = f"{scheme}://{raw}"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"Connection {conn_id!r}: Base URL {raw!r} is not an http(s) address.",
            hint="Use the form https://pbx.example.com[:port].",
        )
    netloc = parts.netloc
    if conn.port and parts.port is None:
        netloc = f"{netloc}:{conn.port}"
    path = parts.path.rstrip("/")
    if path.lower().endswith("/xapi/v1"):  # people paste the API root; the client adds it
        path = path[: -len("/xapi/v1")]
    return f"{parts.scheme}://{netloc}{path}"


def connection_settings(conn: Any) -> dict[str, Any]:
    """Client keyword arguments from an Airflow connection (no secret is logged or returned twice).

    Raises ``ConfigurationError`` naming the connection and the missing or bad field.
    """
    extras: dict[str, Any] = dict(conn.extra_dejson or {})
    conn_id = conn.conn_id
    if not conn.login:
        raise ConfigurationError(
            f"Connection {conn_id!r} has no Client ID.",
            hint="Set the login field to the client id of the 3CX API client (Admin > Integrations > API).",
        )
    if not conn.password:
        raise ConfigurationError(
            f"Connection {conn_id!r} has no API key.",
            hint="Set the password field to the API key shown when the 3CX API client was created.",
        )
    verify_tls = _extra(extras, "verify_tls")
    insecure = verify_tls is not None and not _as_bool(verify_tls, "verify_tls", conn_id)
    ca_bundle = _extra(extras, "ca_bundle")
    if ca_bundle and not insecure and not Path(ca_bundle).is_file():
        raise ConfigurationError(
            f"Connection {conn_id!r}: CA bundle {ca_bundle!r} does not exist.",
            hint="Give the path of a PEM file readable by the Airflow workers.",
        )
    verify = tls_verify(
        configured_insecure=insecure, configured_ca=str(ca_bundle) if ca_bundle else None
    )
    settings: dict[str, Any] = {
        "base_url": _base_url(conn, extras),
        "client_id": conn.login,
        "client_secret": conn.password,
        "release": str(_extra(extras, "release") or "auto"),
        "verify": verify,
    }
    timeout = _extra(extras, "timeout")
    if timeout is not None:
        try:
            settings["timeout"] = float(timeout)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"Connection {conn_id!r}: extra 'timeout' must be a number of seconds, got {timeout!r}.",
            ) from None
    allow_http = _extra(extras, "allow_http")
    if allow_http is not None:  # plain http:// to a host other than the worker (tcxkit.urls)
        settings["allow_http"] = _as_bool(allow_http, "allow_http", conn_id)
    settings["token_cache"] = _token_store(extras, conn_id)
    return settings


TOKEN_STORES = ("airflow", "file", "none")


def _token_store(extras: dict[str, Any], conn_id: str) -> Any:
    """The client's ``token_cache`` from the ``token_store`` and ``token_cache`` extras.

    ``airflow`` (the default) shares the token through an Airflow Variable, which every
    worker of the deployment reaches; ``file`` keeps it in a per-host cache directory
    (``token_cache`` names it; needs a disk shared by all workers to be one token per
    cluster); ``none`` keeps it in the task's memory. A ``token_cache`` directory or
    ``false`` given without ``token_store`` keeps its old meaning (file / none).
    """
    store = _extra(extras, "token_store")
    token_cache = _extra(extras, "token_cache")
    cache: bool | str = True
    if token_cache is not None:
        text = str(token_cache).strip().lower()
        cache = (
            _as_bool(token_cache, "token_cache", conn_id)
            if isinstance(token_cache, bool) or text in TRUE_WORDS | FALSE_WORDS
            else str(token_cache)
        )
    if store is None:
        store = "airflow" if token_cache is None or cache is True else "file"
    store = str(store).strip().lower()
    if store not in TOKEN_STORES:
        raise ConfigurationError(
            f"Connection {conn_id!r}: extra 'token_store' must be one of "
            f"{', '.join(TOKEN_STORES)}, got {store!r}.",
            hint="'airflow' shares one token across all workers (the default).",
        )
    if store == "airflow":
        from .token_store import AirflowTokenStore

        return AirflowTokenStore()
    if store == "none" or cache is False:
        return False
    return cache


def _fingerprint(settings: dict[str, Any]) -> str:
    """A digest of everything but the cache key, so a changed secret or option builds anew."""
    text = repr(sorted((k, repr(v)) for k, v in settings.items()))
    return hashlib.sha256(text.encode()).hexdigest()


class ThreeCXHook(BaseHook):
    """Talks to a 3CX PBX through the ``threecx`` connection ``threecx_conn_id``.

    ``get_conn()`` returns a :class:`tcxkit.Client` shared by every hook of this process that
    uses the same PBX and client id. Use it for anything: ``hook.get_conn().call("ListUser")``.
    """

    conn_name_attr = "threecx_conn_id"
    default_conn_name = "threecx_default"
    conn_type = "threecx"
    hook_name = "3CX"

    def __init__(self, threecx_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threecx_conn_id = threecx_conn_id

    def settings(self) -> dict[str, Any]:
        """Client settings read from the connection (raises ``ConfigurationError``)."""
        return connection_settings(self.get_connection(self.threecx_conn_id))

    def get_conn(self) -> Client:
        """The shared client for this connection; built on first use."""
        from ..client import Client

        settings = self.settings()
        key = (settings["base_url"], settings["client_id"])
        fingerprint = _fingerprint(settings)
        stale: Client | None = None
        with _LOCK:
            cached = _CLIENTS.get(key)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            if cached is not None:
                stale = cached[1]
            client = Client(**settings)
            _CLIENTS[key] = (fingerprint, client)
        if stale is not None:
            stale.close()
        return client

    def run_async(self, work: Callable[[AsyncClient], Awaitable[T]], **client_args: Any) -> T:
        """``await work(client)`` on one ``AsyncClient`` of this connection, from a sync task.

        For the operators that run a core coroutine on one PBX (backups, exports,
        recordings): one client and one event loop for the task, through the core's one
        sync bridge (:mod:`tcxkit.fleet.bridge`). ``client_args`` override the connection's
        settings (an export runs with ``retries=0``: it shrinks its window instead).
        """
        from ..client import AsyncClient
        from ..fleet.bridge import run_sync

        settings = {**self.settings(), **client_args}

        async def run() -> T:
            async with AsyncClient(**settings) as client:
                return await work(client)

        return run_sync(run)

    def call(self, action: str, **params: Any) -> Any:
        """Shortcut for ``get_conn().call(action, **params)``."""
        return self.get_conn().call(action, **params)

    def download_link(self, link: str, output_path: str) -> dict[str, Any]:
        """Download a PBX-relative link (a backup's ``DownloadLink``) to ``output_path``.

        XAPI has no operation for backup files; the listing gives a link under the PBX root
        that takes the same bearer token. The token is only ever sent to the PBX's own host.
        Returns the same summary as a file download by the operator.
        """
        client = self.get_conn()
        target = Path(output_path).resolve()
        result = require_file(  # task retries re-run
            client.download_url(link, target, overwrite=True), "the backup download link"
        )
        content_type = result.content_type
        size = target.stat().st_size
        self.log.info("Downloaded %s (%d bytes) to %s", link, size, target)
        return {
            "path": str(target),
            "count": 1,
            "format": "file",
            "bytes": size,
            "content_type": content_type,
            "filename": Path(urlsplit(link).path).name or None,
        }

    def test_connection(self) -> tuple[bool, str]:
        """Fetch a token now; Airflow's UI and ``airflow connections test`` show the result."""
        try:
            client = self.get_conn()
            client.authenticate()
        except TcxError as exc:
            return False, str(exc)
        version = getattr(client, "pbx_version", None)
        suffix = f" (3CX {version})" if version else ""
        return True, f"Authenticated to {client_base_url(client)}{suffix}."


def client_base_url(client: Any) -> str:
    """The base URL a client talks to, for messages (never includes credentials)."""
    return str(getattr(client, "base_url", "") or "the PBX")
