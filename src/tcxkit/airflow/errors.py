"""tcxkit errors as Airflow task failures.

Why two classes: Airflow retries a failed task unless it raised ``AirflowFailException``.
Retrying is right for a PBX that was briefly unreachable or answered 5xx, and wrong for a
wrong API key, a malformed request or a 404, which would only fail again (and repeated bad
logins can trip the PBX's anti-hacking lock-out). The message is the library's own, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import ServerError, TcxError, TransportError
from ._compat import AirflowException, AirflowFailException

__all__ = ["ThreeCXError", "ThreeCXPermanentError", "to_airflow_error", "translate_errors"]


class ThreeCXError(AirflowException):
    """A tcxkit call failed in a way that a retry may fix (network, timeout, 5xx)."""

    def __init__(self, error: TcxError) -> None:
        super().__init__(str(error))
        self.error = error
        self.exit_code = error.exit_code


class ThreeCXPermanentError(AirflowFailException):
    """A tcxkit call failed in a way a retry cannot fix (auth, validation, 4xx): no retries."""

    def __init__(self, error: TcxError) -> None:
        super().__init__(str(error))
        self.error = error
        self.exit_code = error.exit_code


def to_airflow_error(error: TcxError) -> AirflowException:
    """The Airflow exception to raise for a tcxkit error.

    A task retry re-sends the request, so a write is retryable only when it provably never
    left the worker (a transport error: tcxkit turns one that may have arrived into
    ``UncertainWriteError``). A 5xx answer to anything but a read (the action's effect, as
    the library's own retries decide: ``error.read_only``) may hide an applied change (a
    gateway timing out in front of a PBX that carried on): permanent, like the library.
    """
    if isinstance(error, TransportError):
        return ThreeCXError(error)
    if isinstance(error, ServerError) and error.read_only:
        return ThreeCXError(error)
    return ThreeCXPermanentError(error)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise tcxkit errors inside the block as Airflow task failures (chained)."""
    try:
        yield
    except TcxError as exc:
        raise to_airflow_error(exc) from exc
