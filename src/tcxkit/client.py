"""``Client`` and ``AsyncClient``: drivers for the flows in :mod:`tcxkit.flow`.

Everything but moving bytes lives in the shared core; here each client
implements three steps (send, sleep, fetch a token under a lock) and maps
httpx's exceptions onto ours.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import difflib
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from ._httpx import LeanAsyncClient, LeanClient, httpx
from ._version import __version__
from .auth import TokenStore
from .catalog import Catalog
from .downloads import download_target
from .errors import (
    ConfigurationError,
    ConnectError,
    ConnectionLost,
    DownloadTooLarge,
    Problem,
    RequestTimeout,
    TLSError,
    TransportError,
    UsageError,
    ValidationError,
)
from .flow import ClientCore, Flow, Load, NeedToken, Save, Send, Sleep
from .paging import Pager
from .pipeline import RawResponse
from .results import FileResult, finish_download
from .retry import RetryPolicy
from .urls import check_url

__all__ = ["AsyncClient", "Client"]

log = logging.getLogger("tcxkit.http")

DEFAULT_TIMEOUT = 30.0


def _deprecated(old: str, new: str) -> None:
    import warnings

    warnings.warn(f"{old} is deprecated: use {new}.", DeprecationWarning, stacklevel=3)


def _check_base_url(base_url: str) -> str:
    if not base_url or "://" not in base_url:
        raise ConfigurationError(
            f"The PBX URL {base_url!r} is not a URL.",
            hint="Give it as https://pbx.example.com (port 5001 for self-hosted, 443 for hosted).",
        )
    return base_url


_CONNECT_HINT = "Check the URL and port (self-hosted PBXs use 5001), DNS, and any firewall between."


#: OpenSSL's words when the "TLS record" it read was an HTTP answer (1.1/3.0, 3.2+).
_PLAIN_HTTP_MARKERS = ("wrong version number", "record layer failure")


def speaks_plain_http(text: str) -> bool:
    """Whether a handshake failed because the server answered in plain HTTP."""
    low = text.lower().replace("_", " ")
    return any(m in low for m in _PLAIN_HTTP_MARKERS)


def _transport_error(exc: Exception, url: str) -> TransportError:
    """Map httpx's exception onto ours, deciding whether the request left this machine.

    httpx raises ``ConnectError``/``ConnectTimeout``/``PoolTimeout`` before a byte of the
    request is written; every other transport error (read timeout, dropped connection,
    protocol error, write failure) may come after the PBX received the request.
    """
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return RequestTimeout(
            f"No connection to {url} in time ({type(exc).__name__}); nothing was sent.",
            hint="Check that the PBX is up and reachable, or raise the timeout (--timeout).",
            request_sent=False,
        )
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeout(
            f"No answer from {url} in time ({type(exc).__name__}).",
            hint="Raise the timeout (timeout=..., --timeout) or narrow the query (date range, $top).",
        )
    if not isinstance(exc, httpx.ConnectError):
        return ConnectionLost(
            f"The connection to {url} broke off after the request was sent: {text.rstrip('.')}.",
            hint="A proxy or the PBX closed it; check both, or try again later.",
        )
    chain = _causes(exc)
    if (
        any(isinstance(c, ssl.SSLError) for c in chain)
        or "SSL" in text
        or "certificate" in text.lower()
    ):
        if speaks_plain_http(text):
            err = TLSError(
                f"TLS failed for {url}: {text}; the port answers in plain HTTP, not TLS.",
                hint="Use an http:// URL for this port (allow_http=True unless it is this "
                "machine), or the PBX's HTTPS port (self-hosted 5001, hosted 443).",
                request_sent=False,
                transient=False,
            )
            err.plain_http = True
            return err
        return TLSError(
            f"TLS failed for {url}: {text}",
            hint=(
                "If the PBX uses a private CA, pass its certificate (verify='ca.pem', --ca-bundle "
                "PATH); to skip verification on a lab PBX only, verify=False / --insecure."
            ),
            request_sent=False,
            transient=False,
        )
    # Refused, or the name does not resolve: nothing listens there now, and a back-off of
    # a few seconds will not change that -- fail fast instead of retrying.
    hopeless = any(isinstance(c, ConnectionRefusedError | socket.gaierror) for c in chain) or any(
        marker in text
        for marker in (
            "Connection refused",
            "Name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
        )
    )
    return ConnectError(
        f"Cannot connect to {url}: {text}",
        hint=_CONNECT_HINT,
        request_sent=False,
        transient=not hopeless,
    )


def _invalid_url(exc: Exception, send: Send) -> ValidationError:
    """httpx's refusal to build a URL (too long, a control character...), in our words:
    nothing was sent, so it is a request that does not fit, exit 3 on the command line."""
    shown = send.url if len(send.url) <= 120 else send.url[:100] + f"... ({len(send.url)} chars)"
    return ValidationError(
        f"{send.method} {shown}",
        [Problem("url", f"cannot be sent: {str(exc).rstrip('.')}")],
        hint="Check the PBX URL and the values that go into the path or query.",
    )


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from (httpx -> httpcore -> OSError)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _store_step(core: ClientCore, step: Load | Save) -> Any:
    """Carry out a token-store step (blocking; the async driver runs it in a thread)."""
    assert core.store is not None  # flows only ask when there is a store
    if isinstance(step, Load):
        return core.store.load(step.key)
    core.store.save(step.key, step.entry)
    return None


def _store_lock(core: ClientCore) -> contextlib.AbstractContextManager[None]:
    """The store's cross-process lock around a token fetch (none without a store)."""
    return core.store.lock(core.tokens.key) if core.store is not None else contextlib.nullcontext()


