"""``plan``: what would change on a PBX to make it match a document.

The diff model: a :class:`Plan` is a list of :class:`Change` (kind, key, op,
and for each field its old and new value), grouped by kind in dependency
order.  Only kinds, objects and fields the document names are compared;
``prune=True`` adds a delete for every object of a managed kind that the
document does not name (except protected ones, such as the default group).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..errors import StateFileError
from ..redaction import MASK, is_secret_key, redact
from .fields import unknown_fields
from .live import Live, read_live
from .managed import MANAGED_TYPES, ManagedType
from .shape import Ids, is_empty, merged, same

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..client import AsyncClient

__all__ = ["Change", "CheckedFields", "Plan", "check_fields", "plan"]

Op = Literal["create", "update", "delete"]


@dataclass
class Change:
    """One object to create, update or delete; ``fields`` maps a name to (old, new)."""

    kind: str
    key: str
    op: Op
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    id: Any = None  # the PBX's Id (update, delete)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with secrets masked (a plan is printed and stored in CI logs)."""
        out: dict[str, Any] = {"kind": self.kind, "key": self.key, "op": self.op}
        if self.fields:
            out["fields"] = {
                name: {"old": _mask(name, old), "new": _mask(name, new)}
                for name, (old, new) in self.fields.items()
            }
        return out

    def send(self) -> dict[str, Any]:
        """The new values, in a file's form (keys, not Ids)."""
        return {name: new for name, (_old, new) in self.fields.items()}


def _mask(name: str, value: Any) -> Any:
    if is_secret_key(name):
        return None if is_empty(value) else MASK
    return redact(value)


@dataclass
class Plan:
    """The changes, and the PBX's Ids the apply step needs to refer to objects."""

    changes: list[Change] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    ids: Ids = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0}
        for c in self.changes:
            out[c.op] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "summary": self.counts(),
            "kinds": self.kinds,
        }

    def render(self) -> str:
        """The plan as text for people (the CLI, an Airflow task's log): changes grouped
        by kind, each field old -> new, secrets masked as in :meth:`to_dict`."""
        lines: list[str] = []
        sign = {"create": "+", "update": "~", "delete": "-"}
        kind = None
        for change in (c.to_dict() for c in self.changes):
            if change["kind"] != kind:
                kind = change["kind"]
                lines.append(f"{kind}:")
            lines.append(f"  {sign[change['op']]} {change['key'] or kind} ({change['op']})")
            for name, values in change.get("fields", {}).items():
                if change["op"] == "create":
                    lines.append(f"      {name}: {_show(values['new'])}")
                else:
                    lines.append(f"      {name}: {_show(values['old'])} -> {_show(values['new'])}")
        c = self.counts()
        if self:
            lines.append(
                f"Plan: {c['create']} to create, {c['update']} to update, {c['delete']} to delete."
            )
        else:
            lines.append("No changes: the PBX matches the file.")
        return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _concealed(name: str, have: Any) -> bool:
    """A secret the PBX does not show (``{"Concealed": true}``): it cannot be compared,
    so it is sent when the object is created and left alone afterwards."""
    return (
        is_secret_key(name)
        and isinstance(have, dict)
        and bool(have.get("Concealed"))
        and is_empty(have.get("Value"))
    )


def _diff(
    kind: ManagedType, key: str, want: dict[str, Any], have: dict[str, Any] | None
) -> Change | None:
    if have is None:
        return Change(kind.name, key, "create", {k: (None, v) for k, v in want.items()})
    fields = {}
    for name, value in want.items():
        old = have.get(name)
        if not same(value, old) and not _concealed(name, old):
            fields[name] = (old, merged(old, value))
    return Change(kind.name, key, "update", fields) if fields else None


def _kind_changes(kind: ManagedType, want: dict[str, Any], live: Live, prune: bool) -> list[Change]:
    have = live.objects[kind.name]
    if kind.singleton:
        change = _diff(kind, "", want, have[""])
        return [change] if change else []
    changes = []
    for key, body in want.items():
        if kind.key_in_body and kind.label(body) != key:
            raise StateFileError(
                f"{kind.name} {key!r}: the key must be what its fields make of it, "
                f"{kind.label(body)!r} (" + " ".join(kind.key) + ")."
            )
        change = _diff(kind, key, body, have.get(key))
        if change:
            change.id = live.ids[kind.name].get(key)
            changes.append(change)
    if prune:
        rows = live.rows[kind.name]
        for key in have:
            if key not in want and not any(rows[key].get(p) for p in kind.protected):
                changes.append(Change(kind.name, key, "delete", id=live.ids[kind.name][key]))
    return changes


def check_fields(doc: dict[str, Any], cat: Catalog) -> None:
    """Refuse fields the PBX's schema does not know (a typo would be drift forever)."""
    problems: list[str] = []
    for kind in MANAGED_TYPES:
        objects = doc.get(kind.name)
        if not objects:
            continue
        for key, body in ({"": objects} if kind.singleton else objects).items():
            where = kind.name if kind.singleton else f"{kind.name} {key!r}"
            problems += [f"  - {where}: {p}" for p in unknown_fields(kind, body, cat)]
    if problems:
        n = len(problems)
        raise StateFileError(
            f"{n} field{'s' if n > 1 else ''} the PBX does not know:\n" + "\n".join(problems),
            hint="Fix the spelling; `3cx state pull` writes every field a kind has.",
        )


class CheckedFields:
    """Documents whose field names passed :func:`check_fields` against a catalog, for
    one document planned on many PBXs (a fleet): the check depends on the document and
    the PBX's release only, and catalogs are one object per release, so PBXs of one
    release need it once (it was about a twentieth of a fleet plan's CPU per PBX).
    Only for documents that do not change between the plans; failures are not kept."""

    def __init__(self) -> None:
        # (id(doc), id(catalog)) -> both, held so that neither id can be reused
        self._passed: dict[tuple[int, int], tuple[dict[str, Any], Catalog]] = {}

    def check(self, doc: dict[str, Any], cat: Catalog) -> None:
        """:func:`check_fields`, unless this document passed it with this catalog."""
        key = (id(doc), id(cat))
        if key not in self._passed:
            check_fields(doc, cat)
            self._passed[key] = (doc, cat)


async def plan(
    client: AsyncClient,
    doc: dict[str, Any],
    *,
    prune: bool = False,
    checked: CheckedFields | None = None,
) -> Plan:
    """Compare ``doc`` (from :func:`~.document.load_document`) with the PBX.

    Field names are checked against the PBX's release before anything is read
    (once per release when ``checked`` is shared by the plans of one document)."""
    cat = await client.get_catalog()
    if checked is None:
        check_fields(doc, cat)
    else:
        checked.check(doc, cat)
    kinds = [k for k in MANAGED_TYPES if k.name in doc]
    live = await read_live(client, kinds)
    result = Plan(kinds=[k.name for k in kinds], ids=live.ids)
    for kind in kinds:
        result.changes += _kind_changes(kind, doc[kind.name], live, prune)
    return result
