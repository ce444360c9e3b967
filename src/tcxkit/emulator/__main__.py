"""``python -m tcxkit.emulator``: serve an emulated PBX in the foreground.

Prints the URL and the client id, then serves until Ctrl-C.  The client secret comes
from ``--client-secret-file`` or ``$TCX_EMULATOR_SECRET`` (default ``emulator-secret``),
never from the command line, and is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .config import EmulatorConfig

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from ..catalog import DEFAULT_RELEASE, RELEASES

    p = argparse.ArgumentParser(
        prog="python -m tcxkit.emulator",
        allow_abbrev=False,  # --client-secret must not pass as --client-secret-file
        description="Run a local 3CX V20 PBX that speaks XAPI over HTTP.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5001, help="port (default 5001; 0 = any free)")
    p.add_argument("--db", default=None, help="SQLite file to keep data in (default: memory)")
    p.add_argument(
        "--release",
        dest="version",
        default=DEFAULT_RELEASE,
        choices=list(RELEASES),
        help=f"3CX release to play (default {DEFAULT_RELEASE})",
    )
    p.add_argument(  # the old name, kept one version
        "--version", dest="old_version", choices=list(RELEASES), help=argparse.SUPPRESS
    )
    p.add_argument("--data", default="demo", choices=["demo", "empty"], help="start data")
    p.add_argument("--scale", type=int, default=0, help="extra demo rows to generate")
    p.add_argument("--client-id", default="tcxkit-emulator", help="API client id to accept")
    p.add_argument(
        "--client-secret-file",
        metavar="PATH",
        help="file holding the API key to accept (default: $TCX_EMULATOR_SECRET, "
        "else emulator-secret); never give the key itself on a command line",
    )
    p.add_argument("--public-url", help="URL clients reach it at, for @odata.context links")
    p.add_argument("--token-lifetime", type=int, default=3600, help="token lifetime, seconds")
    p.add_argument(
        "--time-zone",
        metavar="ZONE",
        help="the PBX's time zone, an IANA name (default Europe/London; OfficeHours.TimeZoneId)",
    )
    p.add_argument(
        "--instances",
        type=int,
        default=1,
        help="serve N independent PBXs on ports PORT..PORT+N-1, each with its own data and "
        "random API key, and print their fleet inventory (keys in 0600 files, never printed)",
    )
    p.add_argument("--inventory-out", metavar="PATH", help="write the inventory here instead")
    return p


def _secret_source(secret_file: str | None) -> str:
    """Where the secret came from (the value itself is never printed)."""
    from .config import SECRET_ENV

    if secret_file:
        return f"from {secret_file}"
    if os.environ.get(SECRET_ENV):
        return f"from ${SECRET_ENV}"
    return "the default (emulator-secret; set $TCX_EMULATOR_SECRET to change it)"


def _serve_fleet(config: EmulatorConfig, args: argparse.Namespace) -> None:
    from ..errors import ConfigurationError
    from .fleet import fleet_configs, serve_fleet

    if args.client_secret_file:
        raise ConfigurationError(
            "--client-secret-file does not apply with --instances.",
            hint="Each instance gets its own random key, written next to the inventory.",
        )

    def announce(path: Any, targets: list[Any]) -> None:
        if not args.inventory_out:
            print(path.read_text(encoding="utf-8"), end="", flush=True)
        print(
            f"# {len(targets)} emulated PBXs; inventory {path}; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )

    import shutil
    import tempfile
    from pathlib import Path

    # Printed, not written where asked: the keys go to a private temporary directory,
    # removed when Ctrl-C stops the fleet.
    scratch = None if args.inventory_out else Path(tempfile.mkdtemp(prefix="tcx-fleet-"))
    path = args.inventory_out or scratch / "fleet.toml"  # type: ignore[operator]
    try:
        serve_fleet(
            fleet_configs(args.instances, config), args.host, args.port, path,
            on_ready=announce, relative=scratch is None,
        )  # fmt: skip
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.old_version:
        print("tcxkit.emulator: --version is deprecated; use --release.", file=sys.stderr)
        args.version = args.old_version
    from ..errors import TcxError
    from .config import client_secret
    from .server import run

    try:
        config = EmulatorConfig(
            version=args.version,
            db=args.db,
            data=args.data,
            scale=args.scale,
            client_id=args.client_id,
            client_secret=client_secret(args.client_secret_file),
            token_lifetime=args.token_lifetime,
            host=args.host,
            port=args.port,
            public_url=args.public_url,
            options={"time_zone": args.time_zone} if args.time_zone else {},
        )

        def announce(url: str) -> None:
            print(
                f"3CX XAPI emulator {config.build} (release {config.version}, data: {config.data})"
            )
            print(f"  URL:           {url}")
            print(f"  client id:     {config.client_id}")
            print(f"  client secret: {_secret_source(args.client_secret_file)}")
            print("  request log:   GET /emulator/requests   (Ctrl-C stops)", flush=True)

        if args.instances > 1 or args.inventory_out:
            _serve_fleet(config, args)
        else:
            run(config, host=args.host, port=args.port, on_ready=announce)
    except TcxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