def _in_thread(fn: Any, *args: Any) -> concurrent.futures.Future[Any]:
    """Run ``fn`` in a thread of its own; the future is never cancelled (``fn`` always runs).

    Not the event loop's executor: a job still queued there is dropped when the task that
    awaits it is cancelled, and a lock release that never runs leaves the lock taken.
    """
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=run, name="tcxkit-token-lock", daemon=True).start()
    return future


def _release(held: contextlib.AbstractContextManager[None]) -> None:
    """Give the store's lock back; a store that fails to is not worth a call's failure."""
    try:
        held.__exit__(None, None, None)
    except Exception as exc:
        log.debug("The token store's lock could not be released: %s", exc)


def _release_if_taken(
    taken: concurrent.futures.Future[Any], held: contextlib.AbstractContextManager[None]
) -> None:
    """Done-callback of a lock taken for a caller that left meanwhile: give it back."""
    if taken.cancelled() or taken.exception() is not None:
        return  # never taken
    _in_thread(_release, held)


def _raw(response: httpx.Response, content: bytes = b"", **saved: Any) -> RawResponse:
    # One pass into a plain dict of lower-case names: the pipeline reads several
    # headers per response, and each httpx.Headers lookup scans and decodes.
    headers = {k.lower(): v for k, v in response.headers.items()}
    return RawResponse(response.status_code, headers, content, **saved)


def _advance(flow: Flow, outcome: Any = None, error: Exception | None = None) -> tuple[bool, Any]:
    """Feed a flow one outcome (or error): ``(True, result)`` when it is done,
    else ``(False, next_step)``."""
    try:
        return False, (flow.throw(error) if error is not None else flow.send(outcome))
    except StopIteration as stop:
        return True, stop.value


