"""Which XAPI release a run uses: one rule for the command tree and the client.

``--release`` (anywhere on the line) or ``TCX_RELEASE``, else the release stored
with the profile or inventory PBX in use, else ``auto`` (the client asks the PBX;
the command tree is built from the newest catalog until then). Both the commands offered and the
requests sent follow this one answer, so a profile pinned to 20.0.7 never shows
20.0.10's options.
"""

from __future__ import annotations

import click

from ..catalog import Catalog, catalog

__all__ = ["release_of"]


def release_of(ctx: click.Context) -> Catalog:
    """The catalog the command tree is built from (see the module's rule).

    The stored release is the one of the PBX the run names, chosen as
    :func:`tcxkit.config.connection.resolve` chooses it (``-p``/``--pbx``,
    ``TCX_PROFILE``, ``[defaults] profile``, the current profile): a profile's
    ``version`` or an inventory PBX's ``release``.
    """
    from ..config.connection import choose_release, stored_release
    from ..config.options import Options
    from .globalopts import RELEASE_KEY

    root = ctx.find_root()
    params = root.params or {}
    flag = ctx.meta.get(RELEASE_KEY) or params.get("release")
    opts = Options(profile=params.get("profile"), inventory=params.get("inventory"))
    release = choose_release(flag, stored_release(opts))
    return catalog() if release == "auto" else catalog(release)
