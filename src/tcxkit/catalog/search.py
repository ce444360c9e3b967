"""Find actions by what a person asks for: the one search of tcxkit.

``Catalog.search``, ``3cx actions search WORDS``, every "no such action" error
and the MCP server's ``search_actions`` all call :class:`ActionIndex`, so they
rank alike.

**Ranking, never all-or-nothing.**  Each action is a small document of fields
with weights: the words of its id (3), its resource (2) and the words admins use
for that resource (1.5, ``words.json`` "topics"), its parameter names (1.2), its
one-line description (1), the fields of its body or of the items it returns (0.5)
and their enum values (0.3).  A query word scores, in an action, the best of the
catalog words it may mean (itself, its spec spelling, a synonym, a typo's
correction, a prefix; each with a factor below 1 but the first) times that
word's weight in the action times its rarity over the catalog (BM25's idf).  The
action's score sums its query words, scaled by the share of query words it
matched, plus bonuses for an id or resource the query names completely, and for
an action of the kind the query asks for ("add" -> a create, "which" -> a read;
:func:`_intent_score`).  Every action that matches any word is a candidate; the
best come first, each with the reasons it matched.

**Before matching**, values are taken out of the query and handed back as likely
arguments (:mod:`.literals`), admin phrasing is rewritten to catalog words
("calls in progress" -> active calls), and stop words are dropped
(:mod:`.vocabulary`).  The index is built once per catalog, on first use (about
0.1 s); a query then costs about a millisecond (``bench/bench_search.py``).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple
from weakref import WeakKeyDictionary

from .descriptions import describe, is_generic
from .literals import Literal, Target, extract, hint
from .vocabulary import GAP, stem, tokens, vocabulary, words

if TYPE_CHECKING:
    from . import Catalog
    from .model import Action

__all__ = [
    "ActionIndex",
    "Answer",
    "Hit",
    "edit_distance",
    "index_for",
    "search_actions",
    "stem",
    "words",
]

#: Field weights (see the module docstring).
_ID, _RESOURCE, _TOPIC, _PARAM, _TEXT, _FIELD, _ENUM = 3.0, 2.0, 1.5, 1.2, 1.0, 0.5, 0.3
_FIELD_NAMES = {
    _ID: "id",
    _RESOURCE: "resource",
    _TOPIC: "resource",
    _PARAM: "parameter",
    _TEXT: "description",
    _FIELD: "field",
    _ENUM: "value",
}
#: How a query word reached a catalog word, and the factor it scores with.
_EXACT, _SPELLING, _SYNONYM, _TYPO1, _PREFIX, _TYPO2 = 1.0, 1.0, 0.8, 0.75, 0.6, 0.55

#: Id words that say what is done, not to what: not counted when an id's words are covered.
_VERBS = frozenset(
    stem(w)
    for w in [
        "get",
        "list",
        "update",
        "create",
        "delete",
        "set",
        "add",
        "init",
        "generate",
        "retrieve",
        "retreive",
        "ge",
        "download",
        "export",
        "purge",
        "bulk",
        "batch",
        "multi",
        "by",
        "data",
        "settings",
        "view",
    ]
)
_SEVERAL = frozenset(stem(w) for w in ["bulk", "batch", "multi", "several"])
_SAY_SEVERAL = frozenset(
    stem(w) for w in ["bulk", "batch", "multi", "several", "multiple", "many", "once"]
)
_CREATE = frozenset(stem(w) for w in ["create", "add", "init", "generate", "register"])
_UPDATE = frozenset(stem(w) for w in ["update", "set", "edit", "replace", "move"])
_DELETE = frozenset(stem(w) for w in ["delete", "purge", "remove", "clean", "cleanup", "revoke"])

#: Actions scored in full per query: the best by matched words alone.
_SHORTLIST = 80

#: Bounds on a query: the search also serves untrusted callers (an MCP server).
_MAX_QUERY_WORDS = 16
_MAX_WORD = 40
_MAX_TEXT = 400


class Hit(NamedTuple):
    """One search result: the action, its score (higher is better) and why it matched."""

    action: Action
    score: float
    why: tuple[str, ...] = ()


class Answer(NamedTuple):
    """A query's ranked actions and the values it held (with where they likely go)."""

    hits: list[Hit]
    literals: list[Literal]