class _Base:
    _core: ClientCore
    _http_class: Any = LeanClient

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        release: str = "auto",
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: bool | str | ssl.SSLContext = True,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        retries: int = 3,
        retry_writes: bool = False,
        backoff: float = 0.5,
        token_cache: bool | str | os.PathLike[str] | TokenStore = True,
        http: httpx.Client | httpx.AsyncClient | None = None,
        retry_post: bool | None = None,
        version: str | None = None,
        allow_http: bool = False,
    ) -> None:
        if retry_post is not None:
            _deprecated("retry_post", "retry_writes (it covers PATCH and DELETE too)")
            retry_writes = retry_post
        if version is not None:
            _deprecated("version=", "release=")
            release = version
        if not client_id or not client_secret:
            raise ConfigurationError(
                "A client id and an API key are needed.",
                hint="Create an API client in the 3CX admin console (Integrations > API).",
            )
        self._core = ClientCore(
            _check_base_url(check_url(base_url, allow_http=allow_http)),
            client_id,
            client_secret,
            release=release,
            retry=RetryPolicy(retries=retries, backoff=backoff, retry_writes=retry_writes),
            token_cache=token_cache,
            user_agent=f"tcxkit/{__version__}",
        )
        self._namespaces: dict[str, Any] = {}
        self._http = http or self._http_class(
            timeout=timeout,
            verify=verify,
            transport=transport,
            follow_redirects=False,
            headers=self._core.base_headers,
        )
        if http is not None:  # a caller's client keeps its own headers where it has them
            for name, value in self._core.base_headers.items():
                http.headers.setdefault(name, value)
        self._owns_http = http is None
        self._headers = dict(self._core.base_headers)
        self._extensions = {"timeout": self._http.timeout.as_dict()}
        self._token_lock: Any = None  # AsyncClient: an asyncio.Lock made in the running loop
        self._loading: dict[str, Any] = {}  # AsyncClient: token-store reads in flight, by key
        self._in_flight: Any = None  # AsyncClient: (loop, semaphore) of max_in_flight

    def _request(self, send: Send) -> httpx.Request:
        """The httpx request for a step.

        On our own HTTP client the request is built directly: its URL is absolute and
        it has no cookies or query parameters to merge, and ``build_request``'s merging
        costs several microseconds a call. A caller's client (``http=``) gets the full
        merge, so its own headers, cookies and timeouts apply.
        """
        try:
            if not self._owns_http:
                return self._http.build_request(
                    send.method, send.url, headers=send.headers, content=send.content
                )
            return httpx.Request(
                send.method,
                send.url,
                headers={**self._headers, **send.headers},
                content=send.content,
                extensions=self._extensions,
            )
        except httpx.InvalidURL as exc:
            raise _invalid_url(exc, send) from None

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def client_id(self) -> str:
        return self._core.client_id

    @property
    def pbx_version(self) -> str | None:
        """The ``X-3CX-Version`` the PBX sent last, e.g. ``20.0.10.1621``."""
        return self._core.pbx_version

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        core = self.__dict__.get("_core")
        if core is None:
            raise AttributeError(name)
        from .resources import ResourceNamespace, resource_names

        cat = core.catalog
        resource = cat.resource_name(name)
        names = resource_names(cat)
        if resource is None or name != names.get(resource):
            close = difflib.get_close_matches(name, list(names.values()), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise AttributeError(
                f"{type(self).__name__} has no resource {name!r}{hint}; "
                "see dir(client) or `3cx actions`"
            )
        ns = self._namespaces.get(name)
        if ns is None:
            ns = self._namespaces[name] = ResourceNamespace(self, cat, resource)
        return ns

    def __dir__(self) -> list[str]:
        from .resources import resource_names

        return sorted(set(super().__dir__()) | set(resource_names(self._core.catalog).values()))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} client_id={self.client_id!r}>"


