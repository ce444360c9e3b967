"""Deprecated: the inventory moved to :mod:`tcxkit.config.inventory`.

Settings are read in the core, one way for every face; this module only keeps
the documented import path working.  Import from ``tcxkit.config.inventory``
(or ``tcxkit.fleet``) instead.
"""

from __future__ import annotations

from ..config.inventory import *  # noqa: F403 -- the same names, nothing of its own
from ..config.inventory import __all__  # noqa: F401
