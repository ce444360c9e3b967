"""tcxkit: every 3CX V20 XAPI operation as a Python call.

Heavy pieces load on first use, so ``import tcxkit`` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors as _errors
from ._lazy import lazy_attributes
from ._version import __version__
from .catalog import DEFAULT_RELEASE, RELEASES, catalog
from .errors import *  # noqa: F403 -- the error hierarchy, listed once there

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .fleet import Fleet, FleetResult
    from .odata import F
    from .results import FileResult

__all__ = [
    "DEFAULT_RELEASE",
    "RELEASES",
    "AsyncClient",
    "Client",
    "F",
    "FileResult",
    "Fleet",
    "FleetResult",
    "__version__",
    "catalog",
]
__all__ += _errors.__all__

_LAZY = {
    "Client": "client",
    "AsyncClient": "client",
    "F": "odata",
    "FileResult": "results",
    "Fleet": "fleet",
    "FleetResult": "fleet",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
