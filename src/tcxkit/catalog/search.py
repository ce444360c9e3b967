"""Find actions by the words a person uses: the one search of tcxkit.

``3cx actions WORDS``, ``Catalog.search`` and (later) an MCP server's
``search_actions`` all call :func:`search_actions`, so they rank alike.

Each action is indexed by the words of its id, resource, one-line description
(:mod:`.descriptions`), path and parameter names, with field weights (a word of
the id counts most).  The spec's own spellings are mapped to the ones people
type (``Retreive`` also indexes as ``retrieve``) and query words may stand for
catalog words (``remove`` -> ``delete``, ``ivr`` -> ``receptionist``); both
lists are data in ``words.json``.  A query word the catalog does not know is
matched as a prefix, then with typo tolerance (edit distance 1, 2 for long
words).  Every non-filler word must match; results are ranked by how well.
No dependency beyond the standard library: 601 actions fit in a dict.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from weakref import WeakKeyDictionary

from .descriptions import describe
from .naming import snake

if TYPE_CHECKING:
    from . import Catalog
    from .model import Action

__all__ = ["ActionIndex", "Hit", "edit_distance", "index_for", "search_actions", "words"]

_WORDS_FILE = Path(__file__).with_name("words.json")

#: Field weights: a word of the id says most about an action.
_ID, _RESOURCE, _PARAM, _TEXT = 3.0, 2.0, 1.5, 1.0

#: Verbs that do not count against an action when the query leaves them out.
_DEFAULT_VERBS = frozenset({"get", "list"})
_FILE_WORDS = frozenset({"download", "export", "file", "csv"})

#: Bounds on a query (see :func:`_query_words`).
_MAX_QUERY_WORDS = 12
_MAX_WORD = 40

_TOKEN = re.compile(r"[a-z0-9]+")


class Hit(NamedTuple):
    """One search result: the action and its score (higher is better)."""

    action: Action
    score: float


@cache
def _vocabulary() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    data = json.loads(_WORDS_FILE.read_text(encoding="utf-8"))
    spelling = {k: tuple(words(v)) for k, v in data["spelling"].items()}
    synonyms = {k: tuple(s for v in vs for s in words(v)) for k, vs in data["synonyms"].items()}
    return spelling, synonyms


@cache
def _filler() -> frozenset[str]:
    """Query words that help ranking but need not match (``by``, ``the``, ``3cx``)."""
    data = json.loads(_WORDS_FILE.read_text(encoding="utf-8"))
    return frozenset(stem(w) for w in data["filler"])


def stem(word: str) -> str:
    """A crude singular: ``numbers`` -> ``number``, ``policies`` -> ``policy``."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case, stemmed words of a text, an id or a camelCase name."""
    out = []
    for chunk in re.split(r"[^0-9A-Za-z]+", text):
        if chunk:
            out += [stem(w) for w in _TOKEN.findall(snake(chunk))]
    return out


def _query_words(query: str | Sequence[str]) -> tuple[str, list[str]]:
    """The query as text and its words, bounded: a query is a few words, not a document.

    The search also serves untrusted callers (an MCP server), so the work per
    query stays small whatever arrives: at most ``_MAX_QUERY_WORDS`` words of
    at most ``_MAX_WORD`` letters each.
    """
    text = query if isinstance(query, str) else " ".join(query)
    text = text[: _MAX_QUERY_WORDS * (_MAX_WORD + 1)]
    return text, [w[:_MAX_WORD] for w in words(text)[:_MAX_QUERY_WORDS]]


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance with adjacent transpositions, capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


class _Entry(NamedTuple):
    action: Action
    terms: dict[str, float]  # word -> best field weight
    id_words: tuple[str, ...]  # stemmed, spelling mapped, in order (phrase bonus)
    surface: frozenset[str]  # id words as written, lower case (exact-form bonus)


