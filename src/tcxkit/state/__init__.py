"""Configuration as code: a PBX's configuration as a YAML file, planned and applied.

``pull`` reads a PBX into a document, ``plan`` compares a document with a PBX,
``apply`` carries a plan out.  All three are coroutines over
:class:`tcxkit.AsyncClient`, return data and print nothing, so one event loop
can run them against many PBXs at once.  The kinds are one table
(:mod:`.managed`); documents, layering and secrets are in :mod:`.document`.
See docs/state.md.
"""

from __future__ import annotations

from typing import Any

from .apply import ApplyReport, apply
from .document import dump_document, load_document, merge_documents
from .managed import MANAGED_TYPES, ManagedType, type_names
from .plan import Change, Plan, plan
from .pull import pull

__all__ = [
    "MANAGED_TYPES",
    "ApplyReport",
    "Change",
    "ManagedType",
    "Plan",
    "apply",
    "dump_document",
    "load_document",
    "merge_documents",
    "plan",
    "pull",
    "type_names",
]


def __getattr__(name: str) -> Any:
    """``KINDS``, ``Kind``, ``kind_names``: deprecated names of the managed types."""
    if name in ("KINDS", "Kind", "kind_names"):
        from .kinds import deprecated

        return deprecated(__name__, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
