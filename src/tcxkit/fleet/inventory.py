"""Deprecated: the inventory moved to :mod:`tcxkit.config.inventory`.

Settings are read in the core, one way for every face; this module only keeps
the documented import path working.  Import from ``tcxkit.config.inventory``
(or ``tcxkit.fleet``) instead.
"""

from __future__ import annotations

from ..config.inventory import (
    PbxTarget,
    SecretRef,
    SecretResolver,
    dump_inventory,
    load_inventory,
    parse_inventory,
    resolve_secret,
    select,
    valid_tag,
)

__all__ = [
    "PbxTarget",
    "SecretRef",
    "SecretResolver",
    "dump_inventory",
    "load_inventory",
    "parse_inventory",
    "resolve_secret",
    "select",
    "valid_tag",
]
