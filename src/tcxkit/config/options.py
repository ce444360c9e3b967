"""The settings of one run that choose and reach a PBX (and the CLI's globals).

Kept tiny so the CLI's help path stays fast.  The CLI fills it from its global
options; MCP and library callers build one directly (``Options(profile="eu")``).
"""

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
    allow_http: bool = False  # --allow-http: plain http:// off this machine (tcxkit.urls)
    timeout: float | None = None  # None: env, config.toml, then 30 (see settle())
    debug: bool = False
    output: str | None = None
    fleet: str | None = None  # --fleet SELECTOR: run on these PBXs (tcxkit.cli.fleet)
    inventory: str | None = (
        None  # --inventory FILE (else TCX_INVENTORY, else profiles + fleet.toml)
    )
    concurrency: int | None = None  # --concurrency before the command (PBXs at once; default 8)
    settled: bool = False  # env and config.toml applied (tcxkit.config.defaults.settle)
