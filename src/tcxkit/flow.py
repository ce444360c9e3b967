"""The client's logic as I/O-free generators, driven by a sync or an async loop.

A flow ``yield``s what it needs done -- :class:`Send` an HTTP request,
:class:`Sleep`, :class:`NeedToken`, or :class:`Load`/:class:`Save` the token
store -- and receives the outcome.  Token reuse, the one-retry-on-401 rule,
backoff, release detection and response interpretation are therefore written
once; ``Client`` and ``AsyncClient`` only carry out the steps (see
:mod:`tcxkit.client`), the async one without ever blocking its event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from .auth import TokenState, parse_token_response, store_for, token_form, token_key
from .catalog import DEFAULT_RELEASE, Action, Catalog, catalog
from .errors import TransportError, UncertainWriteError, UsageError
from .pipeline import PreparedRequest, RawResponse, check_request_line, interpret, prepare
from .releases import ReleaseState
from .retry import RetryPolicy

__all__ = ["ClientCore", "Flow", "Load", "NeedToken", "Save", "Send", "Sleep"]

log = logging.getLogger("tcxkit.http")


@dataclass(slots=True)
class Send:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None = None
    stream_to: str | None = None  # write a 2xx non-JSON body to this path
    max_bytes: int | None = None  # stop (DownloadTooLarge) once stream_to would exceed this


@dataclass(slots=True)
class Sleep:
    seconds: float


@dataclass(slots=True)
class NeedToken:
    """Fetch a token unless another caller already replaced ``stale``."""

    stale: str | None


@dataclass(slots=True)
class Load:
    """Read the token store's entry for ``key``; the outcome is the entry or None.

    ``shared``: a first look (no token yet, no 401 behind it), which a driver may answer
    with a read already in flight for the same key -- a PBX's first calls all start at
    once, and each reading the store would cost a thread and a file read per call.  A
    re-read after a 401 is never shared: it must see what was stored after the 401.
    """

    key: str
    shared: bool = False


@dataclass(slots=True)
class Save:
    """Write ``entry`` to the token store under ``key``."""

    key: str
    entry: dict[str, Any]


Step = Send | Sleep | NeedToken | Load | Save
Flow = Generator[Step, Any, Any]


@dataclass
class ClientCore:
    """Configuration and state shared by the sync and async clients."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    release: str = "auto"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    token_cache: Any = True
    user_agent: str = ""

    @property
    def base_headers(self) -> dict[str, str]:
        """Headers of every request: the drivers put them on their HTTP client (a
        caller's ``http=`` client keeps its own) and into each request they build."""
        headers = {"Accept": "application/json"}
        if self.user_agent:
            headers["User-Agent"] = self.user_agent
        return headers

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if self.base_url.endswith("/xapi/v1"):
            self.base_url = self.base_url[: -len("/xapi/v1")]
        self.store = store_for(self.token_cache)
        self.tokens = TokenState(token_key(self.base_url, self.client_id, self.client_secret))
        self.releases = ReleaseState(self.release)

    # -- release (the rule lives in tcxkit.releases) ---------------------------
    @property
    def pbx_version(self) -> str | None:
        return self.releases.pbx_version

    @property
    def resolved(self) -> bool:
        return self.releases.resolved

    @property
    def catalog(self) -> Catalog:
        """The catalog in use; before the PBX is asked, the newest one."""
        return self.releases.catalog

    def _note_headers(self, raw: RawResponse) -> Flow:
        seen = raw.headers.get("x-3cx-version")
        if self.releases.saw(seen) and self.tokens.set_version(seen):
            yield from self._save()

    # -- the token store (carried out by the driver) ---------------------------
    def _load(self, shared: bool = False) -> Flow:
        if self.store is not None:
            self.tokens.merge((yield Load(self.tokens.key, shared)))

    def _save(self) -> Flow:
        if self.store is not None:
            yield Save(self.tokens.key, self.tokens.snapshot())

    def resolve_flow(self) -> Flow:
        """Pick the catalog for the PBX's release (remembered for a day)."""
        if self.releases.resolved:
            return self.releases.catalog
        if not self.tokens.has_version():
            yield from self._load(shared=True)
        remembered = self.tokens.pbx_version()
        if remembered:
            return self.releases.adopt(remembered)
        probe_action = catalog(DEFAULT_RELEASE).require("GetDefs")
        probe = prepare(probe_action, {"select": ["Id"]}, catalog(DEFAULT_RELEASE))
        raw = yield from self.exchange(probe, interpret_result=False)
        return self.releases.adopt(raw.headers.get("x-3cx-version"))

    def action(self, name: str) -> Action:
        """The action in the catalog in use, or why the PBX's release lacks it."""
        return self.releases.action(name)

    # -- flows -----------------------------------------------------------------
    def call_flow(
        self,
        name: str,
        args: dict[str, Any],
        stream_to: str | None = None,
        max_bytes: int | None = None,
    ) -> Flow:
        cat = yield from self.resolve_flow()
        act = self.action(name)
        prepared = prepare(act, args, cat)
        return (yield from self.exchange(prepared, stream_to=stream_to, max_bytes=max_bytes))

    def link_flow(self, link: str, stream_to: str | None, max_bytes: int | None = None) -> Flow:
        """GET a link the PBX handed out (a backup's ``DownloadLink``) with our token.

        The token is only ever sent to the PBX itself: an absolute link to
        another host is refused.
        """
        from urllib.parse import urlsplit

        if not link or not isinstance(link, str):
            raise UsageError(
                f"Download link {link!r} is empty.",
                hint="Pass the DownloadLink of an item the PBX listed (e.g. ListBackups).",
            )
        base = urlsplit(self.base_url)
        parts = urlsplit(link)
        if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc.lower()) != (
            base.scheme,
            base.netloc.lower(),
        ):
            raise UsageError(
                f"Download link {link!r} points to another host than {self.base_url}.",
                hint="Only links on the PBX itself are fetched, so the API token stays there.",
            )
        path = parts.path if parts.path.startswith("/") else "/" + parts.path
        prepared = PreparedRequest(
            action=None, method="GET", path=path, query=parts.query, label="DownloadLink"
        )
        check_request_line(prepared)
        return (yield from self.exchange(prepared, stream_to=stream_to, max_bytes=max_bytes))

    def _adoptable(self, stale: str | None) -> Flow:
        """Re-read the store; a fresh token other than ``stale`` there, else None."""
        yield from self._load()  # another process (or host) may have fetched one meanwhile
        current = self.tokens.token()
        if current is not None and current.fresh() and current.access_token != stale:
            return current.access_token
        return None

    def token_flow(self, stale: str | None) -> Flow:
        """Fetch and store a new token; the driver holds the locks around this.

        A replacement for a rejected token (``stale``) is spaced from the last fetch that
        any sharer of the store recorded: when that was under :data:`~tcxkit.auth.REFETCH_SPACING`
        ago, wait the rest and re-read first -- the newer token is most likely already there,
        and a PBX that sees a burst of token requests may lock the client out.
        """
        adopted = yield from self._adoptable(stale)
        if adopted is not None:
            return adopted
        wait = self.tokens.refetch_wait() if stale is not None else 0.0
        if wait > 0:
            log.info("Token rejected right after a fetch; waiting %.2f s for the newest", wait)
            yield Sleep(wait)
            adopted = yield from self._adoptable(stale)
            if adopted is not None:
                return adopted
        url = f"{self.base_url}/connect/token"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        raw = yield from self._send_with_retries(
            Send("POST", url, headers, token_form(self.client_id, self.client_secret)),
            read_only=True,  # a token request has no side effect worth protecting
        )
        yield from self._note_headers(raw)
        release = self.catalog.release if self.resolved else self.pbx_version
        token = parse_token_response(raw.status, raw.content, url=url, release=release)
        self.tokens.set_token(token, fetched_at=time.time())
        yield from self._save()
        return token.access_token

    def current_token_flow(self, stale: str | None = None) -> Flow:
        """The token to send: this process's, else the store's, else a fetched one.

        After a 401 (``stale`` set) the store is always re-read before asking for a fetch:
        on a cluster the rejection usually means another worker fetched a newer token, which
        is then taken instead of fetching one more (that would revoke the other's in turn).
        """
        token = self.tokens.token()
        if token is None or stale is not None:
            yield from self._load(shared=stale is None)
            token = self.tokens.token()
        if token is not None and token.fresh() and token.access_token != stale:
            return token.access_token
        return (yield NeedToken(stale))

    def exchange(
        self,
        prepared: PreparedRequest,
        *,
        stream_to: str | None = None,
        max_bytes: int | None = None,
        interpret_result: bool = True,
    ) -> Flow:
        """Send with the shared token; refresh once on 401; retry what is safe."""
        url = self.base_url + prepared.target
        content = prepared.content()
        token = yield from self.current_token_flow()
        refreshed = False
        read_only = prepared.read_only
        while True:
            headers = {"Authorization": f"Bearer {token}"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            headers.update(prepared.headers)
            raw = yield from self._send_with_retries(
                Send(prepared.method, url, headers, content, stream_to, max_bytes),
                read_only=read_only,
                action=prepared.name,
            )
            yield from self._note_headers(raw)
            if raw.status == 401 and not refreshed:
                refreshed = True
                # Forget it here only: the store may already hold another worker's newer token,
                # which writing our loss back would erase.
                self.tokens.forget(token)
                token = yield from self.current_token_flow(stale=token)
                continue
            if not interpret_result:
                if raw.status >= 400:
                    interpret(prepared, raw, url=url)  # raises the matching error
                return raw
            return interpret(prepared, raw, url=url)

    def _send_with_retries(self, send: Send, *, read_only: bool, action: str = "") -> Flow:
        """Send, retrying what :class:`~tcxkit.retry.RetryPolicy` allows; a write that
        may have reached the PBX becomes :class:`~tcxkit.errors.UncertainWriteError`."""
        policy = self.retry
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                raw: RawResponse = yield send
            except TransportError as exc:
                if policy.after_transport_error(exc, read_only=read_only, attempt=attempt):
                    attempt += 1
                    log.debug("%s %s failed (%s); retry %d", send.method, send.url, exc, attempt)
                    yield Sleep(policy.delay(attempt))
                    continue
                if exc.request_sent and not read_only:
                    raise UncertainWriteError(send.method, send.url, exc, action=action) from exc
                raise
            log.debug(
                "%s %s -> %d (%.1f ms)",
                send.method,
                send.url,
                raw.status,
                (time.perf_counter() - started) * 1000,
            )
            if policy.after_status(raw.status, read_only=read_only, attempt=attempt):
                attempt += 1
                yield Sleep(policy.delay(attempt, raw.headers.get("retry-after")))
                continue
            return raw
