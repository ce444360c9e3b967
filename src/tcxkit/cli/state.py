"""Global options of one ``3cx`` run, kept tiny so the help path stays fast."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Options"]


@dataclass
class Options:
    """Root-command options, stored in ``ctx.obj`` for every sub-command."""

    profile: str | None = None
    release: str | None = None
    ca_bundle: str | None = None
    insecure: bool = False
    timeout: float = 30.0
    debug: bool = False
