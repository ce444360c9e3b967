"""``pull``: a PBX's configuration as a document a person can read and edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .live import read_live
from .managed import select_types
from .shape import strip_secrets

if TYPE_CHECKING:
    from ..client import AsyncClient

__all__ = ["pull"]


async def pull(client: AsyncClient, only: str | list[str] | None = None) -> dict[str, Any]:
    """The configuration of the kinds in ``only`` (default: all), as a document dict.

    Objects are keyed by Number or Name, sorted; live, read-only and empty
    fields are left out, and so is every secret (a file refers to secrets as
    ``${ENV_NAME}``; see docs/state.md).  Every selected kind is present, an
    empty one as ``{}``, so applying the document manages exactly those kinds.
    Without ``only``, kinds the PBX's release does not have are left out; named
    in ``only``, such a kind fails as its list action does.
    """
    kinds = select_types(only)
    if only is None:  # all kinds: those this PBX's release has (20.0.4-20.0.5 lack holidays)
        cat = await client.get_catalog()
        kinds = [k for k in kinds if k.list in cat]
    live = await read_live(client, kinds)
    doc: dict[str, Any] = {}
    for kind in kinds:
        objects = live.objects[kind.name]
        if kind.singleton:
            doc[kind.name] = strip_secrets(objects[""])
        else:
            doc[kind.name] = {k: strip_secrets(objects[k]) for k in sorted(objects, key=_natural)}
    return doc


def _natural(key: str) -> tuple[int, int | str]:
    """Numbers in numeric order (99 before 100), then names alphabetically."""
    return (0, int(key)) if key.isdigit() else (1, key.casefold())
