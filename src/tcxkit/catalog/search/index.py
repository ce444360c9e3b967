"""The search index of one catalog: parse a request, find candidates, rank, explain.

See the package docstring (:mod:`tcxkit.catalog.search`) for how the ranking works.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from .documents import KEYWORD, VERBS, WHERE, Document, DocumentBuilder
from .literals import Literal, Target, extract, hint
from .memo import memo
from .query import Query, intent_score, rewrite_phrases
from .typos import Lexicon
from .vocabulary import stem, tokens, vocabulary, words

if TYPE_CHECKING:
    from .. import Catalog
    from ..model import Action

__all__ = ["ActionIndex", "Answer", "Hit"]

#: How a query word reached a catalog word, and the factor it scores with.
_EXACT, _SPELLING, _SYNONYM, _TYPO1, _PREFIX, _TYPO2 = 1.0, 1.0, 0.8, 0.75, 0.6, 0.55

_SAY_SEVERAL = frozenset(
    stem(w) for w in ["bulk", "batch", "multi", "several", "multiple", "many", "once"]
)

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


class ActionIndex:
    """The search index of one catalog, built once (see :func:`~tcxkit.catalog.search.index_for`)."""

    def __init__(self, cat: Catalog) -> None:
        self._vocab = vocabulary()
        builder = DocumentBuilder(self._vocab)
        self._docs: list[Document] = [builder.build(a, cat) for a in cat]
        self._compound = builder.compound
        self._by_id = {d.action.id: d for d in self._docs}
        self._lists: dict[str, Target] | None = None  # by what they list (see _list_of)
        self._keywords: Lexicon | None = None  # words of ids, resources, parameters
        df: dict[str, int] = defaultdict(int)
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        for i, d in enumerate(self._docs):
            for t, w in d.terms.items():
                df[t] += 1
                self._postings[t][i] = w
        n = len(self._docs) or 1
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        # One written form per stem (for the reasons shown), and the written words
        # whose stems are indexed (for typos).
        self._shown: dict[str, str] = {}
        for a in cat:
            for tok in tokens(a.id):
                self._shown.setdefault(stem(tok), tok)
        self._lexicon = Lexicon(
            w for w in builder.written if len(w) >= 3 and not w.isdigit() and stem(w) in self._idf
        )

    # ------------------------------------------------------------------ queries

    def _known(self, word: str) -> bool:
        s = stem(word)
        return s in self._idf or s in self._vocab.known or s in self._vocab.stop

    def _parse(self, query: str | Sequence[str]) -> Query:
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
        stems, meaning, phrase_intent = rewrite_phrases(stems, typed, self._vocab)
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
        return Query(out, typed, intent, literals, plural, several, report, surface, corrected)

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

    @memo(4096)
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
            for w in self._lexicon.prefixed(typed):
                put(stem(w), _PREFIX, "prefix")
            if len(typed) >= 4:
                for w, d in self._lexicon.near(typed, short=7):
                    put(stem(w), _TYPO1 if d == 1 else _TYPO2, "typo")
        return tuple(sorted(((t, f, h) for t, (f, h) in found.items()), key=lambda x: -x[1]))

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
            return Answer(
                hits, self._hints(q.literals, [self._by_id[h.action.id].target for h in hits[:5]])
            )
        total: dict[int, float] = defaultdict(float)  # document -> sum of its words' best
        count: dict[int, int] = defaultdict(int)  # document -> query words matched
        reached: set[str] = set()  # catalog words the query reached (compounds as parts)
        exact: set[str] = set()  # ... as written or spelt by the spec
        if any(lit.kind == "number" for lit in q.literals):
            reached.add("number")  # "user 101" names GetUserByNumber completely
            exact.add("number")
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
        # only the best _SHORTLIST by matched words are scored in full (all, without a limit).
        n = len(q.words)
        quick = {i: v * (0.4 + 0.6 * count[i] / n) for i, v in total.items()}
        keep = len(quick) if limit is None else max(_SHORTLIST, limit)
        shortlist = heapq.nlargest(keep, quick, key=quick.__getitem__)
        scored = [(self._score(i, quick[i], reached, exact, q), i) for i in shortlist]
        ranked = sorted(scored, key=lambda si: (-si[0], self._docs[si[1]].action.id))
        # values are placed by the best five, however few results are asked for
        hints = self._hints(q.literals, [self._docs[i].target for _, i in ranked[:5]])
        ranked = ranked[:limit]
        hits = [Hit(self._docs[i].action, sc, self._why(self._docs[i], q)) for sc, i in ranked]
        return Answer(hits, hints)

    def _score(self, i: int, score: float, terms: set[str], exact: set[str], q: Query) -> float:
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
        return round(score + intent_score(q.intent, d.kind), 3)

    @memo(4096)
    def _weighted(self, word: str, typed: str) -> tuple[tuple[str, float, float], ...]:
        """``(catalog word, factor x idf, factor)`` for each candidate of a query word.

        "find" -> "retrieve", "change" -> "Change the...": a verb, however rare, says
        what to do, not to what (the intent scores that), so its rarity is capped.
        """
        verbish = self._vocab.intents.get(word, "run") != "run"
        out = []
        for t, factor, _ in self._candidates(word, typed):
            idf = min(self._idf[t], 1.0) if verbish or t in VERBS else self._idf[t]
            out.append((t, factor * idf, factor))
        return tuple(out)

    def _why(self, d: Document, q: Query) -> tuple[str, ...]:
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
        where = WHERE.get(weight, "field")
        if not how or (how == "spelling" and typed.lower() == shown):
            return f"{typed} ({where})"
        return f"{typed} ~ {shown} ({how}, {where})"

    def _hints(self, literals: list[Literal], targets: list[Target]) -> list[Literal]:
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
        s = " ".join(words(noun))
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

    def _reworded(self, q: Query) -> str:
        fixed = [self._closest(w) for w in q.words]
        if not q.words or fixed == q.words or not all(fixed):
            return ""
        return " ".join(self._shown.get(f, f) for f in fixed)

    @memo(4096)
    def _closest(self, word: str) -> str:
        """The catalog word (of an id, a resource or a parameter) nearest a typo, or ""."""
        if word in self._idf:
            return word
        if self._keywords is None:
            self._keywords = Lexicon(
                t for d in self._docs for t, w in d.terms.items() if w >= KEYWORD and len(t) > 2
            )
        near = [(d, self._idf[t], t) for t, d in self._keywords.near(word, short=5)]
        return min(near)[2] if near else ""
