"""``3cx events watch|relay|replay``: a PBX's changes as JSON lines or signed webhooks.

The engine is :mod:`tcxkit.events` (sources, cursor store, watcher) and
:mod:`tcxkit.webhooks`; this module parses options, opens the store and runs the loop:
poll what is due, hand the outbox to the consumer, sleep until the next source (or
retry) is due.  A failing poll (the PBX unreachable) is reported on stderr and tried
again at the source's next interval -- a watcher outlives PBX restarts -- except with
``--once``, where it is the command's error and exit status.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from ..errors import TcxError, UsageError
from .cmdkit import CONTEXT, env_secret, ranged_option, receiver_url
from .globalopts import OUTPUT_FORMATS

if TYPE_CHECKING:
    from ..events import Watcher
    from ..events.store import SqliteCursorStore

__all__ = ["events_group"]

#: Longest --since: the call log's look-back is a day; a week covers a long weekend.
MAX_SINCE = timedelta(days=7)


#: Said once per relay run without --secret-env.
UNSIGNED = (
    "3cx: the webhooks go unsigned (no --secret-env): a receiver cannot tell them from forged ones."
)


class UndeliveredError(TcxError):
    """Events are left undelivered (``relay --once``, ``replay``): exit status 10."""

    exit_code = 10


def parse_since(text: str | None) -> timedelta | None:
    """``90s``, ``15m``, ``1h``, ``2d`` (one number and unit) as a timedelta."""
    if text is None:
        return None
    from ..events.model import parse_duration

    since = parse_duration(text)
    if since is None:
        raise UsageError(
            f"--since {text!r} is not a duration.",
            hint="Give a number and a unit: 90s, 15m, 1h or 2d.",
        )
    if since > MAX_SINCE:
        raise UsageError(f"--since {text} is longer than 7 days.", hint="Give at most 7d.")
    return since


def _types(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """``--type``: the core's one check (unknown types refused with the known ones)."""
    from ..events.model import parse_types

    return tuple(parse_types(value))


