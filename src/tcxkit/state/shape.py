"""Between a PBX's rows and a file's objects: written by key, compared field by field.

A file holds what a person would write: no database Ids (a user's groups by
name, a queue's agents by number, a route's trunk by number), no live or
read-only fields, no secrets and no empty values.  :func:`to_file` turns a
PBX row into that form, :func:`to_pbx` turns a file's fields back into a
request body, and :func:`same` compares a file's value with the PBX's in the
file's form, so both sides of a comparison went through the same code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import StateFileError
from ..redaction import is_secret_key
from .managed import ManagedType, Ref

__all__ = ["Ids", "is_empty", "merged", "same", "strip_secrets", "to_file", "to_pbx"]

#: kind name -> {key: database Id}; filled from the PBX, extended by creates.
Ids = dict[str, dict[str, Any]]

_MEMBER_DERIVED = frozenset({"Id", "Name", "Tags"})

# Type tuples made once: ``isinstance(v, dict | list)`` builds the union on every call,
# and these checks run for every field of every row of every PBX a plan reads.
_NESTED = (dict, list)
_EMPTY_ABLE = (str, list, dict)
_NUMBER = (int, float)
_NAME_OR_NUMBER = (str, int)


def is_empty(value: Any) -> bool:
    """Nothing set: None, "", [] or {} (a file leaves these out; they compare equal)."""
    return value is None or (isinstance(value, _EMPTY_ABLE) and not value)


def _file_form(value: Any, in_list: bool = False) -> Any:
    """``value`` in a file's form, in one pass: an object inside a list loses its ``Id``
    (a database Id of one PBX, meaningless on another; top-level Ids are in each kind's
    ``exclude``), and empty values go, an object or list emptied by that included.

    One pass over a row rather than a drop pass and a prune pass: it runs on every
    object of every kind of every PBX a plan reads (docs/benchmarks.md, fleet)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None or v == "" or (in_list and k == "Id"):
                continue
            if isinstance(v, _NESTED):
                v = _file_form(v)
                if not v:
                    continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_file_form(v, True) for v in value]
    return value


def _drop(value: Any, unwanted: Callable[[str, bool], bool], in_list: bool = False) -> Any:
    """``value`` without the fields ``unwanted(name, inside_a_list)`` picks, at any depth."""
    if isinstance(value, dict):
        return {k: _drop(v, unwanted) for k, v in value.items() if not unwanted(str(k), in_list)}
    if isinstance(value, list):
        return [_drop(v, unwanted, True) for v in value]
    return value


def strip_secrets(value: Any) -> Any:
    """``value`` without fields whose name is a secret's (the one rule of :mod:`tcxkit.redaction`)."""
    return _drop(value, lambda name, _in_list: is_secret_key(name))


def _names_of(ids: Ids, kind: str) -> dict[Any, str]:
    return {v: k for k, v in ids.get(kind, {}).items()}


def _ref_to_file(ref: Ref, value: Any, names: dict[Any, str]) -> Any:
    if not isinstance(value, list):
        return value
    if not ref.id_field:
        return [names.get(v, v) for v in value]
    out = []
    for item in value:
        if isinstance(item, dict) and item.get(ref.id_field) in names:
            rest = {k: v for k, v in item.items() if k != ref.id_field and k not in ref.derived}
            item = {ref.as_name: names[item[ref.id_field]], **rest}
        out.append(item)
    return out


def _member_to_file(item: Any) -> Any:
    if isinstance(item, dict) and "Number" in item:
        item = {k: v for k, v in item.items() if k not in _MEMBER_DERIVED}
        if set(item) == {"Number"}:
            return item["Number"]
    return item


def _number_list_to_file(value: Any) -> Any:
    """Members without what the PBX derives (Id, Name, Tags); a bare member as its number."""
    if isinstance(value, list):
        return [_member_to_file(item) for item in value]
    return _member_to_file(value)


def _member_to_pbx(item: Any) -> Any:
    return (
        {"Number": str(item)}
        if isinstance(item, str | int) and not isinstance(item, bool)
        else item
    )


