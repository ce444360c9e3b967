"""Values in a search query: what the action will be called *with*, not what it is.

"Block calls from +441632960999", "Who is in the Sales queue?", "call history of
104 yesterday": the number, the name and the day say nothing about *which*
action is meant, and matching them as words would only add noise.  The search
takes them out before matching (:func:`extract`) and hands them back with a hint
at where they go (:func:`hint`): "``Sales`` looks like a queue name: ``ListQueue``
with ``$filter=Name eq 'Sales'``".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

__all__ = ["Literal", "Target", "extract", "hint"]


class Literal(NamedTuple):
    """A value found in a query: its text, its kind and where it likely goes."""

    text: str
    kind: str  # name | number | phone | date | time | ip | email | path | code
    hint: str = ""
    noun: str = ""  # the word(s) a name came before ("queue", "ring group")


class Target(NamedTuple):
    """What :func:`hint` needs to know of a ranked action."""

    id: str
    thing: str  # "queue", "user": what the action lists or takes, in words
    lists: bool  # a plain read of an entity set ($filter applies)
    writes: bool  # fields are of the body (else of the items read)
    params: tuple[str, ...]  # path and function parameter names
    fields: tuple[str, ...]  # fields of the body (writes) or of the items (reads)


_DAYS = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?"
_MONTHS = r"(?:January|February|March|April|June|July|August|September|October|November|December)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "name",
        re.compile(
            r"\"([^\"]{1,80})\"|\u201c([^\u201d]{1,80})\u201d|(?<![\w'])'([^']{1,80})'(?![\w'])"
        ),
    ),
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("ip", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b")),
    ("path", re.compile(r"(?<!\S)/[\w.\-/]+")),
    ("date", re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")),
    (
        "date",
        re.compile(
            r"\b(?:today|yesterday|tomorrow|tonight|last\s+night|"
            r"(?:last|this|next|past|previous)\s+(?:\d+\s+)?"
            r"(?:days?|weeks?|months?|years?|hours?|quarters?|weekend)|"
            r"(?:\d+|a|one|two|three)\s+(?:days?|weeks?|months?|hours?)\s+ago)\b",
            re.I,
        ),
    ),
    ("date", re.compile(rf"\b{_DAYS}\b(?:\s*[-\u2013]\s*{_DAYS}\b)?", re.I)),
    ("date", re.compile(rf"\b{_MONTHS}\b(?:\s+\d{{1,2}})?")),
    (
        "time",
        re.compile(
            r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b"
            r"|\b(?:[01]?\d|2[0-4])\s*[-\u2013]\s*(?:[01]?\d|2[0-4])\b(?![-\d])",
            re.I,
        ),
    ),
    ("code", re.compile(r"\b[A-Za-z]\.\d{2,4}\b")),
    ("phone", re.compile(r"\+\d[\d\s().-]{5,}\d|\b\d[\d-]{6,}\d\b")),
    ("number", re.compile(r"\b\d+\b")),
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\u2019-]*")
_TRAIL = "'\u2019-"
_E164 = re.compile(r"\be\.164\b", re.I)
_MAX = 8  # literals reported per query


def extract(text: str, known: Callable[[str], bool]) -> tuple[str, list[Literal]]:
    """``text`` with its values blanked out, and the values.

    ``known(word)`` tells whether a (lower-case) word means something to the
    search; a capitalised word that does not, other than the first word of the
    query, is taken for a name ("Sales", "John Smith").
    """
    text = _E164.sub("e164", text)
    found: list[tuple[int, Literal]] = []
    chars = list(text)
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer("".join(chars)):
            value = next((g for g in m.groups() if g), m.group(0)).strip()
            found.append((m.start(), Literal(value, kind)))
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
    rest = "".join(chars)
    for start, lit in _names(rest, known):
        found.append((start, lit))
        rest = rest[:start] + " " * len(lit.text) + rest[start + len(lit.text) :]
    found.sort(key=lambda f: f[0])
    return rest, [lit for _, lit in found[:_MAX]]


#: Nouns a name comes before: "the Support queue", "the Sales department".
_NAMED = frozenset(
    [
        "queue",
        "queues",
        "department",
        "departments",
        "group",
        "groups",
        "team",
        "company",
        "ring",
        "hunt",
        "trunk",
        "ivr",
        "playlist",
        "template",
        "rule",
        "contact",
        "user",
        "extension",
        "office",
    ]
)


def _names(text: str, known: Callable[[str], bool]) -> list[tuple[int, Literal]]:
    """Runs of capitalised words that are names (never the query's first word).

    A capitalised word is a name when the search does not know it ("Sales"), or
    when a lower-case noun that names things follows it ("the Support department").
    """
    out: list[tuple[int, Literal]] = []
    run: list[re.Match[str]] = []
    found = list(_WORD.finditer(text))
    for k, m in enumerate(found):
        w = m.group(0).rstrip(_TRAIL)
        nxt = found[k + 1].group(0) if k + 1 < len(found) else ""
        follows = bool(run) and text[run[-1].end() : m.start()].strip() == ""
        name = (
            k > 0
            and w[:1].isupper()
            and (
                follows  # "Christmas Day": a capitalised word goes on a name
                or not known(w.lower().removesuffix("'s"))
                or (nxt.islower() and nxt in _NAMED and not w.isupper())  # not SIP trunk
            )
        )
        if name and (not run or text[run[-1].end() : m.start()].strip() == ""):
            run.append(m)
            continue
        if run:
            after = [x.group(0) for x in found[k : k + 2] if x.group(0).islower()]
            out.append(_run(text, run, " ".join(after[:1] if after[:1] != ["ring"] else after)))
        run = [m] if name else []
    if run:
        out.append(_run(text, run, ""))
    return out


def _run(text: str, run: list[re.Match[str]], noun: str) -> tuple[int, Literal]:
    value = text[run[0].start() : run[-1].end()].rstrip(_TRAIL)
    value = value.removesuffix("'s").removesuffix("\u2019s")
    return run[0].start(), Literal(value, "name", noun=noun)


class _Kind(NamedTuple):
    """What the hints know of a kind of value: how to name it, and the fields it goes into
    (best first, matched case-insensitively; none for a kind no field is made for)."""

    what: str
    fields: tuple[str, ...] = ()


_KINDS = {
    "name": _Kind(
        "a {thing} name", ("Name", "DisplayName", "RuleName", "FirstName", "Description")
    ),
    "number": _Kind("an extension or other DN number", ("Number", "DnNumber", "SrcDn", "Dn")),
    "phone": _Kind(
        "a phone number", ("CallerId", "Number", "PhoneNumber", "Mobile", "ExternalNumber")
    ),
    "ip": _Kind("an IP address", ("IPAddrMask", "IpAddress", "IP", "Address")),
    "email": _Kind("an e-mail address", ("EmailAddress", "Email")),
    "date": _Kind("a date or period"),
    "time": _Kind("a time of day"),
    "path": _Kind("a file path"),
    "code": _Kind("a code or name"),
}


def hint(lit: Literal, targets: Sequence[Target]) -> Literal:
    """``lit`` with a hint naming the first of ``targets`` it fits and how to pass it.

    ``targets`` are the best-ranked actions, after (for a name before a noun, "the
    Sales queue") the list of what the noun names.
    """
    value = lit.text
    if lit.kind == "number":  # a by-number read anywhere in the list beats a filter
        targets = sorted(targets, key=lambda t: not any("number" in p.lower() for p in t.params))
    for t in targets:
        where = _where(lit, t)
        if where:
            what = _KINDS[lit.kind].what.format(thing=t.thing)
            return lit._replace(hint=f"`{value}` looks like {what}: `{t.id}` with {where}")
    what = _KINDS[lit.kind].what.format(thing="").replace("  ", " ")
    return lit._replace(hint=f"`{value}` looks like {what}; not matched as a word")


def _where(lit: Literal, t: Target) -> str:
    quoted = "'" + lit.text.replace("'", "''") + "'"
    if lit.kind == "date":
        period = [p for p in t.params if re.search(r"period|from|to$|date|day", p, re.I)]
        if period:
            return " and ".join(period[:2]) + " (in the PBX's time zone)"
        times = [f for f in t.fields if re.search(r"(Time|Date|At)$", f)]
        if t.lists and times:
            return f"`$filter={times[0]} ge …`"
        return ""
    if lit.kind == "number":
        for p in t.params:
            if "number" in p.lower():
                return f"{p}={lit.text}"
    names = _KINDS[lit.kind].fields if lit.kind in _KINDS else ()
    lowered = {f.lower(): f for f in t.fields}
    for name in names:
        field = lowered.get(name.lower())
        if field:
            if t.lists:
                return f"`$filter={field} eq {quoted}`"
            if t.writes:
                return f"body field `{field}`"
    return ""
