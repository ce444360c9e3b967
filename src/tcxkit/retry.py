"""When a request may be sent again: the one retry policy of both clients.

The rule that matters most is *at most once*: anything but a read is sent again only
when it provably never left this machine, unless the caller opted in with
``retry_writes``. Reads -- actions whose catalog effect is ``read``: every GET and the
POST lookups such as ``RetreivePeersByNumbers`` (``read_only``) -- are also retried after
a read timeout, a dropped connection or a 502/503/504. Nothing is retried that cannot heal within a back-off:
a refused connection, a name that does not resolve, a TLS failure.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from .errors import TransportError

__all__ = ["RETRY_STATUSES", "RetryPolicy", "retry_after_seconds"]

#: Gateway answers that mean "try again": the request did not get an answer from the PBX.
RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times, after what, and how long to wait in between."""

    retries: int = 3
    backoff: float = 0.5
    retry_writes: bool = False

    def may_resend(self, *, read_only: bool) -> bool:
        """Whether a request that may have reached the PBX may be sent again."""
        return read_only or self.retry_writes

    def after_transport_error(self, exc: TransportError, *, read_only: bool, attempt: int) -> bool:
        """Retry after ``exc``? ``attempt`` counts the retries already made."""
        if attempt >= self.retries or not exc.transient:
            return False
        return not exc.request_sent or self.may_resend(read_only=read_only)

    def after_status(self, status: int, *, read_only: bool, attempt: int) -> bool:
        """Retry after an answer with ``status``? (A gateway error may hide an applied write.)"""
        return (
            status in RETRY_STATUSES
            and attempt < self.retries
            and self.may_resend(read_only=read_only)
        )

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry ``attempt`` (1-based): ``Retry-After`` if given
        (capped at a minute), else exponential back-off with jitter."""
        wait = retry_after_seconds(retry_after)
        if wait is not None:
            return min(wait, 60.0)
        base = self.backoff * (2 ** (attempt - 1))
        return min(base, 30.0) * (0.5 + random.random() / 2)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is no answer
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
