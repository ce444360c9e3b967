"""Configuration as code: a PBX's configuration as a YAML file, planned and applied.

``pull`` reads a PBX into a document, ``plan`` compares a document with a PBX,
``apply`` carries a plan out.  All three are coroutines over
:class:`tcxkit.AsyncClient`, return data and print nothing, so one event loop
can run them against many PBXs at once.  The kinds are one table
(:mod:`.kinds`); documents, layering and secrets are in :mod:`.document`.
See docs/state.md.
"""

from __future__ import annotations

from .apply import ApplyReport, apply
from .document import dump_document, load_document, merge_documents
from .kinds import KINDS, Kind, kind_names
from .plan import Change, Plan, plan
from .pull import pull

__all__ = [
    "KINDS",
    "ApplyReport",
    "Change",
    "Kind",
    "Plan",
    "apply",
    "dump_document",
    "kind_names",
    "load_document",
    "merge_documents",
    "plan",
    "pull",
]
