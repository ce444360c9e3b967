"""Who may use ``3cx mcp --http``: a bearer token, a bound address, and the Host it is called by.

Three locks, all on by default and none of them optional:

* **A bearer token on every request.** Made on the first start (per profile), stored 0600 in
  the config dir, printed once on stderr; ``--rotate-token`` replaces it. A request without
  it, or with another one, gets 401 before the MCP SDK sees it.
* **Loopback unless told otherwise.** Loopback is ``localhost``, 127.0.0.0/8 and ``::1``:
  only this machine reaches those. Any other address needs ``--allow-remote`` and, since a
  wildcard address (``0.0.0.0``) names no host, ``--allowed-hosts``.
* **The Host/Origin guard (against DNS rebinding)**, the SDK's own
  (:class:`mcp.server.transport_security.TransportSecurityMiddleware`), always on: the Host
  header must be one of the loopback names (on a loopback binding), the bound address, or a
  name given with ``--allowed-hosts``; anything else gets 421, token or not. It runs before
  the token check, so a foreign page learns nothing about the token either.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..private_files import check_private, open_private
from ..urls import is_loopback

if TYPE_CHECKING:
    from mcp.server.transport_security import TransportSecuritySettings

__all__ = ["Binding", "TokenStore", "guarded", "plan_binding"]

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Binding:
    """Where to listen and which Host/Origin headers to accept."""

    host: str
    port: int
    allowed_hosts: tuple[str, ...]

    def security(self) -> TransportSecuritySettings:
        """The SDK's guard settings: each allowed host with any port, http and https origins."""
        from mcp.server.transport_security import TransportSecuritySettings

        hosts: list[str] = []
        origins: list[str] = []
        for h in self.allowed_hosts:
            hosts += [h, f"{h}:*"]
            origins += [
                f"{scheme}://{h}{port}" for scheme in ("http", "https") for port in ("", ":*")
            ]
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )


def plan_binding(host: str, port: int, *, allow_remote: bool, allowed_hosts: str | None) -> Binding:
    """The binding for ``--http``; :class:`UsageError` saying why when it would be unsafe."""
    extra = tuple(h.strip().lower() for h in (allowed_hosts or "").split(",") if h.strip())
    for h in extra:
        if "/" in h or " " in h:
            raise UsageError(
                f"--allowed-hosts: {h!r} is not a host name (give names like "
                "mcp.example.com or mcp.example.com:8765, comma-separated)."
            )
    named = f"[{host}]" if ":" in host else host
    if is_loopback(host):
        return Binding(host, port, tuple(dict.fromkeys((*_LOOPBACK_NAMES, named, *extra))))
    if not allow_remote:
        raise UsageError(
            f"--http {named}:{port} would accept connections from other machines; "
            "the server was not started.",
            hint="Bind 127.0.0.1 (the default), or add --allow-remote (and --allowed-hosts "
            "with the names clients use) if other machines must reach it.",
        )
    wildcard = ipaddress.ip_address(host.strip("[]")).is_unspecified if _is_ip(host) else False
    if wildcard and not extra:
        raise UsageError(
            f"--http {named}:{port} listens on every address, so no Host name is implied; "
            "the server was not started.",
            hint="Add --allowed-hosts with the names clients use, e.g. "
            "--allowed-hosts mcp.example.com.",
        )
    own = () if wildcard else (named,)
    return Binding(host, port, tuple(dict.fromkeys((*own, *extra))))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class TokenStore:
    """The bearer token of one profile's HTTP server: a 0600 file in a 0700 folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, *, rotate: bool = False) -> str:
        """The token; a new one (printed once on stderr) on the first start or with ``rotate``."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        check_private(self.path, "MCP token file", secret=True, why="it lets a client in")
        if self.path.exists() and not rotate:
            token = self.path.read_text(encoding="utf-8").strip()
            if token:
                print(
                    f"3cx mcp: HTTP clients need the bearer token stored in {self.path} "
                    "(--rotate-token makes a new one).",
                    file=sys.stderr,
                )
                return token
        token = secrets.token_urlsafe(32)
        tmp = self.path.with_name(self.path.name + ".new")
        tmp.unlink(missing_ok=True)
        with open_private(tmp, "x", what="MCP token file", encoding="utf-8") as f:
            f.write(token + "\n")
        os.replace(tmp, self.path)
        print(
            f"3cx mcp: new bearer token for HTTP clients (shown once; kept in {self.path}): "
            f"{token}",
            file=sys.stderr,
            flush=True,
        )
        return token


def guarded(app: Any, binding: Binding, token: str) -> Any:
    """``app`` behind the Host/Origin guard, then the bearer token check (an ASGI app)."""
    from mcp.server.transport_security import TransportSecurityMiddleware
    from starlette.requests import Request
    from starlette.responses import Response

    guard = TransportSecurityMiddleware(binding.security())
    expected = f"Bearer {token}".encode()

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        refused = await guard.validate_request(Request(scope, receive), is_post=False)
        if refused is None:
            given = dict(scope.get("headers") or ()).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                refused = Response(
                    "A bearer token is required (Authorization: Bearer TOKEN); see the "
                    "server's start-up message or its token file.",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="3cx mcp"'},
                )
        if refused is not None:
            await refused(scope, receive, send)
            return
        await app(scope, receive, send)

    return asgi