class Client(_Base):
    """Synchronous XAPI client.

    >>> with Client("https://pbx.example.com", "api-client", secret) as c:
    ...     c.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [100, 101]})
    """

    # -- driver ----------------------------------------------------------------
    def _run(self, flow: Flow) -> Any:
        done, step = _advance(flow)
        while not done:
            try:
                outcome = self._perform(step)
            except TransportError as exc:
                done, step = _advance(flow, error=exc)
            else:
                done, step = _advance(flow, outcome)
        return step

    def _perform(self, step: Send | Sleep | NeedToken | Load | Save) -> Any:
        if isinstance(step, Send):
            return self._send(step)
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        if isinstance(step, NeedToken):
            return self._token(step.stale)
        return _store_step(self._core, step)

    def _send(self, send: Send) -> RawResponse:
        # Never a redirect, even on a caller's http= client: a 307 re-sends the body
        # (the client secret) and the Authorization header to where the PBX points.
        request = self._request(send)
        try:
            if send.stream_to is None:
                response = self._http.send(request, follow_redirects=False)
                return _raw(response, response.content)
            response = self._http.send(request, stream=True, follow_redirects=False)
            try:
                ct = response.headers.get("content-type", "")
                if _streams(response, ct):
                    size = 0
                    with open(send.stream_to, "wb") as fh:
                        for chunk in response.iter_bytes():
                            size += len(chunk)
                            _check_limit(size, send.max_bytes)
                            fh.write(chunk)
                    return _raw(response, saved_path=send.stream_to, saved_size=size)
                return _raw(response, response.read())
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise _transport_error(exc, send.url) from exc

    def _token(self, stale: str | None) -> str:
        core = self._core
        with core.tokens.lock, _store_lock(core):
            return self._run(core.token_flow(stale))

    # -- public API ------------------------------------------------------------
    @property
    def release(self) -> str:
        """The XAPI release in use (asks the PBX once when ``release="auto"``)."""
        return self._run(self._core.resolve_flow()).release

    @property
    def version(self) -> str:
        """Deprecated name of :attr:`release`."""
        _deprecated("Client.version", "Client.release")
        return self.release

    @property
    def catalog(self) -> Catalog:
        return self._run(self._core.resolve_flow())

    def authenticate(self) -> None:
        """Make sure a valid token is held now (a real token request if needed)."""
        self._run(self._core.current_token_flow())

    def call(self, action: str, /, **params: Any) -> Any:
        """Run one action: path/function parameters by name, ``body=``, OData options.

        Returns decoded JSON, ``None`` for 204, or a :class:`FileResult`.
        """
        return self._run(self._core.call_flow(action, params))

    def paginate(
        self, action: str, /, *, page_size: int | None = None, **params: Any
    ) -> Iterator[Any]:
        """Every item of a listing, fetching ``$top``/``$skip`` pages as needed."""
        cat = self.catalog
        pager = Pager(self._core.action(action), params, page_size)
        del cat
        while (page_params := pager.next_params()) is not None:
            yield from pager.feed(self.call(action, **page_params))

    def download(
        self,
        action: str,
        path: str | os.PathLike[str],
        /,
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        **params: Any,
    ) -> FileResult:
        """Stream a file result to ``path`` (a directory gets the server's file name,
        made safe); an existing file is replaced only with ``overwrite=True``.  A body
        past ``max_bytes`` is stopped there (:class:`~tcxkit.errors.DownloadTooLarge`,
        as :meth:`download_url`'s); nothing is kept."""
        flow = lambda part: self._core.call_flow(action, params, part, max_bytes)  # noqa: E731
        return self._save(path, overwrite, action, flow)

    def download_url(
        self,
        link: str,
        path: str | os.PathLike[str],
        /,
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
    ) -> FileResult:
        """Stream a link the PBX gave out (e.g. a backup's ``DownloadLink``) to ``path``.

        Relative links are resolved against the PBX; the token is never sent
        to another host.  ``max_bytes`` (the size the PBX listed) stops a body that runs
        past it with :class:`~tcxkit.errors.DownloadTooLarge`; nothing is kept.
        """
        flow = lambda part: self._core.link_flow(link, part, max_bytes)  # noqa: E731
        return self._save(path, overwrite, "DownloadLink", flow)

    def _save(
        self,
        path: str | os.PathLike[str],
        overwrite: bool,
        label: str,
        flow_of: Callable[[str], Flow],
    ) -> FileResult:
        """Run ``flow_of(part)``, which streams into a ``.part`` file beside ``path``,
        then put the file in place; the part is removed whatever stops the run."""
        part, directory = download_target(path, overwrite)
        try:
            result = self._run(flow_of(str(part)))
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return finish_download(result, path, part, directory, label=label, overwrite=overwrite)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _streams(response: httpx.Response, content_type: str) -> bool:
    """Whether a file-shaped answer goes to the file being written: a success with a
    body that is not JSON.  204 (done, no content: ``DropCall``) writes no file; JSON
    (an error object where a file was due) is read to be judged."""
    return response.is_success and response.status_code != 204 and "json" not in content_type


def _check_limit(size: int, limit: int | None) -> None:
    """Refuse a body past ``limit`` before writing it: hostile input is bounded."""
    if limit is not None and size > limit:
        raise DownloadTooLarge(
            f"The download sent more than the {limit} bytes announced for it; stopped there.",
            limit=limit,
            hint="The server streams more than it listed: a damaged or hostile answer.",
        )


