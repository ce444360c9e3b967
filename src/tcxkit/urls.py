"""Whether a PBX URL is fit to receive credentials, decided before anything is sent.

Two mistakes put an API key on the wire or on a screen, and both are refused
wherever a URL enters (``Client(...)``, ``3cx login``, ``TCX_URL``, an
inventory):

* **credentials in the URL** (``https://admin:PW@pbx``): they would be printed
  with the URL by every listing and error message, and the client
  authenticates with its own id and key anyway.  The message shows the URL
  with its user part replaced, never the password.
* **plain ``http://`` to a host that is not this machine**: the client secret
  and the bearer token would cross the network unencrypted.  Loopback
  (``127.0.0.0/8``, ``::1``, ``localhost``) is fine - the emulator and SSH
  tunnels live there.  Anything else needs an explicit yes (``allow_http=True``,
  ``--allow-http``, ``insecure_http = true``), and is then logged once per
  process and host as a warning on the ``tcxkit`` logger.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from .errors import ConfigurationError

__all__ = ["check_url", "is_loopback", "shown_url"]

log = logging.getLogger("tcxkit")

_HTTP_HINT = (
    "Use https:// (a PBX serves it on 5001 self-hosted, 443 hosted). On a network you "
    "trust, allow plain HTTP explicitly: allow_http=True (Python), --allow-http (3cx) or "
    "insecure_http = true (fleet.toml)."
)
_warned: set[str] = set()


def _netloc(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


def shown_url(url: str) -> str:
    """``url`` fit for a message: any ``user:password@`` replaced by ``***@``."""
    netloc = _netloc(url)
    if "@" not in netloc:
        return url
    host = netloc.rsplit("@", 1)[1]
    return url.replace(netloc, "***@" + host, 1)


def is_loopback(host: str) -> bool:
    """This machine: ``localhost``, ``127.0.0.0/8`` or ``::1`` (brackets allowed).

    The one answer for every face: where the client may send a key over plain HTTP,
    where the emulator may listen with its default key, where ``3cx mcp --http`` may
    listen without ``--allow-remote``. Any other name, and the wildcards ``0.0.0.0``
    and ``::``, are not: a name's address is not ours to trust (fail closed).
    """
    import ipaddress

    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_http: bool = False, where: str = "") -> str:
    """``url`` if it may receive credentials; else :class:`ConfigurationError` (nothing sent).

    ``where`` (``"fleet.toml [pbx.acme]: "``) starts the message.
    """
    if "@" in _netloc(url):
        raise ConfigurationError(
            f"{where}The PBX URL {shown_url(url)} carries credentials; it was not used.",
            hint="Remove user:password@ from the URL. The client id and API key are given "
            "on their own (3cx login keeps the key in the keyring).",
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise ConfigurationError(f"{where}The PBX URL {url!r} is not valid: {exc}.") from None
    if parts.scheme.lower() != "http" or is_loopback(host):
        return url
    if not allow_http:
        raise ConfigurationError(
            f"{where}Plain http:// to {host} would send the API key unencrypted; nothing was sent.",
            hint=_HTTP_HINT,
        )
    if parts.netloc.lower() not in _warned:
        _warned.add(parts.netloc.lower())
        log.warning(
            "tcxkit: plain http:// to %s is allowed explicitly: the API key and every "
            "answer cross the network unencrypted.",
            parts.netloc,
        )
    return url
