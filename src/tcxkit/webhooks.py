"""Standard Webhooks: signing and sending (https://www.standardwebhooks.com).

Shared by ``3cx events relay`` and anything else that notifies a URL.  A request
carries three headers:

* ``webhook-id`` -- the message id (an event's stable id: a receiver dedupes by it);
* ``webhook-timestamp`` -- seconds since the epoch, when this attempt was signed;
* ``webhook-signature`` -- ``v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``,

where ``key`` is the secret's bytes: a ``whsec_<base64>`` secret is base64-decoded
after its prefix, as the specification says; any other text is used as its UTF-8 bytes.
Retries are re-signed with a fresh timestamp (receivers reject old ones) but keep the id
and the exact body, so a re-delivery verifies and dedupes like the first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._httpx import httpx
from .errors import ConfigurationError
from .redaction import redact_text

__all__ = [
    "SendResult",
    "WebhookSender",
    "backoff",
    "decode_secret",
    "sign",
    "signed_headers",
    "verify",
]

#: How old (or how far in the future) a timestamp a receiver accepts, seconds.
TOLERANCE = 300
_PREFIX = "whsec_"


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a secret: ``whsec_`` + base64, or plain text (refused when empty)."""
    if not secret:
        raise ConfigurationError(
            "The webhook secret is empty.",
            hint="Set it to a whsec_<base64> secret, e.g. one made with "
            "python -c 'import base64,os; print(\"whsec_\"+base64.b64encode(os.urandom(24)).decode())'.",
        )
    if secret.startswith(_PREFIX):
        try:
            return base64.b64decode(secret[len(_PREFIX) :], validate=True)
        except binascii.Error:
            raise ConfigurationError(
                "The webhook secret starts with whsec_ but the rest is not base64.",
                hint="Copy the whole secret the receiver showed, or make a new one.",
            ) from None
    return secret.encode()


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    key: bytes, msg_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers (and the JSON content type) for ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(key, msg_id, ts, body),
        "content-type": "application/json",
    }


def verify(
    key: bytes, headers: Mapping[str, str], body: bytes, *, tolerance: int = TOLERANCE
) -> bool:
    """Whether ``body`` with ``headers`` was signed with ``key`` recently (any v1 signature
    of the space-separated list matches; constant-time comparison)."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp = lower.get("webhook-id"), lower.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > tolerance:
        return False
    want = sign(key, msg_id, int(stamp), body)
    return any(hmac.compare_digest(want, got) for got in lower.get("webhook-signature", "").split())


def backoff(attempt: int, *, first: float = 1.0, cap: float = 60.0) -> float:
    """Seconds before retry ``attempt`` (1-based): 1, 2, 4, 8, 16, 32, then 60 each."""
    return min(cap, first * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class SendResult:
    """One attempt: delivered (a 2xx), else the status or the transport error."""

    ok: bool
    status: int | None = None
    error: str = ""

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.error


def _shown(url: str) -> str:
    """``url`` fit for a message: no user part, and its path and query (where chat
    webhooks keep their token) replaced by ``/...``."""
    from .urls import shown_url

    head, sep, rest = url.partition("://")
    host, more = rest, ""
    for mark in "/?#":
        if mark in host:
            host, more = host.split(mark, 1)[0], "/..."
    return shown_url(head + sep + host) + more


def _url_secrets(url: str) -> list[str]:
    """What :func:`_shown` hides of ``url`` -- its user part, and its path and query as a
    whole and each (chat webhooks keep their token there) -- as :func:`redact_text` takes it."""
    parts = urlsplit(url)
    path = parts.path.lstrip("/")
    whole = path + ("?" + parts.query if parts.query else "")
    return [whole, path, parts.query, parts.netloc.rpartition("@")[0]]


class WebhookSender:
    """POSTs signed JSON bodies to one URL (one connection pool, a per-attempt timeout).

    Redirects are not followed: a receiver that moved says so with a 3xx, which counts
    as a failed attempt rather than a silent re-send of the body elsewhere.
    """

    def __init__(self, url: str, secret: str | None, *, timeout: float = 10.0) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise ConfigurationError(
                f"The webhook URL {_shown(url)!r} is not an http(s) URL.",
                hint="Give the receiver's full URL, e.g. https://hooks.example.com/3cx.",
            )
        self.url = url
        self.key = decode_secret(secret) if secret is not None else None
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, msg_id: str, body: bytes) -> SendResult:
        if self.key is not None:
            headers = signed_headers(self.key, msg_id, body)
        else:  # unsigned (no secret given): the id and timestamp still go along
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(time.time())),
                "content-type": "application/json",
            }
        try:
            # Streamed and closed unread: only the status matters, and a receiver's body
            # (however large) is never loaded.
            with self._http.stream("POST", self.url, content=body, headers=headers) as response:
                status = response.status_code
        except httpx.TimeoutException:
            return SendResult(False, None, "timed out")
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:
            # Its text may quote the request line or the URL: redacted.  A host name IDNA
            # refuses is an UnicodeError, met only when connecting.
            text = redact_text(f"{type(exc).__name__}: {exc}", _url_secrets(self.url))
            return SendResult(False, None, text)
        return SendResult(200 <= status < 300, status)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
