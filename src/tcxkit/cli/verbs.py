"""Short verbs: ``3cx users list`` for ``3cx users list-user``, derived from the catalog.

A resource's main actions are the plain OData operations on its entity set,
recognised by method and path rather than by name (ids are not consistent:
``ListUser``, ``ListCallHistoryView``, ``ListDidNumber``):

* ``list``   GET    ``/Set``
* ``get``    GET    ``/Set({key})``  (the entity key before an alternate key such as
  ``Number=``; or GET ``/Set`` of a singleton)
* ``create`` POST   ``/Set``
* ``update`` PATCH  ``/Set({key})``  (or PATCH of a singleton)
* ``delete`` DELETE ``/Set({key})``

A resource with several entity sets (``Defs``: codecs, time zones, ...) gets
no verbs rather than a guess.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..catalog import Catalog

__all__ = ["VERBS", "short_verbs"]

VERBS = ("list", "get", "create", "update", "delete")
_KEYED = re.compile(r"^(?P<set>/[^/()]+)\((?P<key>[^()]*)\)$")


@cache
def short_verbs(cat: Catalog, resource: str) -> dict[str, str]:
    """``{verb: action id}`` for ``resource`` (empty when it has no single entity set)."""
    actions = [a for a in cat.by_resource(resource) if a.kind == "operation"]
    plain = {(a.method, a.path): a.id for a in actions if "/Pbx." not in a.path}
    sets = {p for (m, p) in plain if m == "GET" and re.fullmatch(r"/[^/()]+", p)}
    keyed: dict[tuple[str, str], str] = {}
    # By the entity key (``/Users({Id})``) rather than an alternate key
    # (``/Users(Number={Number})``) when both exist.
    for (m, p), i in sorted(plain.items(), key=lambda kv: "=" not in kv[0][1]):
        if (found := _KEYED.match(p)) is not None:
            keyed[(m, found.group("set"))] = i
    if len(sets) != 1:
        return {}
    (path,) = sets
    collection = next(a for a in actions if a.path == path and a.method == "GET")
    verbs: dict[str, str | None] = {}
    if collection.response.shape == "collection":
        verbs["list"] = collection.id
        verbs["get"] = keyed.get(("GET", path))
        verbs["create"] = plain.get(("POST", path))
        verbs["update"] = keyed.get(("PATCH", path))
        verbs["delete"] = keyed.get(("DELETE", path))
    else:  # a singleton such as /MyUser
        verbs["get"] = collection.id
        verbs["update"] = plain.get(("PATCH", path))
    return {v: i for v, i in verbs.items() if i is not None}
