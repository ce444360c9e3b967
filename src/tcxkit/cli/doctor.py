"""``3cx doctor``: walk the path to the PBX step by step and say what to fix.

Each check builds on the previous one (no TCP without DNS, no token without
TLS), so the first failure is the thing to fix; later checks are skipped.
The exit code is that failure's code (4 connect/TLS, 5 credentials, 6
permission, ...), 0 when everything passed.
"""

from __future__ import annotations

import socket
import ssl
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from ..errors import ConnectError, PermissionDeniedError, TcxError, TLSError
from .connect import Connection, Options, make_client, resolve
from .exitcodes import exit_code_of

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["run_doctor"]


class _Report:
    def __init__(self) -> None:
        self.failed: TcxError | None = None

    def line(self, status: str, name: str, text: str, fix: str = "") -> None:
        click.echo(f"{status:<4}  {name:<11} {text}")
        if fix:
            click.echo(f"{'':<4}  {'':<11} fix: {fix}")

    def step(self, name: str, fn: Callable[[], str]) -> bool:
        if self.failed is not None:
            self.line("skip", name, "(an earlier check failed)")
            return False
        t0 = time.perf_counter()
        try:
            text = fn()
        except TcxError as exc:
            self.failed = exc
            self.line("FAIL", name, exc.message.splitlines()[0], exc.hint or "")
            return False
        ms = (time.perf_counter() - t0) * 1000
        self.line("ok", name, f"{text} ({ms:.0f} ms)")
        return True


def _host_port(url: str) -> tuple[str, int, bool]:
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    return parts.hostname or "", parts.port or (443 if tls else 80), tls


def _ssl_context(verify: bool | str) -> ssl.SSLContext:
    if verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    try:
        import certifi  # httpx verifies with certifi: check the same way

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()


def run_doctor(opts: Options) -> int:
    rep = _Report()
    conn: Connection | None = None

    def settings() -> str:
        nonlocal conn
        conn = resolve(opts, announce=False)
        return conn.describe()

    rep.step("settings", settings)
    _emulator_line(rep)
    if conn is None:
        return _finish(rep)
    host, port, tls = _host_port(conn.url)
    addresses: list[str] = []

    def dns() -> str:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ConnectError(
                f"Cannot resolve {host!r}: {exc.strerror}.",
                hint="Check the host name in the URL (`3cx profiles list`) and your DNS.",
            ) from None
        addresses.extend(dict.fromkeys(str(i[4][0]) for i in infos))
        return f"{host} -> {', '.join(addresses[:3])}"

    def tcp() -> str:
        try:
            with socket.create_connection((host, port), timeout=opts.timeout):
                return f"{host}:{port} accepts connections"
        except OSError as exc:
            raise ConnectError(
                f"Cannot open TCP {host}:{port}: {exc.strerror or exc}.",
                hint="Check the port (self-hosted 5001, hosted 443) and any firewall in between.",
            ) from None

    def tls_check() -> str:
        ctx = _ssl_context(conn.verify if conn else True)
        try:
            with (
                socket.create_connection((host, port), timeout=opts.timeout) as raw,
                ctx.wrap_socket(raw, server_hostname=host) as s,
            ):
                cert = s.getpeercert() or {}
                version = s.version()
        except (ssl.SSLError, OSError) as exc:
            from ..client import speaks_plain_http
            from .errors import PLAIN_HTTP_HINT

            plain = speaks_plain_http(str(exc))
            err = TLSError(
                f"TLS handshake with {host}:{port} failed: {exc}.",
                hint=PLAIN_HTTP_HINT
                if plain
                else "A private CA needs --ca-bundle PATH (or `3cx login` with it); "
                "for a test box only, --insecure skips verification.",
            )
            err.plain_http = plain
            raise err from None
        until = cert.get("notAfter", "")
        note = " (not verified: --insecure)" if conn and conn.verify is False else ""
        return f"{version}, certificate valid until {until or '?'}{note}"

    rep.step("DNS", dns)
    rep.step("TCP", tcp)
    if tls:
        rep.step("TLS", tls_check)
    else:
        rep.line("--", "TLS", "plain http (fine for the emulator, not for a real PBX)")

    client: Client | None = None
    try:
        if rep.failed is None:
            client = make_client(conn, opts)

        def token() -> str:
            assert client is not None
            client.authenticate()
            return f"token issued to {conn.client_id!r}"

        def release() -> str:
            assert client is not None
            version = client.release
            pbx = client.pbx_version or "unknown"
            return f"PBX {pbx}; using the XAPI {version} catalog ({len(client.catalog)} actions)"

        rep.step("token", token)
        rep.step("release", release)
        rep.step("permission", lambda: _probe(client))
        if rep.failed is None and client is not None:
            _owner_probe(rep, client)
    finally:
        if client is not None:
            client.close()
    return _finish(rep)


def _emulator_line(rep: _Report) -> None:
    """The background emulator, used or not: a forgotten one should not go unnoticed."""
    from .embedded import describe, running_state

    state = running_state()
    rep.line(
        "--",
        "emulator",
        f"built-in, running: {describe(state)}" if state else "built-in: not running",
    )


def _probe(client: Client | None) -> str:
    assert client is not None
    client.call("ListUser", select=["Id"], top=1)
    return "can read Users"


def _owner_probe(rep: _Report, client: Client) -> None:
    try:
        client.call("ListCallHistoryView", top=1)
    except PermissionDeniedError:
        rep.line(
            "warn",
            "role",
            "call history is refused (403): the API client is not System Owner",
            "raise its role under Integrations > API to read call history and recordings",
        )
    except TcxError as exc:
        rep.line("warn", "role", f"call history probe failed: {exc.message.splitlines()[0]}")
    else:
        rep.line("ok", "role", "can read call history (System Owner)")


def _finish(rep: _Report) -> int:
    if rep.failed is None:
        click.echo("All checks passed.")
        return 0
    print(
        f"3cx doctor: {rep.failed.title}; fix the first FAIL above and run `3cx doctor` again.",
        file=sys.stderr,
    )
    return exit_code_of(rep.failed)
