"""Which PBX a command talks to, and the client that talks to it.

Order: the selected profile (``--profile``, else ``$TCX_PROFILE``, else the
current one), with ``TCX_URL``/``TCX_CLIENT_ID``/``TCX_CLIENT_SECRET``
overriding its fields; environment variables alone when there is no profile;
the built-in emulator when there is neither.  The client library is imported
here only, so help and discovery never pay for httpx.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import env_text, tls_verify
from ..errors import ConfigurationError
from ..urls import check_url
from .profiles import get_secret, load_config
from .release import choose_release
from .runopts import Options

if TYPE_CHECKING:
    from ..client import AsyncClient, Client

__all__ = ["Connection", "Options", "make_async_client", "make_client", "resolve"]

EMBEDDED_NOTE = (
    "3cx: no PBX configured, using the built-in emulator at {url} (data in {db}).\n"
    "     It keeps running in the background and {stops}; `3cx emulator stop` stops it now.\n"
    "     Connect a real PBX with `3cx login`, or set TCX_URL, TCX_CLIENT_ID and "
    "TCX_CLIENT_SECRET."
)
#: Later runs, while it keeps running: one line, still naming the way out.
EMBEDDED_REUSED = (
    "3cx: using the built-in emulator at {url} (no PBX configured; {stops}; "
    "`3cx emulator stop` stops it)."
)


@dataclass
class Connection:
    url: str
    client_id: str
    client_secret: str
    source: str  # "env", "profile NAME", "embedded"
    version: str = "auto"
    verify: bool | str = True
    profile: str | None = None  # the profile's name, when one gave the settings

    def describe(self) -> str:
        return f"{self.url} as {self.client_id!r} ({self.source})"


_env = env_text


def resolve(opts: Options, *, announce: bool = True, start: bool = True) -> Connection:
    """Settings for this run; starts the embedded emulator when nothing is configured.

    ``start=False`` (``--dry-run``) never starts it: the URL is the running
    one's, or a placeholder.
    """
    from .settings import settle

    settle(opts)
    url, cid, secret = _env("TCX_URL"), _env("TCX_CLIENT_ID"), _env("TCX_CLIENT_SECRET")
    name = opts.profile
    cfg = load_config()
    if name is None and cfg.current in cfg.profiles:
        name = cfg.current
    prof = cfg.require(name) if name else None

    version = choose_release(opts.release, prof)
    if prof is not None:
        url = url or prof.url
        cid = cid or prof.client_id
        if secret is None:
            secret = get_secret(prof)
        source = f"profile {prof.name!r}" + (" + environment" if _env("TCX_URL") else "")
    elif url or cid or secret:
        source = "environment"
    else:
        return _embedded(opts, version, announce, start)

    verify = tls_verify(
        insecure=opts.insecure,
        ca_bundle=opts.ca_bundle,
        configured_insecure=bool(prof and prof.insecure),
        configured_ca=prof.ca_bundle if prof else None,
    )
    missing = [
        var
        for var, value in (
            ("TCX_URL", url),
            ("TCX_CLIENT_ID", cid),
            ("TCX_CLIENT_SECRET", secret),
        )
        if not value
    ]
    if missing:
        where = f"profile {prof.name!r}" if prof else "the environment"
        raise ConfigurationError(
            f"Incomplete connection settings in {where}: missing {', '.join(missing)}.",
            hint="Set the missing variables, or store a profile with `3cx login` "
            "(the API key is then kept in the keyring, never on the command line).",
        )
    assert url and cid and secret
    check_url(url, allow_http=opts.allow_http, where=f"{source}: ")
    profile = prof.name if prof else None
    return Connection(url.rstrip("/"), cid, secret, source, version, verify, profile)


def _embedded(opts: Options, version: str, announce: bool, start: bool = True) -> Connection:
    from .embedded import CLIENT_ID, ensure_running, running_state, stops_text

    if not start:
        found = running_state()
        url = found.url if found else "<built-in emulator>"
        return Connection(url, CLIENT_ID, "", "embedded emulator", version, True)
    state, started = ensure_running()
    if announce:
        stops = stops_text(state)
        note = EMBEDDED_NOTE if started else EMBEDDED_REUSED
        print(note.format(url=state.url, db=state.db, stops=stops), file=sys.stderr)
    return Connection(
        state.url, state.client_id, state.client_secret, "embedded emulator", version, True
    )


def enable_debug_logging() -> None:
    """``--debug``: HTTP lines from logger ``tcxkit.http`` on stderr (redacted by the client)."""
    logger = logging.getLogger("tcxkit.http")
    if any(getattr(h, "_tcx_cli", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    handler._tcx_cli = True  # type: ignore[attr-defined]
    handler._tcx_level = logger.level  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def disable_debug_logging() -> None:
    """End of a run: the handler holds that run's stderr, so it goes (and the level returns)."""
    logger = logging.getLogger("tcxkit.http")
    for handler in [h for h in logger.handlers if getattr(h, "_tcx_cli", False)]:
        logger.removeHandler(handler)
        logger.setLevel(handler._tcx_level)  # type: ignore[attr-defined]


def _client_args(conn: Connection, opts: Options) -> tuple[tuple[Any, ...], dict[str, Any]]:
    from .settings import settle

    settle(opts)
    if opts.debug:
        enable_debug_logging()
    # Plain http needs no certificates; skipping them saves loading the CA bundle.
    verify = False if conn.url.startswith("http://") else conn.verify  # see tls_verify
    args = (conn.url, conn.client_id, conn.client_secret)
    return args, {
        "release": conn.version,
        "timeout": opts.timeout,
        "verify": verify,
        "allow_http": opts.allow_http,
    }


def make_client(conn: Connection, opts: Options, **extra: Any) -> Client:
    from ..client import Client  # imports httpx without its command line (tcxkit._httpx)

    args, kwargs = _client_args(conn, opts)
    return Client(*args, **kwargs, **extra)


def make_async_client(conn: Connection, opts: Options, **extra: Any) -> AsyncClient:
    """The same connection for commands that run coroutines (``3cx state``)."""
    from ..client import AsyncClient

    args, kwargs = _client_args(conn, opts)
    return AsyncClient(*args, **kwargs, **extra)
