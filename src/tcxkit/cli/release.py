"""Which XAPI release a run uses: one rule for the command tree and the client.

``--release`` (anywhere on the line) or ``TCX_RELEASE``, else the release stored
with the profile in use, else ``auto`` (the client asks the PBX; the command tree
is built from the newest catalog until then). Both the commands offered and the
requests sent follow this one answer, so a profile pinned to 20.0.7 never shows
20.0.10's options.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from ..catalog import Catalog, catalog

if TYPE_CHECKING:
    from ..config.profiles import Profile

__all__ = ["choose_release", "release_of"]


def choose_release(explicit: str | None, profile: Profile | None) -> str:
    """The release asked for: flag or environment, then the profile's, then ``auto``."""
    from ..config.connection import choose_release as choose

    return choose(explicit, profile.version if profile is not None else None)


def release_of(ctx: click.Context) -> Catalog:
    """The catalog the command tree is built from (see the module's rule)."""
    from .globalopts import argv_release

    root = ctx.find_root()
    flag = argv_release() or (root.params.get("release") if root.params else None)
    release = choose_release(flag, _profile_in_use(root))
    return catalog() if release == "auto" else catalog(release)


def _profile_in_use(root: click.Context) -> Profile | None:
    """The profile this run connects with, chosen as :func:`tcxkit.config.connection.resolve`
    chooses it: ``-p``, ``TCX_PROFILE``, ``[defaults] profile``, the current one."""
    from ..config.profiles import load_config

    cfg = load_config()
    name = (
        (root.params or {}).get("profile")
        or os.environ.get("TCX_PROFILE")
        or cfg.defaults.get("profile")
        or (cfg.current if cfg.current in cfg.profiles else None)
    )
    return cfg.profiles.get(name) if name else None
