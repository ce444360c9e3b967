"""The CLI's connection: the core's (:mod:`tcxkit.config.connection`) plus the built-in
emulator when nothing is configured, announced on stderr."""

from __future__ import annotations

import sys

from ..config.connection import (
    Connection,
    disable_debug_logging,
    enable_debug_logging,
    make_async_client,
    make_client,
)
from ..config.connection import resolve as _resolve
from ..config.options import Options
from ..errors import UsageError
from .globalopts import OUTPUT_FORMATS

__all__ = [
    "Connection",
    "Options",
    "check_inventory_use",
    "disable_debug_logging",
    "enable_debug_logging",
    "make_async_client",
    "make_client",
    "resolve",
]

EMBEDDED_NOTE = (
    "3cx: no PBX configured, using the built-in emulator at {url} (data in {db}).\n"
    "     It keeps running in the background and {stops}; `{cmd} emulator stop` stops it now.\n"
    "     Connect a real PBX with `{cmd} login`, or set TCX_URL, TCX_CLIENT_ID and "
    "TCX_CLIENT_SECRET."
)
#: Later runs, while it keeps running: one line, still naming the way out.
EMBEDDED_REUSED = (
    "3cx: using the built-in emulator at {url} (no PBX configured; {stops}; "
    "`{cmd} emulator stop` stops it)."
)


def check_inventory_use(opts: Options) -> None:
    """``--inventory`` without ``--fleet`` names where ``--pbx NAME`` is found; alone it
    would be ignored, so it is refused (before anything connects)."""
    from .settings import settle

    if opts.inventory and not opts.fleet and settle(opts).profile is None:
        raise UsageError(
            "--inventory needs --fleet (many PBXs) or --pbx NAME (one of them).",
            hint="Add --fleet all (or a tag, or names) to run on the inventory's PBXs, or "
            "--pbx NAME for one; `3cx --inventory FILE fleet list` lists them.",
        )


def resolve(opts: Options, *, announce: bool = True, start: bool = True) -> Connection:
    """Settings for this run; starts the embedded emulator when nothing is configured.

    ``start=False`` (``--dry-run``) never starts it: the URL is the running
    one's, or a placeholder.
    """
    check_inventory_use(opts)

    def embedded(opts: Options, version: str) -> Connection:
        return _embedded(opts, version, announce, start)

    return _resolve(opts, fallback=embedded, output_formats=OUTPUT_FORMATS)


def _embedded(opts: Options, version: str, announce: bool, start: bool = True) -> Connection:
    from .embedded import CLIENT_ID, command_name, ensure_running, running_state, stops_text

    if not start:
        found = running_state()
        url = found.url if found else "<built-in emulator>"
        return Connection(url, CLIENT_ID, "", "embedded emulator", version, True)
    state, started = ensure_running()
    if announce:
        stops = stops_text(state)
        note = EMBEDDED_NOTE if started else EMBEDDED_REUSED
        text = note.format(url=state.url, db=state.db, stops=stops, cmd=command_name())
        print(text, file=sys.stderr)
    return Connection(
        state.url, state.client_id, state.client_secret, "embedded emulator", version, True
    )