class _Doc(NamedTuple):
    action: Action
    terms: dict[str, float]  # stem -> best field weight
    id_words: frozenset[str]  # content words of the id (no verbs), spelling mapped
    resource_words: frozenset[str]
    kind: str  # read | create | update | delete | file | other
    several: bool  # acts on several at once (Bulk..., Batch..., Multi...)
    report: bool  # a report function (ReportQueue..., telemetry)
    surface: frozenset[str]  # the id's words as written ("peers", "numbers")
    target: Target


class _Query(NamedTuple):
    words: list[str]  # content stems, in order, no duplicates
    typed: dict[str, str]  # stem -> the word as typed (or the phrase it came from)
    intent: str | None
    literals: list[Literal]
    plural: bool  # a content word typed in the plural ("users"): a list is likelier
    several: bool  # "several", "bulk", "at once": actions on many at once are welcome
    report: bool  # a report word or a date: reports are welcome
    surface: frozenset[str]  # the words as typed (an id's exact form counts a little)
    corrected: frozenset[str]  # stems that stand for a typo ("voicemal" -> voicemail)


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


def _kind(action: Action, id_words: Sequence[str]) -> str:
    first = id_words[0] if id_words else ""
    if action.response.kind == "file" or first in ("download", "export"):
        return "file"
    if action.method == "GET":
        return "read"
    if action.method == "DELETE" or first in _DELETE or "delet" in id_words:
        return "delete"
    if first in _CREATE or (action.method == "POST" and action.kind == "operation"):
        return "create"
    if first in _UPDATE or action.method in ("PATCH", "PUT"):
        return "update"
    return "other"