async def _save_stream(response: httpx.Response, path: str, limit: int | None = None) -> int:
    """Stream a body to ``path`` with every file operation in a worker thread.

    :mod:`.flow` promises the event loop never blocks; a slow disk or a network
    share would block it for as long as a write takes, stalling every other
    coroutine (a fleet's other PBXs). Returns the number of bytes written.
    """
    import asyncio

    fh = await asyncio.to_thread(open, path, "wb")
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            _check_limit(size, limit)
            await asyncio.to_thread(fh.write, chunk)
    finally:
        await asyncio.to_thread(fh.close)
    return size


async def _unlink(part: Path) -> None:
    """Remove a download's temporary file off the event loop, even when cancelled."""
    import asyncio

    await asyncio.shield(asyncio.to_thread(part.unlink, missing_ok=True))


def in_flight_limit(value: Any, name: str) -> int | None:
    """``value`` as a cap on requests at once (``AsyncClient.max_in_flight``,
    ``Fleet(per_pbx=)``): a whole number of at least 1, or None; anything else refused."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return value
    raise UsageError(
        f"{name} must be a whole number of at least 1 (or None: no limit), got {value!r}.",
        hint="None puts no limit on requests at once.",
    )


class AsyncClient(_Base):
    """Asynchronous twin of :class:`Client`: same arguments, awaitable methods."""

    _http_class = LeanAsyncClient

    _max_in_flight: int | None = None

    @property
    def max_in_flight(self) -> int | None:
        """At most this many of this client's requests on the wire at once; the others
        wait their turn before their timeouts start (None: no limit, the default).

        The fleet engine sets it for the clients it makes (``Fleet(per_pbx=...)``): it
        already runs PBXs side by side, and a PBX's requests taking turns on a few
        kept-alive connections cost a fraction of a new connection (a TLS handshake on a
        real PBX) each.  Also a way to be gentle with one busy PBX."""
        return self._max_in_flight

    @max_in_flight.setter
    def max_in_flight(self, value: int | None) -> None:
        self._max_in_flight = in_flight_limit(value, "max_in_flight")
        self._in_flight = None  # a new limit: a new semaphore on next use

    async def _run(self, flow: Flow) -> Any:
        done, step = _advance(flow)
        while not done:
            try:
                outcome = await self._perform(step)
            except TransportError as exc:
                done, step = _advance(flow, error=exc)
            else:
                done, step = _advance(flow, outcome)
        return step

    async def _perform(self, step: Send | Sleep | NeedToken | Load | Save) -> Any:
        if isinstance(step, Send):
            if self.max_in_flight is None:
                return await self._send(step)
            async with self._turns():
                return await self._send(step)
        import asyncio

        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            return None
        if isinstance(step, NeedToken):
            return await self._token(step.stale)
        if isinstance(step, Load) and step.shared:
            return await self._shared_load(step)
        # The store may be a disk or a service: never on the event loop.
        return await asyncio.to_thread(_store_step, self._core, step)

    def _turns(self) -> Any:
        """The semaphore of :attr:`max_in_flight`, made in (and for) the running loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        held = self._in_flight
        if held is None or held[0] is not loop:
            held = self._in_flight = (loop, asyncio.Semaphore(self.max_in_flight or 1))
        return held[1]

    async def _shared_load(self, step: Load) -> Any:
        """One store read for every call that starts without a token (see :class:`Load`):
        the first starts it, the others await the same; a caller cancelled leaves the
        read running for the rest (shielded)."""
        import asyncio

        pending = self._loading.get(step.key)
        if pending is None:
            pending = asyncio.ensure_future(asyncio.to_thread(_store_step, self._core, step))
            self._loading[step.key] = pending
            pending.add_done_callback(lambda _done: self._loading.pop(step.key, None))
        return await asyncio.shield(pending)

    async def _send(self, send: Send) -> RawResponse:
        request = self._request(send)
        try:
            if send.stream_to is None and self._owns_http:
                whole = await self._http.send_whole(request)
                if whole is not None:
                    return RawResponse(*whole)
            if send.stream_to is None:
                response = await self._http.send(request, follow_redirects=False)
                return _raw(response, response.content)
            response = await self._http.send(request, stream=True, follow_redirects=False)
            try:
                ct = response.headers.get("content-type", "")
                if _streams(response, ct):
                    size = await _save_stream(response, send.stream_to, send.max_bytes)
                    return _raw(response, saved_path=send.stream_to, saved_size=size)
                return _raw(response, await response.aread())
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise _transport_error(exc, send.url) from exc

    async def _token(self, stale: str | None) -> str:
        """Fetch a token under this client's asyncio lock and the store's (process) lock.

        The store's lock is taken and given back in threads of their own (another process
        may hold it for seconds; a store of your own may block on the network), so every
        other coroutine keeps running. Cancellation (a task cancelled, a timeout, a fleet
        giving up on a PBX) can come at any await here; whatever it interrupts, a lock that
        was taken is given back, by the thread that took it if need be, and nothing is left
        for the event loop to complain about.
        """
        import asyncio

        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            held = _store_lock(self._core)
            taken = _in_thread(held.__enter__)
            try:
                await asyncio.shield(asyncio.wrap_future(taken))
            except BaseException:  # cancelled while waiting, or the store failed to lock
                taken.add_done_callback(lambda f: _release_if_taken(f, held))
                raise
            try:
                return await self._run(self._core.token_flow(stale))
            finally:
                # Shielded: a second cancellation cannot stop the release, only the wait.
                await asyncio.shield(asyncio.wrap_future(_in_thread(_release, held)))

    async def release(self) -> str:
        """The XAPI release in use (asks the PBX once when ``release="auto"``)."""
        return (await self._run(self._core.resolve_flow())).release

    async def version(self) -> str:
        """Deprecated name of :meth:`release`."""
        _deprecated("AsyncClient.version()", "AsyncClient.release()")
        return await self.release()

    async def get_catalog(self) -> Catalog:
        """The catalog in use (asks the PBX once when ``release="auto"``)."""
        return await self._run(self._core.resolve_flow())

    @property
    def catalog(self) -> Catalog:
        """The catalog in use, once known; ``await client.get_catalog()`` asks the PBX."""
        if not self._core.resolved:
            raise UsageError(
                "The PBX's release is not known yet, so neither is its catalog.",
                hint="Use `await client.get_catalog()`, or pin release='20.0.10'.",
            )
        return self._core.catalog

    async def authenticate(self) -> None:
        await self._run(self._core.current_token_flow())

    async def call(self, action: str, /, **params: Any) -> Any:
        return await self._run(self._core.call_flow(action, params))

    async def paginate(
        self, action: str, /, *, page_size: int | None = None, **params: Any
    ) -> AsyncIterator[Any]:
        await self.get_catalog()
        pager = Pager(self._core.action(action), params, page_size)
        while (page_params := pager.next_params()) is not None:
            for item in pager.feed(await self.call(action, **page_params)):
                yield item

    async def download(
        self,
        action: str,
        path: str | os.PathLike[str],
        /,
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        **params: Any,
    ) -> FileResult:
        flow = lambda part: self._core.call_flow(action, params, part, max_bytes)  # noqa: E731
        return await self._save(path, overwrite, action, flow)

    async def download_url(
        self,
        link: str,
        path: str | os.PathLike[str],
        /,
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
    ) -> FileResult:
        flow = lambda part: self._core.link_flow(link, part, max_bytes)  # noqa: E731
        return await self._save(path, overwrite, "DownloadLink", flow)

    async def _save(
        self,
        path: str | os.PathLike[str],
        overwrite: bool,
        label: str,
        flow_of: Callable[[str], Flow],
    ) -> FileResult:
        """:meth:`Client._save` with the file work in threads, off the event loop."""
        import asyncio

        part, directory = await asyncio.to_thread(download_target, path, overwrite)
        try:
            result = await self._run(flow_of(str(part)))
        except BaseException:
            await _unlink(part)
            raise
        return await asyncio.to_thread(
            finish_download, result, path, part, directory, label=label, overwrite=overwrite
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def close(self) -> None:
        """``await client.close()``, the same name as :meth:`Client.close`."""
        await self.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
