"""The one emulator command: ``python -m tcxkit.emulator`` and ``3cx emulator``.

Both front ends run the command :func:`command` builds, so they take the same options,
print the same lines and refuse the same misuse with the same words and exit code.
``3cx`` attaches it lazily (its ``stop``/``status`` sub-commands, which manage the
background emulator, are given as ``subcommands``); building it imports click only,
never Starlette or uvicorn.

The client secret comes from ``--client-secret-file`` or ``$TCX_EMULATOR_SECRET``
(default ``emulator-secret``), never from the command line, and is never printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

__all__ = ["StartError", "command", "main"]

PROG = "python -m tcxkit.emulator"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class StartError(click.ClickException):
    """The emulator cannot start as asked (unreadable key file, unknown time zone ...).

    A click error, not a :class:`~tcxkit.errors.TcxError`, so that every front end
    shows it the same way: ``Error: <what>`` and ``Hint: <next step>``, exit 2 for a
    setting that cannot work, 1 for anything else.
    """

    def __init__(self, message: str, hint: str | None, exit_code: int) -> None:
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code

    def format_message(self) -> str:
        return self.message + (f"\nHint: {self.hint}" if self.hint else "")


class _Rate(click.ParamType):
    """``--traffic``: calls per second, a finite number from 0 to 50."""

    name = "rate"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        import math

        from .limits import MAX_TRAFFIC_RATE as MAX_RATE

        try:
            rate = float(value)
        except (TypeError, ValueError):
            rate = math.nan
        if not math.isfinite(rate) or not 0 <= rate <= MAX_RATE:
            self.fail(
                f"{value!r} is not a rate: give new calls per second from 0 to {MAX_RATE:g}, "
                "e.g. --traffic 0.5 (a call every two seconds on average).",
                param,
                ctx,
            )
        return rate


def _options(fn: Any) -> Any:
    """Declare the options once; the order here is the order ``--help`` shows."""
    from ..catalog import DEFAULT_RELEASE, RELEASES

    options = [
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on."),
        click.option(
            "--port", type=click.IntRange(0, 65535), default=5001, show_default=True,
            help="Port (0: any free one).",
        ),
        click.option("--db", metavar="PATH", help="SQLite file to keep data in (default: memory)."),
        click.option(
            "--release", "version", default=DEFAULT_RELEASE, show_default=True,
            type=click.Choice(RELEASES), help="3CX release to play.",
        ),
        click.option(
            "--version", "old_release", hidden=True, type=click.Choice(RELEASES),
            help="Deprecated spelling of --release.",
        ),
        click.option(
            "--data", type=click.Choice(["demo", "empty", "keep"]), default="demo",
            show_default=True,
            help="Demo data, nothing, or keep what the --db holds (demo when it is new).",
        ),
        click.option("--scale", type=click.IntRange(0), default=0, help="Extra demo rows."),
        click.option(
            "--call-mix", type=click.Choice(["basic", "contact-centre"]), default="basic",
            show_default=True,
            help="Calls --scale adds: mostly one leg each, or a contact centre's multi-leg "
            "calls (queues, transfers, overflow, ring groups).",
        ),
        click.option(
            "--report-cap", type=click.IntRange(1), default=20000, show_default=True,
            metavar="ROWS", help="Rows a report function answers at most.",
        ),
        click.option(
            "--report-timeout-rows", type=click.IntRange(0), default=0, metavar="ROWS",
            help="Answer 504 to a call-log report of more rows than this (0: never), as a "
            "PBX's proxy does to long pulls.",
        ),
        click.option(
            "--recordings", type=click.IntRange(0, 2000), default=None, metavar="N",
            help="Recorded demo calls (default 20; small WAVs made when downloaded).",
        ),
        click.option(
            "--traffic", type=_Rate(), default=None, metavar="RATE",
            help="Make the PBX busy by itself: RATE new calls per second on average (up to "
            "50; e.g. 0.5), a contact centre's mix of answered, missed and abandoned calls "
            "that ring, talk and end in real time, plus now and then a phone, queue agent "
            "or trunk changing state.",
        ),
        click.option(
            "--seed", type=click.IntRange(0), default=None, metavar="N",
            help="With --traffic: the same N replays the same calls and outcomes.",
        ),
        click.option(
            "--max-calls", type=click.IntRange(1, 1000), default=None, metavar="N",
            help="Calls in progress at once (default 100, about 2.5 calls/s of --traffic); "
            "one more is refused.",
        ),
        click.option("--client-id", default="tcxkit-emulator", show_default=True,
                     help="API client id to accept."),
        click.option(
            "--client-secret-file", metavar="PATH",
            help="File holding the API key it accepts (default: env TCX_EMULATOR_SECRET, "
            "else emulator-secret). The key itself never goes on a command line.",
        ),
        click.option("--public-url", metavar="URL", help="URL clients reach it at (@odata.context)."),
        click.option(
            "--token-lifetime", type=click.IntRange(1), default=3600, show_default=True,
            metavar="SECONDS", help="Lifetime of the access tokens it issues.",
        ),
        click.option(
            "--time-zone", metavar="ZONE",
            help="The PBX's time zone, an IANA name (default Europe/London; "
            "OfficeHours.TimeZoneId).",
        ),
        click.option(
            "--offer-update", metavar="BUILD|next",
            help="Offer this 3CX update in GetUpdates (next: the next release's build); "
            "InstallUpdates installs it (docs/updates.md).",
        ),
        click.option(
            "--update-downtime", type=click.FloatRange(0, 3600), default=None,
            metavar="SECONDS", help="How long InstallUpdates takes the PBX away (default 6).",
        ),
        click.option(
            "--idle-timeout", type=click.FloatRange(0), default=0, metavar="SECONDS",
            help="Stop after this long without a request (0: never; 3cx's background one: 900).",
        ),
        click.option(
            "--instances", type=click.IntRange(1, 200), default=1, metavar="N",
            help="Serve N independent PBXs (ports PORT..PORT+N-1; own data and random API key "
            "each) and print their fleet inventory (docs/fleet.md).",
        ),
        click.option(
            "--inventory-out", metavar="PATH",
            help="With --instances: write the inventory here (keys in PATH.secrets/, mode 0600); "
            "without it the inventory is printed and its keys live in a temporary directory "
            "removed when the emulator stops.",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        fn = option(fn)
    return fn


def command(
    name: str = "emulator", *, subcommands: Iterable[click.Command] = (), **attrs: Any
) -> click.Command:
    """A fresh emulator command; with ``subcommands`` a group that runs without one too."""

    @_options
    @click.pass_context
    def emulator(ctx: click.Context, **values: Any) -> None:
        """Run a local 3CX V20 PBX that speaks XAPI over HTTP (Ctrl-C stops it)."""
        if ctx.invoked_subcommand is not None:
            return
        serve(**values)

    attrs.setdefault("context_settings", CONTEXT)
    attrs.setdefault("help", emulator.__doc__)
    subs = list(subcommands)
    if not subs:
        return click.command(name, **attrs)(emulator)
    group = click.group(name, invoke_without_command=True, **attrs)(emulator)
    for sub in subs:
        group.add_command(sub)
    return group


def serve(**values: Any) -> None:
    """Start what the options ask for and serve until Ctrl-C (or ``--idle-timeout``)."""
    from ..errors import TcxError, UsageError

    old = values.pop("old_release", None)
    if old is not None:
        click.echo("Warning: --version is deprecated; use --release.", err=True)
        values["version"] = old
    try:
        _serve(values)
    except KeyboardInterrupt:
        return  # Ctrl-C is how a foreground server is meant to stop: exit 0 from both fronts
    except TcxError as exc:
        raise StartError(exc.message, exc.hint, 2 if isinstance(exc, UsageError) else 1) from None


def _serve(values: dict[str, Any]) -> None:
    from ..errors import ConfigurationError, UsageError
    from .config import EmulatorConfig, client_secret

    try:
        import starlette  # noqa: F401  (only: is the emulator extra installed?)
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            f"The emulator is not installed ({exc}).",
            hint="Install the extra: pip install 'tcxkit[emulator]'.",
        ) from None

    multi = values["instances"] > 1 or values["inventory_out"]
    if multi and values["client_secret_file"]:
        raise UsageError(
            "--client-secret-file does not apply with --instances.",
            hint="Each instance gets its own random key, written next to the inventory (0600).",
        )
    db = values["db"]
    data = values["data"]
    if data == "keep":
        data = "empty" if db and Path(db).exists() else "demo"
    config = EmulatorConfig(
        version=values["version"],
        db=db,
        data=data,
        scale=values["scale"],
        call_mix=values["call_mix"],
        report_cap=values["report_cap"],
        report_timeout_rows=values["report_timeout_rows"],
        client_id=values["client_id"],
        client_secret=client_secret(values["client_secret_file"]),
        token_lifetime=values["token_lifetime"],
        host=values["host"],
        port=values["port"],
        public_url=values["public_url"],
        options=_domain_options(values),
    )
    idle = values["idle_timeout"] or 0.0
    if multi:
        stopped = _serve_fleet(config, values, keep=values["data"] == "keep", idle=idle)
    else:
        stopped = _serve_one(config, values, idle=idle)
    if stopped:
        click.echo(f"emulator stopped after {idle:g} s without a request.", err=True)


#: The flags that set ``config.options`` (same names there).
_DOMAIN_FLAGS = ("time_zone", "recordings", "offer_update", "update_downtime", "max_calls")


def _domain_options(values: dict[str, Any]) -> dict[str, object]:
    """The ``config.options`` the command's flags set (only those given); ``--seed``
    without ``--traffic`` is refused."""
    options = {k: values[k] for k in _DOMAIN_FLAGS if values.get(k) not in (None, "")}
    traffic, seed = values.get("traffic"), values.get("seed")
    if seed is not None and not traffic:
        from ..errors import UsageError

        raise UsageError(
            "--seed only applies with --traffic.",
            hint="Give the rate too, e.g. --traffic 0.5 --seed 7.",
        )
    if traffic:
        options["traffic"] = traffic
        if seed is not None:
            options["seed"] = seed
    return options


def _serve_one(config: Any, values: dict[str, Any], *, idle: float) -> bool:
    from .server import run

    def ready(url: str) -> None:
        db = values["db"]
        click.echo(
            f"emulating 3CX {config.version} at {url} (client id {config.client_id!r}, "
            f"{'db ' + str(db) if db else 'in memory'}, data: {config.data}); Ctrl-C stops it"
            + (f", so does {idle:g} s without a request." if idle else "."),
            err=True,
        )
        click.echo(f"  client secret: {_secret_source(values['client_secret_file'])}", err=True)
        click.echo(f"  request log:   GET {url}/emulator/requests", err=True)
        if values["traffic"]:
            click.echo(
                f"  traffic:       {values['traffic']:g} calls/s"
                + (f", seed {values['seed']}" if values["seed"] is not None else "")
                + f" (GET {url}/emulator/clock)",
                err=True,
            )

    return run(config, host=values["host"], port=values["port"], on_ready=ready, idle_timeout=idle)


def _secret_source(secret_file: str | None) -> str:
    """Where the secret came from (the value itself is never printed)."""
    from .config import SECRET_ENV

    if secret_file:
        return f"from {secret_file}"
    if os.environ.get(SECRET_ENV):
        return f"from ${SECRET_ENV}"
    return f"the default (emulator-secret; set ${SECRET_ENV} to change it)"


def _serve_fleet(config: Any, values: dict[str, Any], *, keep: bool, idle: float) -> bool:
    """``--instances N``: N PBXs on one server; the inventory on stdout or in a file."""
    import shutil
    import tempfile
    from dataclasses import replace

    from .fleet import fleet_configs, serve_fleet

    configs = fleet_configs(values["instances"], config)
    if keep:  # per instance: what its own database holds, demo data when it is new
        configs = [
            replace(c, data="empty" if c.db and Path(c.db).exists() else "demo") for c in configs
        ]
    given = values["inventory_out"]
    # Printed, not written where asked: the keys go to a private temporary directory,
    # removed when the emulator stops, so no key outlives the PBXs it opens.
    scratch = None if given else Path(tempfile.mkdtemp(prefix="tcx-fleet-"))
    path = Path(given) if given else scratch / "fleet.toml"  # type: ignore[operator]

    def ready(path: Path, targets: list[Any]) -> None:
        if not given:
            click.echo(path.read_text(encoding="utf-8"), nl=False)
        click.echo(
            f"emulating {len(targets)} PBXs (3CX {config.version}) at "
            f"{targets[0].url} .. {targets[-1].url}; inventory: {path} (keys in "
            f"{path.name}.secrets/, mode 0600). Try: 3cx --inventory {path} fleet list. "
            "Ctrl-C stops them.",
            err=True,
        )

    try:
        return serve_fleet(
            configs, values["host"], values["port"], path, on_ready=ready, idle_timeout=idle,
            relative=scratch is None,
        )  # fmt: skip
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m tcxkit.emulator``: run the command; Ctrl-C ends it with exit 0."""
    try:
        command().main(args=argv, prog_name=PROG, standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 0  # click's word for Ctrl-C: stopping the emulator is its normal end
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        return 0
    return 0
