"""What a PBX has now, per kind: its objects by key, their Ids, in a file's form."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import StateFileError
from .managed import ManagedType, get_type
from .shape import Ids, to_file

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["Live", "read_live"]


@dataclass
class Live:
    """Objects by kind and key, in a file's form with secrets kept (for comparison only)."""

    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    ids: Ids = field(default_factory=dict)
    #: kind -> key -> the row as the PBX sent it (for ``protected`` and merging nested objects)
    rows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


async def _rows(client: AsyncClient, kind: ManagedType) -> list[dict[str, Any]]:
    if kind.singleton:
        return [await client.call(kind.list)]
    params: dict[str, Any] = {"expand": list(kind.expand)} if kind.expand else {}
    return [row async for row in client.paginate(kind.list, **params)]


def _needed(kinds: list[ManagedType]) -> list[ManagedType]:
    """``kinds`` and the kinds their references name (to translate Ids to keys)."""
    names = {k.name for k in kinds} | {r.target for k in kinds for r in k.refs}
    return [get_type(n) for n in sorted(names, key=_order)]


def _order(name: str) -> int:
    from .managed import type_names

    return type_names().index(name)


async def read_live(client: AsyncClient, kinds: list[ManagedType]) -> Live:
    """Read ``kinds`` (and what they refer to) from the PBX, all kinds at once."""
    needed = _needed(kinds)
    fetched = await asyncio.gather(*(_rows(client, k) for k in needed))
    live = Live()
    by_kind = dict(zip((k.name for k in needed), fetched, strict=True))
    for kind in needed:  # keys first: references are translated with them
        if kind.singleton:
            continue
        keyed: dict[str, dict[str, Any]] = {}
        for row in by_kind[kind.name]:
            key = kind.label(row)
            if key in keyed:
                raise StateFileError(
                    f"Two {kind.name} on the PBX have the key {key!r}; a file could not tell "
                    "them apart.",
                    hint=f"Rename one of them, or leave {kind.name} out (--only).",
                )
            keyed[key] = row
        live.rows[kind.name] = keyed
        live.ids[kind.name] = {k: r.get("Id") for k, r in keyed.items()}
    for kind in kinds:
        if kind.singleton:
            row = by_kind[kind.name][0] or {}
            live.rows[kind.name] = {"": row}
            live.objects[kind.name] = {"": to_file(kind, row, live.ids, secrets=True)}
        else:
            live.objects[kind.name] = {
                k: to_file(kind, r, live.ids, secrets=True) for k, r in live.rows[kind.name].items()
            }
    return live
