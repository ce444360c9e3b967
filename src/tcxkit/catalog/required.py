"""Body fields an action really requires: the spec's ``required`` plus reviewed PBX facts.

The XAPI specs mark almost nothing required, yet a PBX refuses some creates without
certain fields (a blacklist entry without its ``Id``).  Those facts are reviewed data in
``required.json`` (one place, with the reason for each); :func:`required_fields` merges
them with the spec so ``describe_action`` and action pages say the same.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Catalog
    from .model import Action

__all__ = ["field_defaults", "required_fields"]

_FILE = Path(__file__).with_name("required.json")


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_FILE.read_text(encoding="utf-8"))
    return data


def _facts() -> dict[str, dict[str, str]]:
    return _data()["actions"]


def field_defaults(action: Action) -> dict[str, str]:
    """``{field: what the PBX fills in}`` for body fields a create may leave out."""
    return dict(_data()["defaults"].get(action.id, {}))


def required_fields(action: Action, cat: Catalog | None) -> dict[str, str]:
    """``{field: why}`` for the body of ``action``: spec-required first, then PBX facts."""
    if action.body is None or action.body.wrapped or cat is None:
        return dict(_facts().get(action.id, {})) if action.method != "PATCH" else {}
    resolved = cat.resolve(cat.schema_index.unwrap(action.body.schema))
    out = {name: "required by the spec" for name in resolved.get("required") or ()}
    if action.method != "PATCH":  # an update sends only what changes
        out.update(_facts().get(action.id, {}))
    return out
