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
:func:`.query.intent_score`).  Every action that matches any word is a candidate; the
best come first, each with the reasons it matched.

**Before matching**, values are taken out of the query and handed back as likely
arguments (:mod:`.literals`), admin phrasing is rewritten to catalog words
("calls in progress" -> active calls), and stop words are dropped
(:mod:`.vocabulary`).

Modules: :mod:`.vocabulary` (words, stemmer, ``words.json``), :mod:`.literals`
(values), :mod:`.documents` (what is indexed), :mod:`.typos`, :mod:`.query`
(phrases, intent) and :mod:`.index` (parsing, ranking, reasons).  The index is
built once per catalog, on first use (about 0.1 s of CPU); a query then costs
about 1.5 ms (``bench/bench_search.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from .index import ActionIndex, Answer, Hit
from .typos import edit_distance
from .vocabulary import stem, words

if TYPE_CHECKING:
    from .. import Catalog
    from ..model import Action

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
