"""Where a server face listens: the one ``[HOST:]PORT`` reader of ``3cx exporter --listen``
and ``3cx mcp --http``, so both take the same forms and refuse the same mistakes alike.

The host is an IP address (IPv6 in brackets: ``[::1]:8765``) or ``localhost``, and
defaults to 127.0.0.1; a host name other than ``localhost`` is refused, because what it
resolves to is not ours to check (a name may point anywhere, fail closed).  Whether a
non-loopback address may be used is each face's own rule (:func:`tcxkit.urls.is_loopback`
decides what loopback is), since each says what the other machines would reach.
"""

from __future__ import annotations

import ipaddress

from .errors import UsageError

__all__ = ["parse_listen"]


def parse_listen(text: str, option: str, example_port: int) -> tuple[str, int]:
    """``[HOST:]PORT`` -> ``(host, port)``; :class:`UsageError` naming ``option`` and an
    example with ``example_port`` when ``text`` is not that form (port 0..65535)."""
    host, _, port_text = text.rpartition(":")
    host = (host or "127.0.0.1").strip("[]")
    ok = port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
    if ok and host.lower() != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            ok = False
    if not ok:
        raise UsageError(
            f"{option} {text!r}: give [HOST:]PORT, the host an IP address or localhost, "
            f"e.g. {example_port} or 127.0.0.1:{example_port}.",
            hint="Port 0 picks a free one; an IPv6 address goes in brackets, e.g. "
            f"[::1]:{example_port}.",
        )
    port = int(port_text)
    if port > 65535:
        raise UsageError(
            f"{option} {text!r}: the port must be 0..65535.", hint=f"e.g. {example_port}"
        )
    return host, port
