"""Lookups by number: name the numbers that matched nothing.

``--peers-request '{"DnNumbers": [100, 99999]}'`` returns only peer 100, and
``--filter "Number in ('100','99999')"`` only user 100; the PBX says nothing
about 99999.  A person who typed 99999 wants to hear it, so the numbers asked
for are read from the request (any ``...Numbers`` list in a body argument, or
a filter made only of ``Number eq``/``Number in`` clauses) and compared with
the ``Number`` of each row.  The missing ones go to stderr as
``3cx: not found: 99999`` (exit 0); ``--strict`` makes that exit 7, the code
of "not found".

The other direction: an action keyed by the internal Id (``DeleteUser`` on
``/Users({Id})``) takes the extension number as its argument when the entity
set has a lookup by number (``GetUserByNumber`` on ``/Users(Number={Number})``;
users, queues, ring groups, receptionists, parkings, fax, trunks, peers).
``3cx users delete 105`` resolves 105 with that one read and then sends the
request with the Id found.  Under ``--dry-run`` the read is still made (it only
reads, and without it the request shown would not be the one sent) and printed
on stderr before the request; the write is not sent.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click

from ..errors import NotFoundError, UsageError
from .exitcodes import code_for

if TYPE_CHECKING:
    from ..catalog import Action, Catalog
    from ..client import Client

__all__ = [
    "NUMBER_HELP",
    "STRICT_HELP",
    "NumberCheck",
    "asked_numbers",
    "number_lookup",
    "offers_strict",
    "resolve_number",
]

STRICT_HELP = (
    "Exit 7 when a number looked up (a ...Numbers list, or --filter \"Number eq '100'\" / "
    '"Number in (...)") matched nothing.'
)

NUMBER_HELP = "the extension number, resolved to --id with one read ({lookup})"
_KEYED_BY_ID = re.compile(r"(?P<set>/[^/()]+)\(\{Id\}\)")

_VALUE = r"(?:'(?:[^']|'')*'|[0-9]+)"
_CLAUSE = re.compile(
    rf"\s*\(?\s*Number\s+(?:eq\s+(?P<eq>{_VALUE})|in\s+\((?P<in>\s*{_VALUE}(?:\s*,\s*{_VALUE})*)\s*\))\s*\)?\s*",
    re.IGNORECASE,
)
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)


def offers_strict(action: Action) -> bool:
    """Whether ``--strict`` makes sense: a by-numbers body, or a filterable collection."""
    if action.response.shape != "collection":
        return False
    by_numbers = bool(action.body and action.body.wrapped and "Numbers" in action.id)
    return by_numbers or "filter" in action.query


def _unquote(token: str) -> str:
    token = token.strip()
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    return token


def _from_filter(text: str) -> list[str] | None:
    found: list[str] = []
    for part in _OR.split(text.strip()):
        m = _CLAUSE.fullmatch(part)
        if m is None:
            return None  # any other condition: we cannot know what "missing" means
        if m.group("eq"):
            found.append(_unquote(m.group("eq")))
        else:
            found += [_unquote(v) for v in re.findall(_VALUE, m.group("in"))]
    return found or None


def _from_body(action: Action, kwargs: dict[str, Any]) -> list[str] | None:
    if not (action.body and action.body.wrapped):
        return None
    from ..pipeline import wrap_body

    body = wrap_body(action, kwargs.get("body"))
    args = [kwargs.get(name) for name in action.body.wrapped]
    if isinstance(body, dict):
        args += [body.get(name) for name in action.body.wrapped]
    found: list[str] = []
    for arg in args:
        if not isinstance(arg, dict):
            continue
        for key, value in arg.items():
            if key.lower().endswith("numbers") and isinstance(value, list):
                found += [str(v) for v in value if isinstance(v, str | int)]
    return found or None


def asked_numbers(action: Action, kwargs: dict[str, Any]) -> list[str] | None:
    """The numbers a request looks up, in the order given; None when it is no such lookup."""
    numbers = _from_body(action, kwargs)
    if numbers is None and isinstance(kwargs.get("filter"), str):
        numbers = _from_filter(kwargs["filter"])
    return list(dict.fromkeys(numbers)) if numbers else None


class NumberCheck:
    """Collects the ``Number`` of each printed row, then names the numbers not seen."""

    def __init__(self, action: Action, kwargs: dict[str, Any], strict: bool) -> None:
        self.asked = asked_numbers(action, kwargs)
        self.strict = strict
        self.seen: set[str] = set()
        self.rows = 0
        self.rows_without_number = 0
        if strict and self.asked is None:
            raise UsageError(
                "--strict only applies to lookups by number.",
                hint="Give the numbers in a ...Numbers list (e.g. --peers-request "
                "'{\"DnNumbers\": [\"100\"]}') or as --filter \"Number in ('100','101')\".",
            )

    def watch(self, rows: Iterable[Any]) -> Iterator[Any]:
        for row in rows:
            self.note(row)
            yield row

    def note(self, row: Any) -> None:
        self.rows += 1
        if isinstance(row, dict) and "Number" in row:
            self.seen.add(str(row["Number"]))
        else:
            self.rows_without_number += 1

    def finish(self) -> None:
        """Print what matched nothing; with --strict, stop with exit 7."""
        if self.asked is None:
            return
        if self.rows_without_number:
            if not self.strict:  # asked for other fields on purpose: no noise
                return
            print(
                "3cx: cannot tell which numbers matched: the rows have no Number field "
                "(add Number to --select).",
                file=sys.stderr,
            )
            return
        missing = [n for n in self.asked if n not in self.seen]
        if not missing:
            return
        print(f"3cx: not found: {', '.join(missing)}", file=sys.stderr)
        if self.strict:
            raise click.exceptions.Exit(code_for(NotFoundError))


def number_lookup(cat: Catalog, action: Action) -> Action | None:
    """The GET by number on the entity set ``action`` addresses by Id, if the PBX has one."""
    m = _KEYED_BY_ID.fullmatch(action.path)
    if m is None:
        return None
    wanted = f"{m.group('set')}(Number={{Number}})"
    return next(
        (a for a in cat.by_resource(action.resource) if a.method == "GET" and a.path == wanted),
        None,
    )


def _kind(lookup: Action) -> str:
    """``GetRingGroupByNumber`` -> ``ring group``: what the number names, for messages."""
    name = lookup.id.removeprefix("Get").removesuffix("ByNumber")
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def resolve_number(
    client: Client, lookup: Action, number: str, *, base_url: str, announce: bool
) -> int:
    """The Id of the entity with ``number``: one GET by number (exit 7 when there is none).

    ``announce`` (``--dry-run``) prints the read and what it found on stderr.
    """
    kwargs: dict[str, Any] = {"Number": number}
    if "select" in lookup.query:
        kwargs["select"] = "Id"
    try:
        found = client.call(lookup.id, **kwargs)
    except NotFoundError as exc:
        raise exc.reworded(
            f"No {_kind(lookup)} has the number {number!r}.",
            hint=f"List the numbers with `3cx {lookup.resource_cli_name} list --select Id,Number`.",
        ) from exc
    uid = found.get("Id") if isinstance(found, dict) else None
    if not isinstance(uid, int):
        raise NotFoundError(
            f"The {_kind(lookup)} with the number {number!r} came back without an Id.",
            status=200,
            hint="Use --id with the internal Id instead.",
        )
    if announce:
        from ..pipeline import prepare

        target = prepare(lookup, kwargs, client.catalog).target
        print(f"3cx: looked up: GET {base_url}{target} -> Id {uid}", file=sys.stderr)
    return uid