class ActionIndex:
    """The search index of one catalog, built once (see :func:`index_for`)."""

    def __init__(self, cat: Catalog) -> None:
        self._vocab = vocabulary()
        self._written: set[str] = set()
        self._compound: dict[str, tuple[str, str]] = {}
        self._docs: list[_Doc] = [self._document(a, cat) for a in cat]
        self._by_id = {d.action.id: d for d in self._docs}
        self._lists: dict[str, Target] | None = None  # by what they list (see _list_of)
        # words of ids, resources and parameters, by length (for _closest)
        self._keywords: dict[int, list[str]] | None = None
        df: dict[str, int] = defaultdict(int)
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        for i, d in enumerate(self._docs):
            for t, w in d.terms.items():
                df[t] += 1
                self._postings[t][i] = w
        n = len(self._docs) or 1
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        # Words as the catalog writes them, by first letter (for typos), and one
        # written form per stem (for the reasons shown).
        self._shown: dict[str, str] = {}
        for a in cat:
            for tok in tokens(a.id):
                self._shown.setdefault(stem(tok), tok)
        written = set(self._written)
        # by length, with their letters: typo candidates are found without a full scan
        self._by_length: dict[int, list[tuple[str, frozenset[str]]]] = defaultdict(list)
        for w in sorted(written):
            if len(w) >= 3 and not w.isdigit() and stem(w) in self._idf:
                self._by_length[len(w)].append((w, frozenset(w)))
        del self._written

    # ------------------------------------------------------------------ documents

    def _document(self, a: Action, cat: Catalog) -> _Doc:
        spelling = self._vocab.spelling
        terms: dict[str, float] = {}
        written = self._written

        def add(ws: Iterable[str], weight: float) -> None:
            for w in ws:
                for t in (w, *spelling.get(w, ())):
                    if terms.get(t, 0.0) < weight:
                        terms[t] = weight

        def text(s: str) -> list[str]:
            toks = tokens(s)
            written.update(toks)
            return [stem(t) for t in toks]

        id_tokens = tokens(a.id)
        written.update(id_tokens)
        id_words = [stem(t) for t in id_tokens]
        add(id_words, _ID)
        # "phonebook" for PhoneBook, "ringgroup" for RingGroup: words people write as one.
        for x, y in pairwise(id_tokens):
            if stem(x) not in _VERBS and stem(y) not in _VERBS:
                self._compound[stem(x + y)] = (stem(x), stem(y))
                add([stem(x + y)], _ID * 0.9)
        add(text(a.resource), _RESOURCE)
        add(self._vocab.topics.get(a.resource, ()), _TOPIC)
        params = [p.name for p in a.params if p.role != "header"]
        params += list(a.body.wrapped or ()) if a.body else []
        add((w for p in params for w in text(p)), _PARAM)
        add(text(describe(a)), _TEXT)
        if not is_generic(a.summary):
            add(text(a.summary), _TEXT)
        fields, values = _fields(a, cat)
        add((w for f in fields for w in text(f)), _FIELD)
        add((w for v in values for w in text(v)), _ENUM)
        content = frozenset(m for w in id_words for m in spelling.get(w, (w,))) - _VERBS
        resource = frozenset(m for w in words(a.resource) for m in spelling.get(w, (w,)))
        kind = _kind(a, id_words)
        thing = " ".join(tokens(a.response.item or a.resource)[-3:]).removeprefix("pbx ")
        target = Target(
            a.id,
            thing.removesuffix("s") if not thing.endswith("ss") else thing,
            a.method == "GET" and a.kind == "operation" and a.response.kind == "collection",
            a.body is not None,
            tuple(p.name for p in a.params if p.role != "header"),
            tuple(fields),
        )
        several = bool(_SEVERAL & set(id_words))
        surface = frozenset(id_tokens)
        report = a.resource.startswith("Report") or describe(a).startswith(
            ("Report:", "Telemetry:")
        )
        return _Doc(a, terms, content, resource - _VERBS, kind, several, report, surface, target)

    # ------------------------------------------------------------------ queries

    def _known(self, word: str) -> bool:
        s = stem(word)
        return s in self._idf or s in self._vocab.known or s in self._vocab.stop

    def _parse(self, query: str | Sequence[str]) -> _Query:
        text = query if isinstance(query, str) else " ".join(query)
        rest, literals = extract(text[:_MAX_TEXT], self._known)
        typed_tokens = [t for t in tokens(rest) if len(t) > 1 or t.isdigit()]
        typed_tokens = [t[:_MAX_WORD] for t in typed_tokens[: _MAX_QUERY_WORDS * 2]]
        stems = [self._correct(stem(t), t) for t in typed_tokens]
        typed = dict(zip(stems, typed_tokens, strict=True))
        corrected = frozenset(s for s, t in zip(stems, typed_tokens, strict=True) if s != stem(t))
        plural = any(len(t) > 3 and t.endswith("s") and stem(t) != t for t in typed_tokens)
        intents = self._vocab.intents
        intent = next((intents[s] for s in stems if s in intents), None)
        stems, meaning, phrase_intent = self._phrases(stems, typed)
        intent = phrase_intent or intent
        content = [s for s in stems if s not in self._vocab.stop]
        if not content and not meaning:
            content = stems
        out = list(dict.fromkeys([*content, *meaning]))[:_MAX_QUERY_WORDS]
        several = bool(_SAY_SEVERAL & set(stems))
        surface = frozenset(typed_tokens)
        report = bool(self._vocab.reports & set(stems)) or any(
            lit.kind == "date" for lit in literals
        )
        return _Query(out, typed, intent, literals, plural, several, report, surface, corrected)

    def _correct(self, word: str, typed: str) -> str:
        """A word the catalog and vocabulary do not know, replaced by its closest typo match.

        Done before phrases are read, so "voicemal pin" is the phrase "voicemail pin".
        """
        v = self._vocab
        if word in self._idf or word in v.known or word in v.stop or len(typed) < 4:
            return word
        typos = [(f, t) for t, f, how in self._candidates(word, typed) if how == "typo"]
        if not typos:
            return word
        # the closest, and of those the commonest (the lowest idf)
        return max(typos, key=lambda ft: (ft[0], -self._idf[ft[1]]))[1]

    def _phrases(
        self, stems: list[str], typed: dict[str, str]
    ) -> tuple[list[str], list[str], str | None]:
        """Rewrite admin phrasing: ``(words left, words meant, intent the phrase says)``."""
        meant: list[str] = []
        intent = None
        for pattern, meaning in self._vocab.phrases:
            if not all(p in stems for p in pattern if p not in ("*", "_")):
                continue
            span = _match(pattern, stems)
            if span is None:
                continue
            start, end, kept = span
            label = " ".join(typed.get(s, s) for s in stems[start:end] if s not in kept)
            stems = stems[:start] + kept + stems[end:]
            for m in meaning:
                verb = self._vocab.intents.get(m)
                if verb in ("create", "update", "delete"):
                    intent = intent or verb
                    continue
                typed.setdefault(m, f'"{label}"')
                meant.append(m)
        return stems, meant, intent

    @lru_cache(maxsize=4096)  # noqa: B019 - one index per catalog, kept as long as it
    def _candidates(self, word: str, typed: str) -> tuple[tuple[str, float, str], ...]:
        """Catalog words a query word (stemmed, and as typed) may mean: ``(word, factor, how)``.

        Typos are looked for among the catalog's words as written (``parkng`` is one
        letter from ``parking``, two from its stem ``park``), best first.
        """
        found: dict[str, tuple[float, str]] = {}

        def put(t: str, factor: float, how: str) -> None:
            if t in self._idf and found.get(t, (0.0, ""))[0] < factor:
                found[t] = (factor, how)

        put(word, _EXACT, "")
        for t in self._vocab.spelling.get(word, ()):
            put(t, _SPELLING, "spelling")
        for k, t in enumerate(self._vocab.synonyms.get(word, ())):
            factor = max(_SYNONYM - 0.1 * k, 0.5)  # the first synonym is the likeliest
            put(t, factor, "synonym")
            for s in self._vocab.spelling.get(t, ()):
                put(s, factor, "synonym")
        if not found and len(typed) >= 3 and not typed.isdigit():
            for n in range(len(typed) + 1, len(typed) + 12):
                for w, _ in self._by_length.get(n, ()):
                    if w.startswith(typed) and len(found) < 20:
                        put(stem(w), _PREFIX, "prefix")
            if len(typed) >= 4:
                for w, d in self._near(typed):
                    put(stem(w), _TYPO1 if d == 1 else _TYPO2, "typo")
        return tuple(sorted(((t, f, h) for t, (f, h) in found.items()), key=lambda x: -x[1]))

    def _near(self, typed: str) -> list[tuple[str, int]]:
        """Catalog words (as written) within edit distance 1 of ``typed`` (2 from 7 letters)."""
        limit = 1 if len(typed) < 7 else 2
        letters = frozenset(typed)
        out = []
        for n in range(len(typed) - limit, len(typed) + limit + 1):
            for w, its in self._by_length.get(n, ()):
                if len(letters - its) > limit or len(its - letters) > limit:
                    continue
                d = edit_distance(typed, w, limit)
                if d <= limit:
                    out.append((w, d))
        return out

    # ------------------------------------------------------------------ ranking

    def query(
        self,
        query: str | Sequence[str],
        *,
        resource: str | None = None,
        limit: int | None = None,
    ) -> Answer:
        """The best actions for ``query`` (of ``resource``, if given), and its values.

        An empty query (or one of values only) returns every action of the pool
        in catalog order.
        """
        q = self._parse(query)
        pool = self._pool(resource)
        if not q.words:
            hits = [Hit(self._docs[i].action, 0.0) for i in sorted(pool)][:limit]
            return Answer(hits, self._hints(q.literals, hits))
        total: dict[int, float] = defaultdict(float)  # document -> sum of its words' best
        count: dict[int, int] = defaultdict(int)  # document -> query words matched
        reached: set[str] = set()  # catalog words the query reached (compounds as parts)
        exact: set[str] = set()  # ... as written or spelt by the spec
        for w in q.words:
            cur: dict[int, float] = {}
            for t, coef, factor in self._weighted(w, q.typed.get(w, w)):
                parts = self._compound.get(t, (t,))
                reached.update(parts)
                if factor >= _SPELLING:
                    exact.update(parts)
                postings = self._postings[t]
                if not cur:
                    cur = {i: coef * weight for i, weight in postings.items()}
                    continue
                for i, weight in postings.items():
                    sc = coef * weight
                    if sc > cur.get(i, 0.0):
                        cur[i] = sc
            for i, sc in cur.items():
                total[i] += sc
                count[i] += 1
        if resource is not None:
            total = defaultdict(float, {i: v for i, v in total.items() if i in pool})
        # Bonuses (below) reorder the strongest matches, they do not rescue weak ones:
        # only the best _SHORTLIST by matched words are scored in full.
        n = len(q.words)
        quick = {i: v * (0.4 + 0.6 * count[i] / n) for i, v in total.items()}
        shortlist = heapq.nlargest(_SHORTLIST, quick, key=quick.__getitem__)
        scored = [(self._score(i, quick[i], reached, exact, q), i) for i in shortlist]
        ranked = sorted(scored, key=lambda si: (-si[0], self._docs[si[1]].action.id))[:limit]
        hits = [Hit(self._docs[i].action, sc, self._why(self._docs[i], q)) for sc, i in ranked]
        return Answer(hits, self._hints(q.literals, hits))

    def _score(self, i: int, score: float, terms: set[str], exact: set[str], q: _Query) -> float:
        """The matched words' score (scaled by the share matched), plus the bonuses."""
        d = self._docs[i]
        if "number" in d.id_words and any(lit.kind == "number" for lit in q.literals):
            score += 2.0  # "user 101": the by-number read
        score += 0.5 * len(q.surface & d.surface)  # "peers by numbers": RetreivePeersByNumbers
        if q.plural and d.target.lists:
            score += 1.0  # "extensions": the list rather than one
        if d.report and not q.report:
            score -= 1.5  # a report when the query asks for one (or names a period)
        if d.several and not q.several:
            score -= 1.0  # MultiUserUpdate, BatchDelete: only when several are asked for
        if d.id_words and d.id_words <= exact:
            score += 2.0 + 0.5 * len(d.id_words)  # the query names the id completely
        elif d.id_words and d.id_words <= terms:
            score += 1.0 + 0.25 * len(d.id_words)  # ... in other words
        elif d.id_words:
            score -= 0.4 * len(d.id_words - terms)  # id words the query does not ask for
        if d.resource_words and d.resource_words <= terms:
            score += 1.5
        return round(score + _intent_score(q.intent, d.kind), 3)

    @lru_cache(maxsize=4096)  # noqa: B019 - one index per catalog, kept as long as it
    def _weighted(self, word: str, typed: str) -> tuple[tuple[str, float, float], ...]:
        """``(catalog word, factor x idf, factor)`` for each candidate of a query word.

        "find" -> "retrieve", "change" -> "Change the...": a verb, however rare, says
        what to do, not to what (the intent scores that), so its rarity is capped.
        """
        verbish = self._vocab.intents.get(word, "run") != "run"
        out = []
        for t, factor, _ in self._candidates(word, typed):
            idf = min(self._idf[t], 1.0) if verbish or t in _VERBS else self._idf[t]
            out.append((t, factor * idf, factor))
        return tuple(out)

    def _why(self, d: _Doc, q: _Query) -> tuple[str, ...]:
        """The reasons of a hit, strongest first: ``extensions ~ users (synonym, id)``."""
        found = []
        for w in q.words:
            typed = q.typed.get(w, w)
            best: tuple[float, str, str, float] | None = None
            weighted = self._weighted(w, typed)
            for (t, coef, _), (_, _, how) in zip(weighted, self._candidates(w, typed), strict=True):
                weight = d.terms.get(t)
                if weight is not None and (best is None or coef * weight > best[0]):
                    best = (coef * weight, t, how, weight)
            if best is not None:
                how = best[2] or ("typo" if w in q.corrected else "")
                found.append((best[0], self._reason(typed, best[1], how, best[3])))
        return tuple(r for _, r in sorted(found, key=lambda f: -f[0]))

    def _pool(self, resource: str | None) -> frozenset[int]:
        if resource is None:
            return frozenset(range(len(self._docs)))
        return frozenset(i for i, d in enumerate(self._docs) if d.action.resource == resource)

    def _reason(self, typed: str, term: str, how: str, weight: float) -> str:
        shown = self._shown.get(term, term)
        where = _FIELD_NAMES.get(weight, "field")
        if not how or (how == "spelling" and typed.lower() == shown):
            return f"{typed} ({where})"
        return f"{typed} ~ {shown} ({how}, {where})"

    def _hints(self, literals: list[Literal], hits: list[Hit]) -> list[Literal]:
        targets = [self._by_id[h.action.id].target for h in hits[:5]]
        out = []
        for lit in literals:
            named = self._list_of(lit.noun) if lit.noun else None
            out.append(hint(lit, [named, *targets] if named else targets))
        return out

    def _list_of(self, noun: str) -> Target | None:
        """The plain list of what a noun names: "queue" -> ListQueue, "department" -> ListGroup."""
        if self._lists is None:
            self._lists = {}
            for d in self._docs:
                if d.target.lists:
                    self._lists.setdefault(" ".join(words(d.target.thing)), d.target)
        s = stem(noun)
        for key in (s, *self._vocab.synonyms.get(s, ())):
            if key in self._lists:
                return self._lists[key]
        return None

    def search(
        self, query: str | Sequence[str], *, resource: str | None = None, limit: int | None = None
    ) -> list[Hit]:
        """The ranked actions of :meth:`query`, without the values."""
        return self.query(query, resource=resource, limit=limit).hits

    # ------------------------------------------------------------------ suggestions

    def suggest(self, query: str | Sequence[str], n: int = 5) -> list[str]:
        """For a query that found nothing: a reworded query and its best actions, or [].

        Each unknown word is replaced by the nearest word of an id, a resource or a
        parameter (edit distance 1, 2 for words over five letters, any letter).
        """
        fixed = self._reworded(self._parse(query))
        hits = self.search(fixed, limit=n - 1) if fixed else []
        return [fixed, *(h.action.id for h in hits)] if hits else []

    def _reworded(self, q: _Query) -> str:
        fixed = [self._closest(w) for w in q.words]
        if not q.words or fixed == q.words or not all(fixed):
            return ""
        return " ".join(self._shown.get(f, f) for f in fixed)

    @lru_cache(maxsize=4096)  # noqa: B019 - one index per catalog, kept as long as it
    def _closest(self, word: str) -> str:
        """The catalog word (of an id, a resource or a parameter) nearest a typo, or ""."""
        if word in self._idf:
            return word
        if self._keywords is None:
            self._keywords = defaultdict(list)
            for t in sorted({t for d in self._docs for t, w in d.terms.items() if w >= _PARAM}):
                if len(t) > 2:
                    self._keywords[len(t)].append(t)
        limit = 1 if len(word) <= 5 else 2
        best, best_d = "", limit + 1
        for n in range(len(word) - limit, len(word) + limit + 1):
            for t in self._keywords.get(n, ()):
                d = edit_distance(word, t, limit)
                if d < best_d or (d == best_d and best and self._idf[t] < self._idf[best]):
                    best, best_d = t, d
        return best