class ActionIndex:
    """The search index of one catalog (built once per release, in a few ms)."""

    def __init__(self, actions: Iterable[Action]) -> None:
        spelling, self._synonyms = _vocabulary()
        self._entries: list[_Entry] = []
        df: dict[str, int] = defaultdict(int)
        for a in actions:
            terms: dict[str, float] = {}

            def add(ws: Iterable[str], weight: float, terms: dict[str, float] = terms) -> None:
                for w in ws:
                    for t in (w, *spelling.get(w, ())):
                        if terms.get(t, 0.0) < weight:
                            terms[t] = weight

            id_words = tuple(m for w in words(a.id) for m in spelling.get(w, (w,)))
            add(words(a.id), _ID)
            add(words(a.resource), _RESOURCE)
            params = [p.name for p in a.params if p.role != "header"]
            params += list(a.body.wrapped or ()) if a.body else []
            add((w for p in params for w in words(p)), _PARAM)
            add(words(describe(a)), _TEXT)
            add(words(a.summary), _TEXT)
            add(words(re.sub(r"\{[^}]*\}", " ", a.path)), _TEXT)
            surface = frozenset(w for w in _TOKEN.findall(snake(a.id)))
            self._entries.append(_Entry(a, terms, id_words, surface))
            for t in terms:
                df[t] += 1
        n = len(self._entries) or 1
        self._idf = {t: 1.0 + math.log(n / c) for t, c in df.items()}
        self._vocab = sorted(df)
        #: Words of ids, resources and parameters: what a reworded query may use.
        self._keywords = sorted(
            {t for e in self._entries for t, w in e.terms.items() if w >= _PARAM}
        )

    # ------------------------------------------------------------------ query words

    def _candidates(self, word: str) -> dict[str, float]:
        """Catalog words a query word may mean, with a factor (1 = exact)."""
        spelling, _ = _vocabulary()
        found: dict[str, float] = {}
        for t in (word, *spelling.get(word, ())):
            if t in self._idf:
                found[t] = 1.0
        for syn in self._synonyms.get(word, ()):
            if syn in self._idf:
                found.setdefault(syn, 0.8)
        if word in self._idf or len(word) < 3:
            return found
        prefixed = [t for t in self._vocab if t.startswith(word)]
        for t in prefixed[:40]:
            found.setdefault(t, 0.7)
        if not found and len(word) >= 4:
            limit = 1 if len(word) < 7 else 2
            for t in self._vocab:
                d = edit_distance(word, t, limit)
                if d <= limit:
                    found.setdefault(t, 0.75 if d == 1 else 0.6)
        return found

    # ------------------------------------------------------------------ search

    def search(
        self, query: str | Sequence[str], *, resource: str | None = None, limit: int | None = None
    ) -> list[Hit]:
        """Actions matching every (non-filler) word of ``query``, best first.

        An empty query returns every action (of ``resource``, if given) in catalog order.
        """
        text, qwords = _query_words(query)
        surface = set(_TOKEN.findall(text.lower()))
        pool = [e for e in self._entries if resource is None or e.action.resource == resource]
        if not qwords:
            return [Hit(e.action, 0.0) for e in pool][:limit]
        asked, filler = set(qwords), _filler()
        required = [w for w in qwords if w not in filler] or qwords
        optional = [w for w in qwords if w in filler and w not in required]
        cands = {w: self._candidates(w) for w in {*required, *optional}}
        hits = []
        for e in pool:
            score = 0.0
            for w in required:
                best = self._best(e, cands[w])
                if best == 0.0:
                    break
                score += best
            else:
                score += sum(0.2 * self._best(e, cands[w]) for w in optional)
                score += 0.5 * len(surface & e.surface)
                if _contiguous(required, e.id_words):
                    score += 2.0
                score -= 0.05 * len(set(e.id_words) - asked - _DEFAULT_VERBS)
                if e.action.method != "GET":
                    score -= 0.1  # unless asked for, a read before a write
                if e.action.response.kind == "file" and not asked & _FILE_WORDS:
                    score -= 0.3  # a file only when the query says so
                hits.append(Hit(e.action, round(score, 4)))
        hits.sort(key=lambda h: (-h.score, h.action.id))
        return hits[:limit]

    def _best(self, entry: _Entry, cands: dict[str, float]) -> float:
        best = 0.0
        for t, factor in cands.items():
            weight = entry.terms.get(t)
            if weight is not None:
                best = max(best, weight * factor * self._idf[t])
        return best

    # ------------------------------------------------------------------ suggestions

    def suggest(self, query: str | Sequence[str], n: int = 5) -> list[str]:
        """For a query that found nothing: closer queries and the nearest actions.

        Each suggestion is either a reworded query (unknown words replaced by
        the closest catalog words) or an action id matching most of the words.
        """
        filler = _filler()
        qwords = [w for w in _query_words(query)[1] if w not in filler]
        out: list[str] = []
        fixed = [self._closest(w) for w in qwords]
        if fixed != qwords and all(fixed):
            candidate = " ".join(fixed)
            if self.search(candidate, limit=1):
                out.append(candidate)
        scores: dict[str, float] = defaultdict(float)
        for w in qwords:
            cands = self._candidates(w) or {c: 0.5 for c in [self._closest(w)] if c}
            for e in self._entries:
                scores[e.action.id] += self._best(e, cands)
        ranked = sorted((i for i, s in scores.items() if s > 0), key=lambda i: (-scores[i], i))
        out += ranked[: n - len(out)]
        return out[:n]

    def _closest(self, word: str) -> str:
        if word in self._idf:
            return word
        best, best_d = "", 3
        for t in self._keywords:
            d = edit_distance(word, t, 2)
            if d < best_d or (d == best_d and best and self._idf[t] < self._idf[best]):
                best, best_d = t, d
        return best


def _contiguous(query: Sequence[str], id_words: Sequence[str]) -> bool:
    """True when the query words appear in the id in order, side by side."""
    q = [w for w in query if w in id_words] if len(query) > 1 else []
    if len(q) < 2 or len(q) != len(query):
        return False
    n = len(q)
    return any(list(id_words[i : i + n]) == q for i in range(len(id_words) - n + 1))


_INDEXES: WeakKeyDictionary[Catalog, ActionIndex] = WeakKeyDictionary()


def index_for(cat: Catalog) -> ActionIndex:
    """The index of a catalog, built on first use and kept as long as the catalog."""
    index = _INDEXES.get(cat)
    if index is None:
        index = _INDEXES[cat] = ActionIndex(cat)
    return index


def search_actions(
    query: str | Sequence[str],
    release: str | Catalog | None = None,
    *,
    resource: str | None = None,
    limit: int | None = None,
) -> list[Action]:
    """Actions matching ``query``, best first: the library's (and MCP's) search.

    ``search_actions("peers by numbers")[0].id == "RetreivePeersByNumbers"``.
    ``release`` is a release name or a :class:`~tcxkit.catalog.Catalog`
    (default: the newest shipped release); ``resource`` limits the search to
    one resource (tag, snake or kebab name).
    """
    from . import Catalog, catalog

    cat = release if isinstance(release, Catalog) else catalog(release or "latest")
    tag = cat.resource_name(resource) if resource else None
    if resource and tag is None:
        return []
    return [h.action for h in index_for(cat).search(query, resource=tag, limit=limit)]
