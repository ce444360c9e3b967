"""httpx, imported without its own command line.

``httpx/__init__`` imports ``httpx._main`` only to offer ``httpx.main``, and
that module pulls in click, rich and pygments whenever they are installed
(they are with the ``cli`` extra): about 60 ms and a dozen MB that no library
call needs.  Every tcxkit module imports httpx from here, so library users,
the CLI and Airflow all get the cheap import; ``httpx.main()`` still works,
loading the real command line on first use.
"""

from __future__ import annotations

import logging
import sys
import types
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ._wire import WirePool

__all__ = ["LeanAsyncClient", "LeanClient", "Reply", "httpx"]


def _defer_httpx_cli() -> None:
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return  # imported already (by the caller's own code): nothing left to save

    def main(*args: Any, **kwargs: Any) -> Any:
        """Load httpx's real command line and run it (only if someone asks)."""
        import importlib

        if sys.modules.get("httpx._main") is stub:
            del sys.modules["httpx._main"]
        real = importlib.import_module("httpx._main")
        sys.modules["httpx"].main = real.main  # type: ignore[attr-defined]
        return real.main(*args, **kwargs)

    stub = types.ModuleType("httpx._main", "Placeholder: see tcxkit._httpx.")
    stub.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stub


_defer_httpx_cli()

import httpx  # noqa: E402 - after the placeholder above, on purpose


class _NoCookies(httpx.Cookies):
    """A jar that never stores anything.

    XAPI authenticates every request with a bearer token; cookies play no part.
    httpx still turns every response into a ``urllib`` request/response pair to
    offer it to the jar, which costs about 15 us per call (a quarter of what
    the rest of tcxkit adds to a call). Clients that need cookies (a gateway's
    session, say) pass their own ``http=httpx.Client(...)``.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()


class LeanClient(httpx.Client):
    """``httpx.Client`` without a cookie jar (see :class:`_NoCookies`)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES


class Reply(NamedTuple):
    """A response read whole: status, headers by lower-case name, decoded body."""

    status: int
    headers: dict[str, str]
    content: bytes


_LOG = logging.getLogger("httpx")  # httpx's own logger: its request line, kept as it was


def lower_headers(raw: Any) -> dict[str, str]:
    """Headers by lower-case name, as httpx reads them: decoded the way
    ``httpx.Headers`` decodes, a name sent twice joined with ", "."""
    return {k.lower(): v for k, v in httpx.Headers(raw).items()}


async def _send_to_pool(pool: Any, request: httpx.Request) -> Reply:
    """What ``AsyncHTTPTransport.handle_async_request`` and ``Response.aread`` do
    for a whole body, without httpx's response model and stream wrappers."""
    import httpcore
    from httpx._exceptions import request_context
    from httpx._transports.default import map_httpcore_exceptions

    url = request.url
    core_request = httpcore.Request(
        method=request.method,
        url=httpcore.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
        ),
        headers=request.headers.raw,
        content=request.stream,
        extensions=request.extensions,
    )
    with request_context(request=request), map_httpcore_exceptions():
        response = await pool.handle_async_request(core_request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
    ext = response.extensions
    version, reason = ext.get("http_version", b"HTTP/1.1"), ext.get("reason_phrase", b"")
    return _reply(request, response.status, response.headers, body, version, reason)


_DEFAULT_PORTS = {b"http": 80, b"https": 443}


def _fits_wire(request: httpx.Request) -> bool:
    """Whether :mod:`tcxkit._wire` can carry ``request``: a body in memory, an http(s)
    URL, no extension but the timeouts (``sni_hostname``, ``trace`` ... are httpcore's)."""
    return (
        type(request.stream) is httpx.ByteStream
        and request.url.raw_scheme in _DEFAULT_PORTS
        and all(key == "timeout" for key in request.extensions)
    )


async def _send_on_wire(wire: WirePool, request: httpx.Request) -> Reply:
    """``request`` through :mod:`tcxkit._wire`, its failures mapped by httpx's own table."""
    from httpx._exceptions import request_context
    from httpx._transports.default import map_httpcore_exceptions

    url = request.url
    scheme = url.raw_scheme
    origin = (scheme, url.raw_host.decode("ascii"), url.port or _DEFAULT_PORTS[scheme])
    timeouts = request.extensions.get("timeout") or {}
    with request_context(request=request), map_httpcore_exceptions():
        answer = await wire.request(
            request.method.encode("ascii"),
            origin,
            url.raw_path,
            request.headers.raw,
            request.content,
            timeouts,
        )
    return _reply(
        request, answer.status, answer.headers, answer.body, answer.http_version, answer.reason
    )


def _reply(
    request: httpx.Request, status: int, raw: Any, body: bytes, version: bytes, reason: bytes
) -> Reply:
    """The answer as :class:`Reply`: headers as httpx reads them, the body decoded as
    httpx decodes it (gzip/deflate/br/zstd, its decoders and errors), httpx's log line."""
    headers = lower_headers(raw)
    if headers.get("content-encoding", "identity") != "identity":
        body = httpx.Response(status, headers=raw, content=body).content
    if _LOG.isEnabledFor(logging.INFO):
        _log_request(request, version, status, reason)
    return Reply(status, headers, body)


def _log_request(request: httpx.Request, version: bytes, status: int, reason: bytes) -> None:
    """httpx's own INFO line for a request, word for word."""
    text = reason.decode("ascii", errors="ignore") or httpx.codes.get_reason_phrase(status)
    _LOG.info(
        'HTTP Request: %s %s "%s %d %s"',
        request.method,
        request.url,
        version.decode("ascii", errors="ignore"),
        status,
        text,
    )


class LeanAsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` without a cookie jar (see :class:`_NoCookies`), whose own
    transport does its network I/O on asyncio streams under asyncio
    (:mod:`tcxkit._asyncnet`; a ``transport=`` given is used as it is)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._wire: WirePool | None = None
        if kwargs.get("transport") is None:
            from ._asyncnet import use_asyncio_streams
            from ._wire import WirePool

            use_asyncio_streams(self._transport)
            self._wire = WirePool.for_pool(getattr(self._transport, "_pool", None))

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    async def send_whole(self, request: httpx.Request) -> Reply | None:
        """Send ``request`` and read its whole response straight through the connection
        pool of this client's own transport; None when httpx's :meth:`send` must do it
        (a caller's transport, a proxy or any other mount would carry it, hooks or auth
        are set).

        Same bytes on the wire, same pool, timeouts and errors (httpcore's, mapped by
        httpx's own table), same decoded body and headers, same log line -- without
        the per-request machinery of ``send`` (auth and redirect loops, the response
        model, stream wrappers, cookies, hooks), which a fleet run pays thousands of
        times (docs/benchmarks.md, issue #20, third pass).
        """
        transport = self._transport_for_url(request.url)
        if type(transport) is not httpx.AsyncHTTPTransport or self.auth is not None:
            return None
        if self._event_hooks["request"] or self._event_hooks["response"] or self.is_closed:
            return None
        if transport is self._transport and self._wire is not None and _fits_wire(request):
            from ._asyncnet import _on_asyncio

            if _on_asyncio():
                return await _send_on_wire(self._wire, request)
        return await _send_to_pool(transport._pool, request)

    async def aclose(self) -> None:
        if self._wire is not None:
            await self._wire.aclose()
        await super().aclose()

    async def __aexit__(self, *exc: Any) -> None:
        if self._wire is not None:
            await self._wire.aclose()
        await super().__aexit__(*exc)
