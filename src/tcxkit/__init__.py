"""tcxkit: every 3CX V20 XAPI operation as a Python call.

Heavy pieces load on first use, so ``import tcxkit`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from ._version import __version__
from .catalog import DEFAULT_RELEASE, RELEASES, catalog
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    ConnectionLost,
    FleetFailure,
    NotFoundError,
    OutputExistsError,
    PartialFailure,
    PermissionDeniedError,
    RequestTimeout,
    ServerError,
    TcxError,
    TLSError,
    TransportError,
    UncertainWriteError,
    UnexpectedContentError,
    UnknownActionError,
    UnsupportedActionError,
    UsageError,
    ValidationError,
)

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .fleet import Fleet, FleetResult
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
    "ConnectionLost",
    "F",
    "FileResult",
    "Fleet",
    "FleetFailure",
    "FleetResult",
    "NotFoundError",
    "OutputExistsError",
    "PartialFailure",
    "PermissionDeniedError",
    "RequestTimeout",
    "ServerError",
    "TLSError",
    "TcxError",
    "TransportError",
    "UncertainWriteError",
    "UnexpectedContentError",
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
    "Fleet": "fleet",
    "FleetResult": "fleet",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
