"""Which XAPI release a client speaks: pinned by the caller, or learnt from the PBX.

A small unit of its own because three things depend on it and none should know
the rules: the flows (which catalog to prepare a request with), the drivers
(``client.release``) and error messages (an action the PBX's release lacks).
The rule: a pinned release is used as given; ``"auto"`` adopts the release of
the first ``X-3CX-Version`` header seen (or remembered in the token store), and
until then the newest catalog stands in for lookups that cannot wait.
"""

from __future__ import annotations

import logging

from .catalog import DEFAULT_RELEASE, RELEASES, Action, Catalog, catalog, release_for
from .errors import UnsupportedActionError

__all__ = ["ReleaseState", "releases_behind", "version_key"]

log = logging.getLogger("tcxkit.http")


class ReleaseState:
    """The release in use and the PBX version behind it."""

    __slots__ = ("_catalog", "pbx_version", "requested")

    def __init__(self, requested: str = "auto") -> None:
        self.requested = requested
        self.pbx_version: str | None = None
        self._catalog: Catalog | None = None if requested == "auto" else catalog(requested)

    @property
    def resolved(self) -> bool:
        """True once the catalog is decided (pinned, or adopted from the PBX)."""
        return self._catalog is not None

    @property
    def catalog(self) -> Catalog:
        """The catalog in use; before the PBX is asked, the newest one."""
        return self._catalog or catalog(DEFAULT_RELEASE)

    def adopt(self, pbx_version: str | None) -> Catalog:
        """Decide the catalog from the PBX's version (no header: the newest, with a warning)."""
        if pbx_version:
            self.pbx_version = pbx_version
        if self._catalog is None:
            release = release_for(pbx_version) if pbx_version else DEFAULT_RELEASE
            if pbx_version is None:
                log.warning("PBX sent no X-3CX-Version header; using catalog %s", release)
            elif release == RELEASES[0] and not pbx_version.startswith(release):
                log.warning("PBX %s is older than every catalog; using %s", pbx_version, release)
            self._catalog = catalog(release)
        return self._catalog

    def saw(self, pbx_version: str | None) -> bool:
        """Note a version header; True when it differs from the one known."""
        if not pbx_version or pbx_version == self.pbx_version:
            return False
        self.pbx_version = pbx_version
        return True

    def action(self, name: str) -> Action:
        """The action in the catalog in use, or why the PBX's release lacks it."""
        cat = self.catalog
        found = cat.get(name)
        if found is not None:
            return found
        for rel in reversed(RELEASES):
            other = catalog(rel).get(name)
            if other is not None and rel != cat.release:
                having = [r for r in RELEASES if catalog(r).get(name) is not None]
                raise UnsupportedActionError(
                    f"{other.id} is not available in XAPI {cat.release}"
                    + (f" (the PBX runs {self.pbx_version})" if self.pbx_version else "")
                    + f"; it exists in {', '.join(having)}.",
                    hint="Upgrade the PBX, or use an action of its release (`3cx actions`).",
                )
        return cat.require(name)  # raises UnknownActionError with suggestions


def version_key(version: object) -> tuple[int, ...]:
    """``20.0.10.1621`` as ``(20, 0, 10, 1621)``, for ordering PBX versions (parts that are
    not numbers are left out, so a malformed version sorts first, never raises)."""
    parts = [int(p) for p in str(version or "").split(".") if p.isdigit()]
    return tuple(parts[:4])


def releases_behind(installed: object, offered: object) -> int:
    """How many releases ``installed`` is behind ``offered`` (20.0.8 -> 20.0.10 is two;
    a build of the same release is none; another major/minor counts as 99)."""
    have, want = version_key(installed), version_key(offered)
    if not want or want <= have:
        return 0
    if have[:2] != want[:2]:
        return 99
    return max(0, (want[:3] or (0,))[-1] - (have[:3] or (0,))[-1])
