"""Which PBX a run talks to, and the client arguments that reach it.

Order: the selected name (``Options.profile``: ``--profile``/``--pbx``, else
``$TCX_PROFILE``, else ``[defaults] profile``, else the current profile) -- a
profile, with ``TCX_URL``/``TCX_CLIENT_ID``/``TCX_CLIENT_SECRET`` overriding its
fields, or a PBX of the inventory (the ``--inventory`` file first, then the
profiles, then ``fleet.toml``), taken as its entry says, since an inherited
``TCX_URL`` must not receive that PBX's key; environment variables alone when
nothing is selected; else the caller's ``fallback`` (the CLI's built-in
emulator), or an error that says how to configure one.  Every face connects
through :func:`resolve` and :func:`client_args`, so a setting means the same
to ``3cx``, ``3cx mcp``, a fleet and Python.  The client library is imported
only by :func:`make_client`, so help and discovery never pay for httpx.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..urls import check_url
from .defaults import settle
from .options import Options
from .profiles import get_secret, load_config
from .settings import env_text, tls_verify

if TYPE_CHECKING:
    from ..client import AsyncClient, Client

__all__ = [
    "Connection",
    "choose_release",
    "client_args",
    "disable_debug_logging",
    "enable_debug_logging",
    "make_async_client",
    "make_client",
    "resolve",
    "stored_release",
]


@dataclass
class Connection:
    url: str
    client_id: str
    client_secret: str
    source: str  # "environment", "profile NAME", "inventory PBX NAME", "embedded emulator"
    version: str = "auto"
    verify: bool | str = True
    profile: str | None = None  # the profile's or inventory PBX's name, when one was chosen
    #: Plain ``http://`` off this machine allowed by the inventory (``insecure_http``).
    allow_http: bool = False

    def describe(self) -> str:
        return f"{self.url} as {self.client_id!r} ({self.source})"


#: What to connect to when nothing is configured: ``fallback(opts, version)``.
Fallback = Callable[[Options, str], Connection]


def choose_release(explicit: str | None, stored: str | None) -> str:
    """The release asked for: flag or ``TCX_RELEASE``, then the stored one, then ``auto``."""
    chosen = explicit or os.environ.get("TCX_RELEASE") or None
    if (not chosen or chosen == "auto") and stored:
        return stored
    return chosen or "auto"


@dataclass(frozen=True)
class _Chosen:
    """A named PBX's stored settings, whether a profile or an inventory entry gave them."""

    name: str
    source: str
    url: str
    client_id: str
    release: str
    ca_bundle: str | None
    insecure: bool
    secret: Callable[[], str | None]
    insecure_http: bool = False
    inventory: bool = False  # an inventory entry (not a profile): TCX_* do not override it


def _choose(opts: Options, name: str) -> _Chosen:
    """The profile or inventory PBX called ``name`` (see the module docstring's order)."""
    from .targets import inventory_path, inventory_target, secret_for

    cfg = load_config()
    _, explicit = inventory_path(opts)
    target, names = inventory_target(opts, name) if explicit else (None, [])
    prof = cfg.profiles.get(name) if target is None else None
    if prof is not None:
        return _Chosen(
            prof.name,
            f"profile {prof.name!r}",
            prof.url,
            prof.client_id,
            prof.version,
            prof.ca_bundle,
            prof.insecure,
            lambda: get_secret(prof),
        )
    if target is None and not explicit:
        target, names = inventory_target(opts, name)
    if target is None:
        profiles = ", ".join(sorted(cfg.profiles)) or "none"
        pbxs = ", ".join(names) or "none"
        raise ConfigurationError(
            f"No profile or inventory PBX named {name!r} (profiles: {profiles}; "
            f"inventory: {pbxs}).",
            hint=f"Create it with `3cx login --name {name}`, list them with "
            "`3cx profiles list` and `3cx fleet list`, or name the inventory with --inventory.",
        )
    found = target
    return _Chosen(
        found.name,
        f"inventory PBX {found.name!r}",
        found.url,
        found.client_id,
        found.release,
        found.ca_bundle,
        found.insecure,
        lambda: secret_for(found),
        found.insecure_http,
        inventory=True,
    )


def stored_release(opts: Options) -> str | None:
    """The release stored with the PBX this run names (a profile's ``version``, an
    inventory entry's ``release``), for building the command tree before connecting.

    A name that names nothing (or a broken file) gives None here; :func:`resolve`
    reports it when the run connects.
    """
    try:
        cfg = load_config()
        name = (
            opts.profile
            or env_text("TCX_PROFILE")
            or cfg.defaults.get("profile")
            or (cfg.current if cfg.current in cfg.profiles else None)
        )
        return _choose(opts, name).release if name else None
    except ConfigurationError:
        return None


def resolve(
    opts: Options, *, fallback: Fallback | None = None, output_formats: tuple[str, ...] = ()
) -> Connection:
    """Settings for this run (see the module docstring); nothing is started or sent."""
    settle(opts, output_formats)
    url, cid, secret = env_text("TCX_URL"), env_text("TCX_CLIENT_ID"), env_text("TCX_CLIENT_SECRET")
    name = opts.profile
    if name is None:
        cfg = load_config()
        name = cfg.current if cfg.current in cfg.profiles else None
    chosen = _choose(opts, name) if name else None

    version = choose_release(opts.release, chosen.release if chosen else None)
    if chosen is not None and chosen.inventory:
        # The inventory entry is the whole truth: an inherited TCX_URL must never send
        # this PBX's key (or its requests) somewhere else.
        url, cid, secret, source = chosen.url, chosen.client_id, chosen.secret(), chosen.source
    elif chosen is not None:
        url = url or chosen.url
        cid = cid or chosen.client_id
        if secret is None:
            secret = chosen.secret()
        source = chosen.source + (" + environment" if env_text("TCX_URL") else "")
    elif url or cid or secret:
        source = "environment"
    elif fallback is not None:
        return fallback(opts, version)
    else:
        raise ConfigurationError(
            "No PBX configured: no profile, no inventory PBX named, no TCX_URL.",
            hint="Name one with Options(profile=NAME), or set TCX_URL, TCX_CLIENT_ID and "
            "TCX_CLIENT_SECRET (`3cx login` stores a profile).",
        )

    verify = tls_verify(
        insecure=opts.insecure,
        ca_bundle=opts.ca_bundle,
        configured_insecure=bool(chosen and chosen.insecure),
        configured_ca=chosen.ca_bundle if chosen else None,
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
        where = chosen.source if chosen else "the environment"
        raise ConfigurationError(
            f"Incomplete connection settings in {where}: missing {', '.join(missing)}.",
            hint="Set the missing variables, or store a profile with `3cx login` "
            "(the API key is then kept in the keyring, never on the command line).",
        )
    assert url and cid and secret
    allow_http = bool(chosen and chosen.insecure_http)
    check_url(url, allow_http=opts.allow_http or allow_http, where=f"{source}: ")
    name = chosen.name if chosen else None
    return Connection(url.rstrip("/"), cid, secret, source, version, verify, name, allow_http)


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


def client_args(conn: Connection, opts: Options) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``(args, kwargs)`` for :class:`~tcxkit.Client` or :class:`~tcxkit.AsyncClient`."""
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
        "allow_http": opts.allow_http or conn.allow_http,
    }


def make_client(conn: Connection, opts: Options, **extra: Any) -> Client:
    from ..client import Client  # imports httpx without its command line (tcxkit._httpx)

    args, kwargs = client_args(conn, opts)
    return Client(*args, **kwargs, **extra)


def make_async_client(conn: Connection, opts: Options, **extra: Any) -> AsyncClient:
    """The same connection for coroutines (``3cx state``, the Airflow triggers)."""
    from ..client import AsyncClient

    args, kwargs = client_args(conn, opts)
    return AsyncClient(*args, **kwargs, **extra)
