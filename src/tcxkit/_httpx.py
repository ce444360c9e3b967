"""httpx, imported without its own command line.

``httpx/__init__`` imports ``httpx._main`` only to offer ``httpx.main``, and
that module pulls in click, rich and pygments whenever they are installed
(they are with the ``cli`` extra): about 60 ms and a dozen MB that no library
call needs.  Every tcxkit module imports httpx from here, so library users,
the CLI and Airflow all get the cheap import; ``httpx.main()`` still works,
loading the real command line on first use.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["LeanAsyncClient", "LeanClient", "httpx"]


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


class LeanAsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` without a cookie jar (see :class:`_NoCookies`), whose own
    transport does its network I/O on asyncio streams under asyncio
    (:mod:`tcxkit._asyncnet`; a ``transport=`` given is used as it is)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if kwargs.get("transport") is None:
            from ._asyncnet import use_asyncio_streams

            use_asyncio_streams(self._transport)

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES
