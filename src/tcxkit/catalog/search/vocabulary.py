"""Words for the action search: tokens, a small stemmer, and the 3CX vocabulary.

The vocabulary (``words.json``, reviewed data) says how admins speak about 3CX:
the spec's own spellings (``Retreive``), synonyms (extension -> user, IVR ->
receptionist), admin phrasing ("calls in progress" -> active calls), the words
each resource goes by, the verbs that say what is to be done, and stop words.
Everything in it is stemmed once, on first use, with :func:`stem`, the same
function the index and the queries use, so a table entry matches every
inflection of its words.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from ..naming import snake

__all__ = ["Vocabulary", "stem", "tokens", "vocabulary", "words"]

_FILE = Path(__file__).with_name("words.json")
_TOKEN = re.compile(r"[a-z0-9]+")
_SPLIT = re.compile(r"[^0-9A-Za-z]+")

#: In a phrase pattern, ``*`` (words kept) and ``_`` (words dropped) stand for up to
#: this many words.
GAP = 3


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A light English stemmer: enough to make inflections meet, nothing more.

    ``policies`` -> ``policy``, ``addresses`` -> ``address``, ``recordings`` ->
    ``record``, ``blocked`` -> ``block``, ``queues`` -> ``queu``, ``routing`` ->
    ``rout``.  Stems need not be words: the index and the queries are stemmed
    alike, and results show the words as written.  Words of three letters or
    fewer (``ips``, ``dns``, ``sms``) and numbers are left alone.
    """
    w = word.lower()
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("sses", "xes", "ches", "shes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def tokens(text: str) -> list[str]:
    """Lower-case words of a text, an id or a camelCase name, unstemmed.

    ``RetreivePeersByNumbers`` -> ``retreive peers by numbers``; ``IPAddrMask``
    -> ``ip addr mask``.
    """
    out: list[str] = []
    for chunk in _SPLIT.split(text):
        if chunk:
            out += _TOKEN.findall(snake(chunk))
    return out


def words(text: str) -> list[str]:
    """Stemmed words of a text, an id or a camelCase name."""
    return [stem(t) for t in tokens(text)]


class Vocabulary(NamedTuple):
    """``words.json``, stemmed (see the module docstring)."""

    spelling: dict[str, tuple[str, ...]]
    synonyms: dict[str, tuple[str, ...]]
    phrases: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # pattern (with gaps), words
    topics: dict[str, tuple[str, ...]]  # resource tag -> words
    intents: dict[str, str]  # stem -> read | create | update | delete | file | run
    stop: frozenset[str]
    reports: frozenset[str]  # words that ask for a report
    known: frozenset[str]  # every stem the vocabulary names


@cache
def vocabulary() -> Vocabulary:
    data = json.loads(_FILE.read_text(encoding="utf-8"))
    spelling = {stem(k): tuple(words(v)) for k, v in data["spelling"].items()}
    synonyms: dict[str, tuple[str, ...]] = {}
    for k, vs in data["synonyms"].items():
        found = tuple(dict.fromkeys(s for v in vs for s in words(v)))
        synonyms[stem(k)] = tuple(s for s in found if s != stem(k)) or found
    phrases = []
    for pattern, meaning in data["phrases"].items():
        parts = tuple(p for w in pattern.split() for p in ([w] if w in "*_" else words(w)))
        phrases.append((parts, tuple(words(meaning))))
    # Longest first: "calls in progress" wins over "in progress".
    phrases.sort(key=lambda p: -len([x for x in p[0] if x != "*"]))
    topics = {tag: tuple(words(text)) for tag, text in data["topics"].items()}
    intents = {stem(w): kind for kind, ws in data["intents"].items() for w in ws}
    stop = frozenset(stem(w) for w in data["stop"])
    known = {*spelling, *synonyms, *(s for v in synonyms.values() for s in v)}
    known |= {w for _, meaning in phrases for w in meaning}
    known |= {w for ws in topics.values() for w in ws}
    reports = frozenset(stem(w) for w in data["reports"])
    return Vocabulary(
        spelling, synonyms, tuple(phrases), topics, intents, stop, reports, frozenset(known)
    )
