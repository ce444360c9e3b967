"""Where domain modules plug behaviour into the emulator.

The HTTP app answers every operation generically (store-backed entity sets,
generated values, files).  A domain module overrides one operation by
registering a handler under its operationId, and seeds data with an
``on_start`` hook::

    from tcxkit.emulator.registry import Reply, RequestContext, handler, on_start

    @handler("RetreivePeersByNumbers")
    def peers_by_numbers(ctx: RequestContext) -> Reply:
        numbers = ctx.body["peersRequest"]["DnNumbers"]
        rows = ctx.entity_set("Peers").find(...)
        return ctx.collection(rows)

    @on_start
    def seed(state: AppState) -> None:
        if state.config.data == "demo": ...

A handler receives a validated request (path literals decoded, body checked
against the schema) and returns a :class:`Reply`, or raises
:class:`XapiError` (``ctx.fail(...)``) for a PBX-style error envelope.
``ctx.generic()`` runs the built-in behaviour, so a handler may wrap it.
Handlers registered for some releases only pass ``releases=("20.0.10",)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .files import content_disposition

if TYPE_CHECKING:
    from ..catalog import Action
    from .odata import QueryOptions
    from .state import AppState

__all__ = [
    "Handler",
    "Registry",
    "Reply",
    "RequestContext",
    "XapiError",
    "handler",
    "on_start",
    "registry",
]


@dataclass
class Reply:
    """What an operation answers: status, a JSON-able body or bytes, headers."""

    status: int = 200
    body: Any = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def no_content(cls) -> Reply:
        return cls(204)

    @classmethod
    def json(cls, body: Any, status: int = 200) -> Reply:
        return cls(status, body)

    @classmethod
    def file(cls, content: bytes, filename: str, content_type: str) -> Reply:
        """A download, with ``Content-Disposition: attachment`` as the PBX sends it."""
        return cls(
            200,
            content,
            content_type,
            {"Content-Disposition": content_disposition(filename)},
        )


class XapiError(Exception):
    """Raise from a handler to answer with the PBX error envelope.

    ``failures`` are ``(target, code)`` pairs: ``message`` defaults to the
    PBX form ``Target:\nCODE`` lines.  ``headers`` go with the answer (``Allow`` on a
    405).  It is also the one error type of the XAPI endpoint's own steps
    (authorisation, routing, decoding, body checks): :meth:`answer` carries a reply that
    is not an envelope (the bearer challenge, an injected fault) the same way.
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        failures: Iterable[tuple[str, str]] = (),
        *,
        headers: Mapping[str, str] | None = None,
    ):
        self.status = status
        self.failures = list(failures)
        if message is None:
            message = "\n".join(f"{t}:\n{c}" for t, c in self.failures)
        self.message = message
        self.headers = dict(headers or {})
        self.response: Any = None  # a ready HTTP response to send instead of the envelope
        super().__init__(message)

    @classmethod
    def answer(cls, response: Any) -> XapiError:
        """An error whose answer is ``response`` as it is (a starlette ``Response``)."""
        error = cls(response.status_code, "")
        error.response = response
        return error

    def envelope(self) -> dict[str, Any]:
        return {
            "error": {
                "code": "",
                "message": self.message,
                "details": [{"code": "", "message": c, "target": t} for t, c in self.failures],
            }
        }


@dataclass
class RequestContext:
    """One routed, validated request, as handlers see it."""

    action: Action
    state: AppState
    method: str
    path: str
    params: dict[str, Any]
    query_params: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]
    client_id: str | None = None
    base_url: str = ""
    _options: QueryOptions | None = None

    @property
    def config(self) -> Any:
        return self.state.config

    @property
    def store(self) -> Any:
        return self.state.store

    @property
    def options(self) -> QueryOptions:
        """The parsed OData query options (``$filter``, ``$top``…), parsed on first use."""
        if self._options is None:
            self._options = self.state.query_options(self.action, self.query_params)
        return self._options

    def entity_set(self, name: str) -> Any:
        """The store's entity set for a set name of this release (``"Users"``)."""
        return self.state.entity_set(name)

    def generic(self) -> Reply:
        """The built-in answer for this request (store CRUD, generated value or file)."""
        return self.state.behaviour.generic(self)

    def collection(self, items: list[dict[str, Any]], count: int | None = None) -> Reply:
        """A collection answer with ``@odata.context`` (and ``@odata.count`` when asked)."""
        return self.state.behaviour.collection_reply(self, items, count)

    def fail(
        self, status: int, *failures: tuple[str, str], message: str | None = None
    ) -> XapiError:
        """An error to raise: ``raise ctx.fail(400, ("Number", "WARNINGS.XAPI.DUPLICATE"))``."""
        return XapiError(status, message, failures)


Handler = Callable[[RequestContext], Reply | Awaitable[Reply]]
StartHook = Callable[["AppState"], None]


class Registry:
    """Handlers by operationId and start hooks, optionally per release."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[frozenset[str] | None, Handler, bool]]] = {}
        self.start_hooks: list[StartHook] = []

    def add(self, operation_id: str, fn: Handler, releases: Iterable[str] | None = None) -> None:
        rel = frozenset(releases) if releases is not None else None
        is_async = inspect.iscoroutinefunction(fn)
        self._handlers.setdefault(operation_id, []).insert(0, (rel, fn, is_async))

    def lookup(self, operation_id: str, release: str) -> tuple[Handler, bool] | None:
        """The newest handler registered for the operation and release, with its async flag."""
        for rel, fn, is_async in self._handlers.get(operation_id, ()):
            if rel is None or release in rel:
                return fn, is_async
        return None

    def operation_ids(self) -> list[str]:
        return sorted(self._handlers)


registry = Registry()


def handler(
    operation_id: str, *, releases: Iterable[str] | None = None
) -> Callable[[Handler], Handler]:
    """Decorator: use ``fn`` for ``operation_id`` (sync or async, returns a Reply)."""

    def decorate(fn: Handler) -> Handler:
        registry.add(operation_id, fn, releases)
        return fn

    return decorate


def on_start(fn: StartHook) -> StartHook:
    """Decorator: call ``fn(state)`` once per app, after the store exists (for seeding)."""
    registry.start_hooks.append(fn)
    return fn
