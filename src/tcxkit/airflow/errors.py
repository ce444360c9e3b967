"""tcxkit errors as Airflow task failures.

Why two classes: Airflow retries a failed task unless it raised ``AirflowFailException``.
Retrying is right for a PBX that was briefly unreachable or answered 5xx to a read, and
wrong for a wrong API key, a malformed request or a 404, which would only fail again (and
repeated bad logins can trip the PBX's anti-hacking lock-out). Which is which is the core's
decision (``error.facts.retryable``); this module only words it for Airflow. The message is
the library's own, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import TcxError
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

    A task retry re-sends the request, so it is allowed exactly when the core says the same
    request may be sent again (:attr:`tcxkit.errors.ErrorFacts.retryable`): a transport
    error that can heal (``TransportError.transient``; one that may have carried a change
    is an ``UncertainWriteError``, never retried), or a 5xx/408/429 answer to a read. A 5xx
    to anything else may hide an applied change: permanent, like the library's own retries.
    """
    return ThreeCXError(error) if error.facts.retryable else ThreeCXPermanentError(error)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise tcxkit errors inside the block as Airflow task failures (chained)."""
    try:
        yield
    except TcxError as exc:
        raise to_airflow_error(exc) from exc