def _zone(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """``--tz``: an IANA zone, refused with the fix when unknown."""
    if value is None:
        return None
    from ..pbxzone import named_zone

    return named_zone(value, "--tz", "Give an IANA zone name, e.g. Europe/London or UTC.")


def _complete_type(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from ..events.model import EVENT_TYPES

    return [t for t in EVENT_TYPES if t.startswith(incomplete)]


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The options watch and relay share."""
    for option in reversed(
        [
            click.option(
                "--type",
                "types",
                multiple=True,
                metavar="TYPE",
                callback=_types,
                shell_complete=_complete_type,
                help="Only this event type (repeat for more; docs/events.md lists them); "
                "default: all.",
            ),
            click.option(
                "--tz",
                "zone",
                metavar="ZONE",
                callback=_zone,
                help="The PBX's time zone for event times (default: learnt from the PBX's "
                "OfficeHours.TimeZoneId).",
            ),
            click.option(
                "--since",
                metavar="AGE",
                help="On the first run, also report calls since then (90s, 15m, 1h, 2d).",
            ),
            click.option(
                "--interval",
                type=click.FloatRange(0.1, 3600),
                metavar="S",
                help="Poll every source every S seconds (default: each source's own).",
            ),
            click.option(
                "--cursor",
                "cursor",
                metavar="FILE",
                help="The cursor store (SQLite): a restart resumes where the last run stopped.",
            ),
            click.option("--once", is_flag=True, help="Poll once, deliver, exit (cron, tests)."),
        ]
    ):
        fn = option(fn)
    return fn


@click.group("events", context_settings=CONTEXT, short_help="Watch a PBX's changes; relay them.")
def events_group() -> None:
    """A PBX's changes -- calls, phones, trunks -- as JSON lines or signed webhooks.

    XAPI has no webhooks: each event source polls the cheapest query that shows its
    change. See docs/events.md for the event types, their fields and delays.
    """


def _pbx_name(conn: Any) -> str:
    if conn.profile:
        return str(conn.profile)
    parts = urlsplit(conn.url)
    return parts.netloc or conn.url


def _watcher(ctx: click.Context, o: dict[str, Any], store: SqliteCursorStore) -> Watcher:
    from ..events import Watcher
    from .connect import make_client, resolve
    from .eventsfleet import watch_args

    opts = ctx.find_root().obj
    since = parse_since(o["since"])
    conn = resolve(opts)
    client = make_client(conn, opts)
    ctx.call_on_close(client.close)
    url = conn.url.rstrip("/")
    return Watcher(store, _pbx_name(conn), url, client=client, **watch_args(o, since))


def _store(ctx: click.Context, path: str | None) -> SqliteCursorStore:
    from ..events import SqliteCursorStore

    store = SqliteCursorStore(path or ":memory:", exclusive=True)
    ctx.call_on_close(store.close)
    return store


def _run(
    watcher: Watcher,
    drain: Callable[[], Any],
    once: bool,
    retry_in: Callable[[], float] = lambda: 3600.0,
) -> None:
    """Poll what is due, drain, sleep; forever (until Ctrl-C) or once."""
    while True:
        try:
            watcher.poll_all() if once else watcher.poll_due()
        except TcxError as exc:
            if once:
                raise
            print(f"3cx: polling {watcher.pbx} failed, retrying: {exc}", file=sys.stderr)
        drain()
        if once:
            return
        time.sleep(max(0.05, min(watcher.seconds_to_next(), retry_in())))


@events_group.command("watch", context_settings=CONTEXT)
@_common
@click.option("-o", "--output", type=click.Choice(OUTPUT_FORMATS), help="Default: jsonl.")
@click.pass_context
def watch_cmd(ctx: click.Context, output: str | None, once: bool, **o: Any) -> None:
    """Print the PBX's events as they happen, one JSON object per line.

    Without --cursor the run starts from now (plus --since) and remembers nothing; with
    --cursor FILE a restart prints exactly the events the last run had not printed.
    `3cx --fleet SELECTOR events watch` watches every selected PBX in one process.
    """
    from ..events import drain
    from .output import Printer

    store = _store(ctx, o["cursor"])
    printer = Printer(fmt=output or "jsonl", pretty=False)

    def show(event: Any) -> bool:
        printer.rows([event.to_dict()])
        return True

    if _fleet(ctx):
        from .eventsfleet import run_fleet

        o["since_parsed"] = parse_since(o["since"])
        run_fleet(ctx.find_root().obj, store, o, lambda pbx: show, "watch", once=once)
        return
    watcher = _watcher(ctx, o, store)
    _run(watcher, lambda: drain(store, "watch", watcher.pbx, show), once)


def _fleet(ctx: click.Context) -> bool:
    """``--fleet`` given: one watcher per selected PBX (:mod:`.eventsfleet`)."""
    return bool(ctx.find_root().obj.fleet)


def _secret(var: str | None) -> str | None:
    return env_secret("--secret-env", var)


def _target(to: str | None, to_env: str | None) -> str:
    url = receiver_url("--to", to, "--to-env", to_env)
    if url is None:
        raise UsageError(
            "Give the receiver as --to URL or --to-env VAR (one of them).",
            hint="--to-env keeps a URL that holds a token (chat webhooks) off the command line.",
        )
    return url


def _default_file(url: str, pbx: str, suffix: str) -> Path:
    from ..config.profiles import data_dir

    tag = hashlib.sha256(f"{pbx}\n{url}".encode()).hexdigest()[:12]
    return data_dir() / "events" / f"relay-{tag}{suffix}"


_TARGET = [
    click.option("--to", metavar="URL", help="The receiver's URL (POST, Standard Webhooks)."),
    click.option("--to-env", metavar="VAR", help="Read the receiver's URL from $VAR instead."),
    click.option(
        "--secret-env",
        metavar="VAR",
        help="Sign with the secret in $VAR (whsec_<base64>); unsigned without it.",
    ),
    click.option("--dead-letter", metavar="FILE", help="Where parked events go (JSON lines)."),
    click.option(
        "--timeout", type=click.FloatRange(0.5, 300), default=10.0, show_default=True,
        help="Seconds one delivery attempt may take.",
    ),
]  # fmt: skip


def _with_target(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_TARGET):
        fn = option(fn)
    return fn


@events_group.command("relay", context_settings=CONTEXT)
@_common
@_with_target
@ranged_option(
    "--park-after",
    click.FloatRange(0, 7 * 86400),
    600.0,
    "S",
    "Seconds an event may keep failing before it is parked in the dead-letter file.",
)
@click.pass_context
def relay_cmd(ctx: click.Context, once: bool, park_after: float, **o: Any) -> None:
    """Deliver the PBX's events to a URL as signed Standard Webhooks.

    Each event is POSTed as JSON with webhook-id (the event's stable id),
    webhook-timestamp and webhook-signature. A non-2xx answer or a timeout is retried
    after 1, 2, 4 ... 60 s (then every 60 s); later events wait, so order is kept. An
    event failing for --park-after seconds goes to the dead-letter file
    (`3cx events replay` re-sends it). The cursor store (default: one file per PBX and
    URL in the data directory) never moves past an event neither delivered nor parked.
    `3cx --fleet SELECTOR events relay` relays every selected PBX in one process.
    """
    from ..events import drain
    from ..events.relay import DeadLetters, Relay
    from ..webhooks import WebhookSender

    url = _target(o["to"], o["to_env"])
    sender = WebhookSender(url, _secret(o["secret_env"]), timeout=o["timeout"])
    ctx.call_on_close(sender.close)
    if o["secret_env"] is None:
        _stderr(UNSIGNED)
    from .connect import resolve

    fleet = _fleet(ctx)
    pbx = "fleet" if fleet else _pbx_name(resolve(ctx.find_root().obj, announce=False))
    store = _store(ctx, o["cursor"] or str(_default_file(url, pbx, ".sqlite")))
    dead = DeadLetters(o["dead_letter"] or _default_file(url, pbx, ".dead.jsonl"))
    consumer = "relay:" + hashlib.sha256(url.encode()).hexdigest()[:12]
    relays: dict[str, Relay] = {}

    def relay_of(name: str) -> Relay:  # one retry state per PBX: each keeps its order
        if name not in relays:
            relays[name] = Relay(sender, dead, park_after=park_after, report=_stderr)
        return relays[name]

    def retry_in() -> float:
        return min([r.seconds_to_retry() for r in relays.values()] or [3600.0])

    if fleet:
        from .eventsfleet import run_fleet

        o["since_parsed"] = parse_since(o["since"])
        run_fleet(ctx.find_root().obj, store, o, lambda name: relay_of(name).deliver, consumer,
                  once=once, retry_in=retry_in)  # fmt: skip
        names = list(relays)
    else:
        watcher = _watcher(ctx, o, store)
        relay = relay_of(watcher.pbx)
        _run(watcher, lambda: drain(store, consumer, watcher.pbx, relay.deliver), once, retry_in)
        names = [watcher.pbx]
    if once and any(store.pending(consumer, name, 1) for name in names):
        raise UndeliveredError(
            "Some events were not delivered; they wait in the cursor store for the next run.",
            hint="Run the relay again (or without --once, which retries with back-off).",
        )


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@events_group.command("replay", context_settings=CONTEXT)
@_with_target
@click.pass_context
def replay_cmd(ctx: click.Context, **o: Any) -> None:
    """Re-send the events parked in the dead-letter file (same ids and bodies).

    Delivered events leave the file; the ones still failing stay, with their newest
    error, and the exit status is then 10. Without --dead-letter, the relay's default
    file for this PBX and URL is used.
    """
    from ..events.relay import DeadLetters, replay
    from ..webhooks import WebhookSender
    from .connect import resolve

    url = _target(o["to"], o["to_env"])
    path = o["dead_letter"]
    if path is None:  # the relay's default file: one per PBX and URL, "fleet" for --fleet
        fleet = _fleet(ctx)
        pbx = "fleet" if fleet else _pbx_name(resolve(ctx.find_root().obj, announce=False))
        path = _default_file(url, pbx, ".dead.jsonl")
    dead = DeadLetters(path)
    with WebhookSender(url, _secret(o["secret_env"]), timeout=o["timeout"]) as sender:
        sent, kept = replay(dead, sender)
    _stderr(f"3cx: {sent} parked event(s) delivered, {len(kept)} still failing ({dead.path}).")
    if kept:
        raise UndeliveredError(
            f"{len(kept)} parked event(s) could not be delivered; they stay in {dead.path}.",
            hint="Check the receiver, then run `3cx events replay` again.",
        )
