"""One error hierarchy for the library, the CLI, MCP and the Airflow provider.

Every error carries a ``message`` (what happened) and a ``hint`` (what to do
next, in the library's words); ``str(error)`` joins them.  Messages never
contain secrets: callers pass redacted URLs and bodies only.

The core decides, faces word it: :attr:`TcxError.facts` is what a face needs to
word an error its own way (:class:`ErrorFacts`: was it sent, may it have taken
effect, may the same request be tried again, and the hint as structured parts),
so the CLI, MCP and Airflow never re-derive those rules from classes and texts.
The CLI's exit statuses are the CLI's: :mod:`tcxkit.cli.exitcodes`. ``exit_code``
here is a deprecated alias of them, kept for code written against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectError",
    "ConnectionLost",
    "ErrorFacts",
    "FleetFailure",
    "HintPart",
    "IncompleteExportError",
    "NoMatchError",
    "NotFoundError",
    "OutputExistsError",
    "PartialFailure",
    "PermissionDeniedError",
    "Problem",
    "RequestTimeout",
    "ServerError",
    "StateFileError",
    "TLSError",
    "TcxError",
    "TransportError",
    "UncertainWriteError",
    "UnexpectedContentError",
    "UnknownActionError",
    "UnsupportedActionError",
    "UsageError",
    "ValidationError",
]


class HintPart(NamedTuple):
    """One piece of what to do next, for a face to word (its ``hint`` is the library's wording).

    ``kind`` says which piece, ``subject`` what it is about:

    - ``describe`` (the action): look up the action's parameters and body.
    - ``suggest`` (a tuple of action ids): names close to the one given.
    - ``find_action`` (``None``): search the catalog for the action wanted.
    - ``check_write`` (the action, or ``""``): read the object back before sending again.
    - ``text`` (the library's hint): no structure; a face shows it, marked as meant for
      the person who runs the tool when it names a command line.
    """

    kind: str
    subject: Any = None


@dataclass(frozen=True, slots=True)
class ErrorFacts:
    r"""What a face needs to word an error; the core decides them (see the module docstring).

    - ``sent``: the request may have reached the PBX (False: provably not; None: no request).
    - ``effect``: ``"read"`` when the request only read, ``"change"`` when it may change the
      PBX, None when no request is involved or it is not known.
    - ``retryable``: sending the same request again later may succeed and is safe (at most
      once: never for a change that may have arrived).
    - ``uncertain``: a change may have been applied; check before sending it again.
    - ``hint``: the next steps as :class:`HintPart`\ s.
    """

    sent: bool | None
    effect: str | None
    retryable: bool
    uncertain: bool
    hint: tuple[HintPart, ...]


class TcxError(Exception):
    """Base of every error tcxkit raises on purpose."""

    #: Deprecated: the CLI's exit status, now :func:`tcxkit.cli.exitcodes.exit_code_of`.
    exit_code = 1
    #: What went wrong in two or three words (a fleet's summary names each PBX's).
    title = "error"

    def __init_subclass__(
        cls, *, title: str | None = None, exit_code: int | None = None, **kwargs: Any
    ) -> None:
        """``class NotFoundError(ApiError, title="not found", exit_code=7)``: a class says
        what it is in its header, so the hierarchy reads as one table; unnamed ones inherit."""
        super().__init_subclass__(**kwargs)
        if title is not None:
            cls.title = title
        if exit_code is not None:
            cls.exit_code = exit_code

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n{self.hint}"
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable form, used by items mode and Airflow task logs."""
        data: dict[str, Any] = {"type": type(self).__name__, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        return data

    @property
    def facts(self) -> ErrorFacts:
        """What a face needs to word this error (:class:`ErrorFacts`)."""
        return ErrorFacts(
            sent=self._sent(),
            effect=self._effect(),
            retryable=self._retryable(),
            uncertain=False,
            hint=self._hint_parts(),
        )

    # Subclasses state their own facts; the defaults fit an error raised before any request.
    def _sent(self) -> bool | None:
        return None

    def _effect(self) -> str | None:
        return None

    def _retryable(self) -> bool:
        return False

    def _hint_parts(self) -> tuple[HintPart, ...]:
        return (HintPart("text", self.hint),) if self.hint else ()


class UsageError(TcxError, title="usage error", exit_code=2):
    """The call itself is malformed: bad option, malformed JSON, bad argument."""


class ConfigurationError(UsageError, title="configuration error"):
    """Missing or inconsistent connection settings."""


class OutputExistsError(UsageError, title="file exists"):
    """A download would replace an existing file and the caller did not allow it."""


class UnknownActionError(UsageError, title="unknown action"):
    """An action id that no catalog knows."""

    def __init__(self, name: str, suggestions: list[str], release: str) -> None:
        hint = (
            "Did you mean: " + ", ".join(suggestions) + "?"
            if suggestions
            else "List the actions with `3cx actions` or `tcxkit.catalog().search(...)`."
        )
        super().__init__(f"No action named {name!r} in XAPI {release}.", hint=hint)
        self.name = name
        self.suggestions = suggestions

    def _hint_parts(self) -> tuple[HintPart, ...]:
        if self.suggestions:
            return (HintPart("suggest", tuple(self.suggestions)),)
        return (HintPart("find_action"),)


class Problem(NamedTuple):
    """One reason a request was refused before it was sent."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationError(TcxError, title="invalid request", exit_code=3):
    """Parameters or body do not fit the action; nothing was sent."""

    def __init__(self, action: str, problems: list[Problem], *, hint: str | None = None) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        n = len(problems)
        super().__init__(
            f"{action}: {n} problem{'s' if n != 1 else ''} in the request, nothing was sent:\n{lines}",
            hint=hint or f"See the parameters with `3cx actions show {action}`.",
        )
        self.action = action
        self.problems = problems
        self._own_hint = hint is not None

    def _sent(self) -> bool | None:
        return False

    def _hint_parts(self) -> tuple[HintPart, ...]:
        own = (HintPart("text", self.hint),) if self._own_hint else ()
        return (*own, HintPart("describe", self.action))

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["problems"] = [{"path": p.path, "message": p.message} for p in self.problems]
        return data


class UnsupportedActionError(UsageError, title="not in this release"):
    """The PBX runs a release that does not have this action."""


class TransportError(TcxError, title="cannot connect", exit_code=4):
    """The PBX could not be reached, or the exchange broke off before an answer.

    Two facts decide whether the request may be sent again (:mod:`tcxkit.retry`):

    * ``request_sent`` -- False only when the request provably never left this machine
      (no connection was made: refused, DNS, TLS handshake, connect or pool timeout);
      True when it may have reached the PBX (dropped after sending, read timeout).
    * ``transient`` -- whether trying again soon can help (a refused connection or a
      name that does not resolve will not heal within a retry's back-off).
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        request_sent: bool = True,
        transient: bool = True,
    ) -> None:
        super().__init__(message, hint=hint)
        self.request_sent = request_sent
        self.transient = transient

    def _sent(self) -> bool | None:
        return self.request_sent

    def _retryable(self) -> bool:
        # A change that may have arrived is an UncertainWriteError, never a TransportError,
        # so what reaches a face here is safe to send again; whether it can help is transient.
        return self.transient


class ConnectError(TransportError):
    """No connection to the PBX: nothing was sent."""


class TLSError(TransportError, title="TLS failure"):
    #: The port answered the TLS handshake in plain HTTP (OpenSSL: "wrong version number",
    #: "record layer failure"): the fix is an http:// URL or the HTTPS port, not a CA.
    plain_http = False


class RequestTimeout(TransportError, title="timeout"):
    """The PBX did not answer in time (connect, read or pool timeout)."""


class ConnectionLost(TransportError, title="connection lost"):
    """The connection broke after the request was (perhaps partly) sent."""


class UncertainWriteError(TcxError, title="write may have been applied", exit_code=11):
    """A write (POST, PATCH, DELETE) may have been applied, and was therefore not re-sent.

    The request left this machine and then the exchange broke off (connection dropped,
    read timeout), so nobody knows whether the PBX carried it out. Re-sending could
    create a second user or apply a change twice, so tcxkit stops and says how to check.
    Deliberately *not* a :class:`TransportError`: code that retries on transport errors
    must not re-send a write by accident. ``cause`` is the transport error behind it.
    """

    def __init__(self, method: str, url: str, cause: TransportError, *, action: str = "") -> None:
        super().__init__(
            f"{method} {url} may have been applied by the PBX: {cause.message.rstrip('.')}. "
            "It was sent once and not re-sent, so that it cannot take effect twice.",
            hint=(
                "Check on the PBX before trying again: after a create, look the object up "
                "(e.g. client.call('ListUser', filter=\"Number eq '100'\")); after an update or "
                "delete, get the object and compare. Where a duplicate does no harm, "
                "Client(retry_writes=True) re-sends such writes instead."
            ),
        )
        self.method = method
        self.url = url
        self.cause = cause
        #: The action that was sent (e.g. ``CreateUser``), when known: faces name it.
        self.action = action

    @property
    def facts(self) -> ErrorFacts:
        return ErrorFacts(
            sent=True,
            effect="change",
            retryable=False,
            uncertain=True,
            hint=(HintPart("check_write", self.action),),
        )


class ApiError(TcxError, title="request failed", exit_code=8):
    """The PBX answered with an error status.

    ``code``/``details`` come from the OData error envelope when there is one;
    ``details`` is a list of ``{"code", "message", "target"}`` dicts, one per
    failing property.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str = "",
        url: str = "",
        code: str = "",
        details: list[dict[str, Any]] | None = None,
        body: Any = None,
        hint: str | None = None,
        headers: Mapping[str, str] | None = None,
        read_only: bool | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.method = method
        #: Whether the request only read (its action's effect is ``read``): only then may a
        #: failed one be sent again. A request made for no action (a download link) reads
        #: when it was a GET.
        self.read_only = method == "GET" if read_only is None else read_only
        self.url = url
        self.code = code
        self.details = details or []
        self.body = body
        #: The answer's headers, names in lower case (``retry-after``, ``x-3cx-version``...).
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}

    def _sent(self) -> bool | None:
        return True

    def _effect(self) -> str | None:
        return "read" if self.read_only else "change"

    def _retryable(self) -> bool:
        # Only a read may be sent again after an answer, and only when the answer says the
        # server could not do it now (5xx, 408, 429): a 5xx to a change may hide an applied one.
        return self.read_only and (self.status >= 500 or self.status in (408, 429))

    def reworded(self, message: str, *, hint: str | None = None) -> Self:
        """The same answer to the same request, in the words of a caller that knows what was
        asked for (a CLI lookup by number says which number had no match).

        Every fact of the exchange (status, method, URL, envelope, headers, effect) is kept,
        so a face words the copy exactly as it would the original; raise it ``from`` self.
        """
        copy = BaseException.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        Exception.__init__(copy, message)
        copy.message = message
        copy.hint = hint
        return copy

    @property
    def retry_after(self) -> str | None:
        """The ``Retry-After`` header, if the server sent one."""
        return self.headers.get("retry-after")

    @property
    def pbx_version(self) -> str | None:
        """The PBX's ``X-3CX-Version`` (absent when a proxy, not the PBX, answered)."""
        return self.headers.get("x-3cx-version")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["status"] = self.status
        if self.code:
            data["code"] = self.code
        if self.details:
            data["details"] = self.details
        return data


class AuthenticationError(ApiError, title="authentication failed", exit_code=5):
    """The PBX refused the credentials or the token (401, or a refused token request)."""


class PermissionDeniedError(ApiError, title="permission denied", exit_code=6):
    """The PBX refused this API client the request: its role is too low or its
    address is not allowed (403)."""


class NotFoundError(ApiError, title="not found", exit_code=7):
    """The PBX has no such object or path (404)."""


class ServerError(ApiError, title="server error", exit_code=9):
    """The PBX failed to carry out the request (5xx), or answered it with malformed JSON."""


class UnexpectedContentError(ApiError, title="not an API answer", exit_code=12):
    """A success status with content that does not fit the action.

    An HTML page where JSON or a file was due, or a JSON error body instead of
    a file: the answer did not come from the 3CX API (a wrong URL or port, a
    web login page, a captive portal, a proxy's page).  ``content_type`` and
    ``head`` (the first bytes, for a look) say what came back.
    """

    def __init__(self, message: str, *, content_type: str, head: bytes, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.content_type = content_type
        self.head = head

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["content_type"] = self.content_type
        return data


class DownloadTooLarge(TcxError, title="download too large", exit_code=12):
    """A download ran past the size the PBX itself announced for it (e.g. a backup's
    listed ``Size``): reading stops there, so a server that streams forever cannot fill
    the disk, and the partial file is removed."""

    def __init__(self, message: str, *, limit: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit


class NoMatchError(TcxError, title="no match", exit_code=7):
    """A search (``3cx actions WORDS``) found nothing; exits like a 404."""


class StateFileError(TcxError, title="invalid state file", exit_code=3):
    """A configuration file (``3cx state``) cannot be read or used; nothing was sent.

    Exit 3 rather than a usage error's 2: ``3cx state plan`` exits 2 for "changes".
    """


class IncompleteExportError(TcxError, title="export incomplete", exit_code=13):
    """An export could not be proven complete: the PBX's own count and the rows it gave
    differ, or a window could not be read however small.  Nothing past the last complete
    window is kept, so the export can be resumed once the cause is gone."""


class PartialFailure(TcxError, title="partial failure", exit_code=10):
    """Items mode: some items failed (they were reported as they happened)."""


class FleetFailure(PartialFailure):
    """Some PBXs of a fleet failed (``tcxkit.Fleet``, ``3cx --fleet``); the others succeeded.

    ``failures`` are the failed :class:`tcxkit.fleet.FleetResult` rows, each with the PBX's
    name and its own error.  The exit code is 10, except when every PBX failed for the same
    kind of reason: then it is that reason's code (all unreachable: 4), so a script can tell
    "the fleet is down" from "one customer is down".
    """

    def __init__(self, failures: list[Any], total: int) -> None:
        shown = "; ".join(f"{r.pbx}: {r.error.title}" for r in failures[:5])
        more = f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
        every = len(failures) == total
        super().__init__(
            f"{_how_many_failed(len(failures), total)} ({shown}{more}).",
            hint="Each failed PBX has its own error row"
            + ("." if every else "; the others' results are complete."),
        )
        self.failures = failures
        self.total = total
        if every:
            self.title = "fleet failure"  # nothing partial about it
        codes = {r.error.exit_code for r in failures}
        if len(failures) == total and len(codes) == 1:
            self.exit_code = codes.pop()


def _how_many_failed(failed: int, total: int) -> str:
    """``2 of 5 PBXs failed``; when none succeeded, not a fraction that suggests others."""
    if failed < total:
        return f"{failed} of {total} PBXs failed"
    return "The fleet's one PBX failed" if total == 1 else f"All {total} PBXs failed"
