"""Maintenance windows from an inventory: ``[updates]`` for every PBX, per tag below it.

::

    [updates]
    window = "Sun 02:00-05:00"           # every PBX of the inventory...

    [updates.tags.eu]
    window = "Sat 01:00-04:00"           # ...but those tagged eu

A PBX with two tags that both set a window is refused rather than given either (which
one wins would be a guess); a bad window or an unknown key is refused with the file's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..config.inventory import PbxTarget
from ..errors import ConfigurationError
from .window import Window, WindowError, parse_window

__all__ = ["windows_by_tag"]

_FIX = 'e.g. [updates] window = "Sun 02:00-05:00", [updates.tags.eu] window = "Sat 01:00-04:00"'


def _bad(where: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{where}: {message}", hint=_FIX + " (docs/updates.md).")


def _window(raw: Any, where: str, keys: frozenset[str] = frozenset({"window"})) -> Window | None:
    """The table's window; any key but ``keys`` is refused (a tag's table has no tags)."""
    if not isinstance(raw, Mapping):
        raise _bad(where, "must be a table.")
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise _bad(where, f"unknown key(s) {', '.join(unknown)}.")
    if "window" not in raw:
        return None
    try:
        return parse_window(raw["window"])
    except WindowError as exc:  # said with the file's name
        raise _bad(where, exc.message) from None


def windows_by_tag(
    targets: Iterable[PbxTarget], table: Any, where: str = "inventory"
) -> dict[str, Window | None]:
    """Each PBX's window from an ``[updates]`` table (None: no window set for it)."""
    if table is None:
        return {t.name: None for t in targets}
    base = _window(table, f"{where} [updates]", frozenset({"window", "tags"}))
    tags = table.get("tags", {})
    if not isinstance(tags, Mapping):
        raise _bad(f"{where} [updates.tags]", "must be a table of tags.")
    by_tag = {tag: _window(raw, f"{where} [updates.tags.{tag}]") for tag, raw in tags.items()}
    out: dict[str, Window | None] = {}
    for t in targets:
        own = [(tag, by_tag[tag]) for tag in t.tags if by_tag.get(tag) is not None]
        if len(own) > 1:
            names = " and ".join(tag for tag, _ in own)
            raise _bad(where, f"PBX {t.name} is tagged {names}, and both set a window.")
        out[t.name] = own[0][1] if own else base
    return out
