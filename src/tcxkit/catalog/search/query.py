"""What a query asks for: its words, its intent, and admin phrasing rewritten.

:class:`Query` is a parsed request (:meth:`ActionIndex._parse` builds it);
:func:`rewrite_phrases` applies the vocabulary's phrases ("add _ to _ queue" ->
update the queue's agents); :func:`intent_score` says how well an action's kind
(read, create, update, delete, file, other) fits the verb the request used.
"""

from __future__ import annotations

from typing import NamedTuple

from .literals import Literal
from .vocabulary import GAP, Vocabulary

__all__ = ["Query", "intent_score", "rewrite_phrases"]


class Query(NamedTuple):
    words: list[str]  # content stems, in order, no duplicates
    typed: dict[str, str]  # stem -> the word as typed (or the phrase it came from)
    intent: str | None
    literals: list[Literal]
    plural: bool  # a content word typed in the plural ("users"): a list is likelier
    several: bool  # "several", "bulk", "at once": actions on many at once are welcome
    report: bool  # a report word or a date: reports are welcome
    surface: frozenset[str]  # the words as typed (an id's exact form counts a little)
    corrected: frozenset[str]  # stems that stand for a typo ("voicemal" -> voicemail)


def rewrite_phrases(
    stems: list[str], typed: dict[str, str], vocab: Vocabulary
) -> tuple[list[str], list[str], str | None]:
    """Rewrite admin phrasing: ``(words left, words meant, intent the phrase says)``.

    ``typed`` learns, for each word meant, the phrase it came from (for the reasons).
    """
    meant: list[str] = []
    intent = None
    for pattern, meaning in vocab.phrases:
        if not all(p in stems for p in pattern if p not in ("*", "_")):
            continue
        span = _match(pattern, stems)
        if span is None:
            continue
        start, end, kept = span
        label = " ".join(typed.get(s, s) for s in stems[start:end] if s not in kept)
        stems = stems[:start] + kept + stems[end:]
        for m in meaning:
            verb = vocab.intents.get(m)
            if verb in ("create", "update", "delete"):
                intent = intent or verb
                continue
            typed.setdefault(m, f'"{label}"')
            meant.append(m)
    return stems, meant, intent


def _match(pattern: tuple[str, ...], stems: list[str]) -> tuple[int, int, list[str]] | None:
    """Where ``pattern`` occurs in ``stems``: ``(start, end, words the kept gaps matched)``."""
    for start in range(len(stems)):
        pos, kept, ok = start, [], True
        for k, part in enumerate(pattern):
            if part in ("*", "_"):
                nxt = pattern[k + 1] if k + 1 < len(pattern) else None
                gap = 0
                while pos < len(stems) and gap < GAP and stems[pos] != nxt:
                    if part == "*":
                        kept.append(stems[pos])
                    pos += 1
                    gap += 1
                continue
            if pos < len(stems) and stems[pos] == part:
                pos += 1
            else:
                ok = False
                break
        if ok:
            return start, pos, kept
    return None


def intent_score(intent: str | None, kind: str) -> float:
    """How well an action's kind fits what the query asks to do."""
    table = _INTENT.get(intent or "", _NO_INTENT)
    return table.get(kind, 0.0)


_NO_INTENT = {
    "read": 0.5,
    "other": 0.0,
    "create": -0.5,
    "update": -0.5,
    "delete": -2.0,  # a destructive action only when asked for
    "file": -2.0,
}
_INTENT: dict[str, dict[str, float]] = {
    "run": {"other": 2.5, "read": -0.5, "create": 0.0, "update": 0.0, "delete": -2.0, "file": -1.0},
    "read": {
        "read": 1.5,
        "other": -0.5,
        "create": -2.0,
        "update": -2.0,
        "delete": -2.5,
        "file": -1.5,
    },
    "create": {
        "create": 2.5,
        "other": 0.5,
        "update": 0.0,
        "read": -2.0,
        "delete": -3.0,
        "file": -2.0,
    },
    "update": {
        "update": 2.5,
        "other": 0.5,
        "create": -0.5,
        "read": -2.0,
        "delete": -3.0,
        "file": -2.0,
    },
    "delete": {
        "delete": 2.5,
        "other": 0.0,
        "create": -1.5,
        "update": -1.0,
        "read": -2.0,
        "file": -2.0,
    },
    "file": {
        "file": 2.5,
        "read": 0.0,
        "other": -1.0,
        "create": -2.0,
        "update": -2.0,
        "delete": -2.0,
    },
}