def _intent_score(intent: str | None, kind: str) -> float:
    """How well an action's kind fits what the query asks to do."""
    table = _INTENT.get(intent or "", _NO_INTENT)
    return table.get(kind, 0.0)


_NO_INTENT = {
    "read": 0.5,
    "other": 0.0,
    "create": -0.5,
    "update": -0.5,
    "delete": -1.0,
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


def _fields(a: Action, cat: Catalog) -> tuple[list[str], list[str]]:
    """Field names of the action's body (or of the items a read returns), and enum values."""
    index = cat.schema_index
    schemas: list[dict[str, Any]] = []
    if a.body is not None:
        if a.body.wrapped:
            props = index.declared_properties(a.body.schema) or {}
            schemas += [p for p in props.values() if isinstance(p, dict)]
        else:
            schemas.append(a.body.schema)
    elif a.method == "GET" and a.response.item:
        schemas.append({"$ref": f"#/components/schemas/{a.response.item}"})
    elif a.method == "GET" and a.response.kind == "entity" and a.response.schema:
        schemas.append(a.response.schema)
    fields: list[str] = []
    values: list[str] = []
    for s in schemas:
        try:
            props = index.declared_properties(index.unwrap(s)) or {}
        except KeyError:  # a $ref the spec does not define: nothing to index
            continue
        for name, prop in props.items():
            fields.append(name)
            try:
                sch = index.unwrap(prop) if isinstance(prop, dict) else {}
            except KeyError:
                continue
            values += [str(v) for v in sch.get("enum", ())[:40]]
    for p in a.params:
        values += [str(v) for v in p.schema.get("enum", ())[:40]]
    return fields, values


_INDEXES: WeakKeyDictionary[Catalog, ActionIndex] = WeakKeyDictionary()


def index_for(cat: Catalog) -> ActionIndex:
    """The index of a catalog, built on first use and kept as long as the catalog."""
    index = _INDEXES.get(cat)
    if index is None:
        index = _INDEXES[cat] = ActionIndex(cat)
    return index


def search_actions(
    query: str | Sequence[str],
    cat: Catalog,
    *,
    resource: str | None = None,
    limit: int | None = None,
) -> list[Action]:
    """Actions of ``cat`` for ``query``, best first: the library's (and MCP's) search.

    ``search_actions("peers by numbers", catalog())[0].id == "RetreivePeersByNumbers"``
    (``catalog().search("peers", "by", "numbers")`` says the same). ``resource``
    limits the search to one resource (tag, snake or kebab name).
    """
    tag = cat.resource_name(resource) if resource else None
    if resource and tag is None:
        return []
    return [h.action for h in index_for(cat).search(query, resource=tag, limit=limit)]