def to_file(
    kind: ManagedType, row: Mapping[str, Any], ids: Ids, *, secrets: bool = False
) -> dict[str, Any]:
    """A PBX row as a file's object body (without its key unless the key is a label).

    No deep copy of ``row``: nothing below changes a container in place, and
    ``_file_form`` rebuilds every dict and list, so the result shares nothing mutable
    with ``row``."""
    exclude = kind.exclude
    body = {k: v for k, v in row.items() if k not in exclude and k[:1] != "@"}
    if not kind.singleton and not kind.key_in_body:
        body.pop(kind.key[0], None)
    for ref in kind.refs:
        if ref.field in body:
            body[ref.field] = _ref_to_file(ref, body[ref.field], _names_of(ids, ref.target))
    for name in kind.number_lists:
        if name in body:
            body[name] = _number_list_to_file(body[name])
    if not secrets:
        body = strip_secrets(body)
    return _file_form(body)


def _ref_to_pbx(kind: ManagedType, key: str, ref: Ref, value: Any, ids: Ids) -> Any:
    if not isinstance(value, list):
        return value
    known = ids.get(ref.target, {})

    def resolve(name: Any) -> Any:
        if str(name) in known:
            return known[str(name)]
        raise StateFileError(
            f"{kind.name} {key!r}: {ref.field} names {ref.target} {name!r}, "
            "which is neither on the PBX nor in the file."
        )

    if not ref.id_field:
        return [resolve(v) for v in value]
    out = []
    for item in value:
        if isinstance(item, dict) and ref.as_name in item:
            rest = {k: v for k, v in item.items() if k != ref.as_name}
            item = {ref.id_field: resolve(item[ref.as_name]), **rest}
        out.append(item)
    return out


def to_pbx(kind: ManagedType, key: str, fields: Mapping[str, Any], ids: Ids) -> dict[str, Any]:
    """A file's fields as a request body: keys back to Ids, numbers back to members."""
    body = copy.deepcopy(dict(fields))
    for ref in kind.refs:
        if ref.field in body:
            body[ref.field] = _ref_to_pbx(kind, key, ref, body[ref.field], ids)
    for name in kind.number_lists:
        if name in body:
            value = body[name]
            body[name] = (
                [_member_to_pbx(v) for v in value]
                if isinstance(value, list)
                else _member_to_pbx(value)
            )
    return body


#: Scalars of one type compare with ``==`` (what the rules of :func:`same` come to for them).
_PLAIN = frozenset({str, int, float, bool})


def same(want: Any, have: Any) -> bool:
    """Whether the PBX already has what the file wants.

    Only what the file names is compared: keys of a nested object the file
    leaves out are not managed, nor a member's fields when it is written
    as a bare number.  Lists compare item by item (a PATCH replaces them
    whole).  ``100`` and ``"100"`` are the same number.
    """
    kind = type(want)
    if kind is type(have) and kind in _PLAIN:  # the common case, decided as below would
        return bool(want == have)
    if is_empty(want) and is_empty(have):
        return True
    if isinstance(want, dict) and isinstance(have, dict):
        for k, v in want.items():  # noqa: SIM110 - a loop: all(<generator>) is slower per field
            if not same(v, have.get(k)):
                return False
        return True
    if isinstance(want, _NAME_OR_NUMBER) and isinstance(have, dict) and "Number" in have:
        return same(want, have["Number"])  # a member by number: its other fields are not named
    if isinstance(want, list) and isinstance(have, list):
        return len(want) == len(have) and all(same(w, h) for w, h in zip(want, have, strict=True))
    if isinstance(want, bool) or isinstance(have, bool):
        return want is have
    if (isinstance(want, _NUMBER) and isinstance(have, str)) or (
        isinstance(want, str) and isinstance(have, _NUMBER)
    ):
        return str(want) == str(have)
    return bool(want == have)


def merged(have: Any, want: Any) -> Any:
    """The value to send: a nested object keeps the keys the file does not name."""
    if isinstance(have, dict) and isinstance(want, dict):
        out = dict(have)
        for k, v in want.items():
            out[k] = merged(have.get(k), v)
        return out
    return copy.deepcopy(want)
