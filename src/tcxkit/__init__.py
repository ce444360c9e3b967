"""tcxkit: every 3CX V20 XAPI operation as a Python call.

Heavy pieces load on first use, so ``import tcxkit`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .catalog import DEFAULT_RELEASE, RELEASES, catalog
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    NotFoundError,
    PartialFailure,
    PermissionDeniedError,
    RequestTimeout,
    ServerError,
    TcxError,
    TLSError,
    TransportError,
    UnknownActionError,
    UnsupportedActionError,
    UsageError,
    ValidationError,
)

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .odata import F
    from .results import FileResult

__all__ = [
    "DEFAULT_RELEASE",
    "RELEASES",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConfigurationError",
    "ConnectError",
    "F",
    "FileResult",
    "NotFoundError",
    "PartialFailure",
    "PermissionDeniedError",
    "RequestTimeout",
    "ServerError",
    "TLSError",
    "TcxError",
    "TransportError",
    "UnknownActionError",
    "UnsupportedActionError",
    "UsageError",
    "ValidationError",
    "__version__",
    "catalog",
]

_LAZY = {
    "Client": "client",
    "AsyncClient": "client",
    "F": "odata",
    "FileResult": "results",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tcxkit' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
