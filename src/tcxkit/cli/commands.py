"""Bodies of the built-in commands: login, profiles, the background emulator.

Kept apart from :mod:`tcxkit.cli.app` so that building the command tree
(for ``--help``) does not import keyring, platformdirs or the emulator.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ..config.profiles import (
    Profile,
    delete_secret,
    load_config,
    save_config,
    set_secret,
)
from ..errors import UsageError
from ..urls import check_url
from .connect import Connection, Options, make_client

__all__ = [
    "emulator_status",
    "login",
    "profiles_list",
    "profiles_remove",
    "profiles_use",
    "stop_emulator",
]


def _read_secret(prompt: str) -> str:
    """The API key from TCX_CLIENT_SECRET, a hidden prompt, or a line of stdin."""
    env = os.environ.get("TCX_CLIENT_SECRET")
    if env:
        return env
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True))
    line = sys.stdin.readline()
    if not line.strip():
        raise UsageError(
            "No API key given.",
            hint="Type it at the prompt, pipe it on stdin, or set TCX_CLIENT_SECRET.",
        )
    return line.strip()


def _ask(prompt: str, given: str | None, default: str | None = None) -> str:
    if given:
        return given
    if sys.stdin.isatty():
        return str(click.prompt(prompt, default=default)).strip()
    line = sys.stdin.readline().strip()
    if not line and default:
        return default
    if not line:
        raise UsageError(f"No {prompt.lower()} given.", hint="Pass it with the matching option.")
    return line


def _normalise_url(url: str) -> str:
    check_url(url.strip(), allow_http=True)  # credentials: refused before being echoed
    url = url.strip().rstrip("/")
    if url.endswith("/xapi/v1"):
        url = url[: -len("/xapi/v1")]
    if "://" not in url:
        url = "https://" + url
    if not url.startswith(("http://", "https://")):
        raise UsageError(
            f"{url!r} is not an http(s) URL.", hint="Example: https://pbx.example.com:5001"
        )
    return url


def _tags(given: tuple[str, ...]) -> list[str]:
    """``--tag`` values, checked before anything is sent (a selector word each)."""
    from ..config.inventory import valid_tag

    bad = [t for t in given if not valid_tag(t)]
    if bad:
        raise UsageError(
            f"--tag {bad[0]!r}: a tag is letters, digits, '_', '.', '-' (not 'all', no comma).",
            hint="Repeat --tag for several: --tag customers --tag eu.",
        )
    return sorted(set(given), key=given.index)


def login(ctx: click.Context, **values: Any) -> None:
    opts: Options = ctx.find_root().obj
    name = values["name"]
    tags = _tags(values.get("tags") or ())
    url = _normalise_url(_ask("PBX URL", values.get("url")))
    check_url(url, allow_http=opts.allow_http)  # before the key is asked for
    client_id = _ask("Client ID", values.get("client_id"))
    secret = _read_secret("API key")
    verify: bool | str = True
    if opts.ca_bundle:
        # Stored absolute: later runs start from other directories.
        opts.ca_bundle = str(Path(opts.ca_bundle).expanduser().resolve())
        verify = opts.ca_bundle
    if opts.insecure:
        verify = False
    release = values.get("pbx_release") or "auto"
    detected = None
    if not values.get("no_verify_login"):
        conn = Connection(url, client_id, secret, f"login {name!r}", release, verify)
        with make_client(conn, opts, token_cache=False) as client:
            client.authenticate()
            try:
                detected = client.release
            except Exception:
                detected = None
            pbx = client.pbx_version
        click.echo(
            f"3cx: signed in to {url} as {client_id!r}"
            + (f" (PBX {pbx}, XAPI catalog {detected})" if pbx else "")
            + ".",
            err=True,
        )
    store = set_secret(name, secret)
    cfg = load_config()
    if not values.get("tags") and name in cfg.profiles:
        tags = cfg.profiles[name].tags  # signing in again (a new key) keeps the tags
    cfg.profiles[name] = Profile(
        name=name,
        url=url,
        client_id=client_id,
        secret_store=store,
        version=release,
        ca_bundle=opts.ca_bundle,
        insecure=opts.insecure,
        tags=tags,
    )
    if cfg.current is None or len(cfg.profiles) == 1 or name == "default":
        cfg.current = cfg.current or name
    path = save_config(cfg)
    where = "the OS keyring" if store == "keyring" else "a private file (mode 0600)"
    click.echo(
        f"3cx: saved profile {name!r} in {path}; API key kept in {where}."
        + ("" if cfg.current != name else " It is the default profile."),
        err=True,
    )


def profiles_list() -> None:
    cfg = load_config()
    if not cfg.profiles:
        click.echo(
            "3cx: no profiles yet; commands use the built-in emulator. Add one with `3cx login`.",
            err=True,
        )
        return
    tagged = any(p.tags for p in cfg.profiles.values())  # the column only once it is used
    rows = [
        ("", "NAME", "URL", "CLIENT ID", "SECRET IN", "RELEASE") + (("TAGS",) if tagged else ())
    ]
    for name, p in sorted(cfg.profiles.items()):
        mark = "*" if name == cfg.current else ""
        tags = (",".join(p.tags),) if tagged else ()
        rows.append((mark, name, p.url, p.client_id, p.secret_store, p.version, *tags))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def profiles_use(name: str) -> None:
    cfg = load_config()
    cfg.require(name)
    cfg.current = name
    save_config(cfg)
    click.echo(f"3cx: default profile is now {name!r}.", err=True)


def profiles_remove(name: str) -> None:
    cfg = load_config()
    prof = cfg.require(name)
    delete_secret(prof)
    del cfg.profiles[name]
    if cfg.current == name:
        cfg.current = None
    save_config(cfg)
    click.echo(f"3cx: removed profile {name!r} and its stored API key.", err=True)
    if cfg.current is None and cfg.profiles:
        click.echo("3cx: choose a default with `3cx profiles use NAME`.", err=True)


# ----------------------------------------------------------------------------- emulator


def stop_emulator() -> None:
    from .embedded import stop

    state = stop()
    if state is None:
        click.echo("3cx: no background emulator is running.", err=True)
    else:
        click.echo(
            f"3cx: stopped the background emulator (pid {state.pid}, {state.url}).", err=True
        )


def emulator_status() -> None:
    from .embedded import describe, running_state

    state = running_state()
    click.echo(f"running: {describe(state)}" if state else "not running")
