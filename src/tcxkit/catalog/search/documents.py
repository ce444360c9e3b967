"""Each action as a small document of weighted words, the unit the search ranks.

Fields and weights: the words of the id (3; adjacent pairs joined, 2.7, so
"phonebook" meets ``PhoneBook``), the resource (2) and the words admins use for it
(1.5, ``words.json`` "topics"), parameter names (1.2), the one-line description (1),
the field names of the body or of the items a read returns (0.5) and their enum
values (0.3).  A word keeps its best field's weight.  Each document also knows what
the ranking asks of it: the kind of action (read, create, update, delete, file,
other), whether it is a report or acts on several at once, and what
:mod:`.literals` needs to say where a value goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, NamedTuple

from ..descriptions import describe, is_generic
from .literals import Target
from .memo import memo
from .vocabulary import Vocabulary, stem, tokens, words

if TYPE_CHECKING:
    from .. import Catalog
    from ..model import Action

__all__ = ["KEYWORD", "VERBS", "WHERE", "Document", "DocumentBuilder"]

#: Field weights (see the module docstring).
_ID, _RESOURCE, _TOPIC, _PARAM, _TEXT, _FIELD, _ENUM = 3.0, 2.0, 1.5, 1.2, 1.0, 0.5, 0.3
#: Words of at least this weight (ids, resources, parameters) are the keywords a
#: reworded query may use (``ActionIndex.suggest``).
KEYWORD = _PARAM
#: What a field weight is called in the reasons shown.
WHERE = {
    _ID: "id",
    _RESOURCE: "resource",
    _TOPIC: "resource",
    _PARAM: "parameter",
    _TEXT: "description",
    _FIELD: "field",
    _ENUM: "value",
}
#: Id words that say what is done, not to what: not counted when an id's words are covered.
VERBS = frozenset(
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
_CREATE = frozenset(stem(w) for w in ["create", "add", "init", "generate", "register"])
_UPDATE = frozenset(stem(w) for w in ["update", "set", "edit", "replace", "move"])
_DELETE = frozenset(stem(w) for w in ["delete", "purge", "remove", "clean", "cleanup", "revoke"])


class Document(NamedTuple):
    action: Action
    terms: dict[str, float]  # stem -> best field weight
    id_words: frozenset[str]  # content words of the id (no verbs), spelling mapped
    resource_words: frozenset[str]
    kind: str  # read | create | update | delete | file | other
    several: bool  # acts on several at once (Bulk..., Batch..., Multi...)
    report: bool  # a report function (ReportQueue..., telemetry)
    surface: frozenset[str]  # the id's words as written ("peers", "numbers")
    target: Target


class DocumentBuilder:
    """Builds the documents of one catalog; remembers the words as written and the compounds."""

    def __init__(self, vocab: Vocabulary) -> None:
        self._vocab = vocab
        self.written: set[str] = set()  # every word as the catalog writes it
        self.compound: dict[str, tuple[str, str]] = {}  # "phonebook" -> (phon, book)

    def build(self, a: Action, cat: Catalog) -> Document:
        """The document of one action: its weighted words and what the ranking asks of it."""
        spelling = self._vocab.spelling
        terms, fields = self._terms(a, cat)
        id_tokens = tokens(a.id)
        id_words = [stem(t) for t in id_tokens]
        content = frozenset(m for w in id_words for m in spelling.get(w, (w,))) - VERBS
        resource = frozenset(m for w in words(a.resource) for m in spelling.get(w, (w,)))
        report = a.resource.startswith("Report") or describe(a).startswith(
            ("Report:", "Telemetry:")
        )
        return Document(
            a,
            terms,
            content,
            resource - VERBS,
            kind_of(a, id_words),
            bool(_SEVERAL & set(id_words)),
            report,
            frozenset(id_tokens),
            target_of(a, fields),
        )

    def _terms(self, a: Action, cat: Catalog) -> tuple[dict[str, float], list[str]]:
        """``{stem: best field weight}`` of an action, and its field names (for the target)."""
        terms: dict[str, float] = {}

        def add(texts: Iterable[str], weight: float) -> None:
            for text in dict.fromkeys(texts):  # field names repeat a lot
                toks, expanded = self._text(text)
                self.written.update(toks)
                for t in expanded:
                    if terms.get(t, 0.0) < weight:
                        terms[t] = weight

        add([a.id], _ID)
        # "phonebook" for PhoneBook, "ringgroup" for RingGroup: words people write as one.
        id_tokens = tokens(a.id)
        for x, y in pairwise(id_tokens):
            if stem(x) not in VERBS and stem(y) not in VERBS:
                self.compound[stem(x + y)] = (stem(x), stem(y))
                add([x + y], _ID * 0.9)
        add([a.resource], _RESOURCE)
        for t in self._vocab.topics.get(a.resource, ()):  # stemmed already
            terms[t] = max(terms.get(t, 0.0), _TOPIC)
        params = [p.name for p in a.params if p.role != "header"]
        params += list(a.body.wrapped or ()) if a.body else []
        add(params, _PARAM)
        add([describe(a)], _TEXT)
        if not is_generic(a.summary):
            add([a.summary], _TEXT)
        fields, values = fields_of(a, cat)
        add(fields, _FIELD)
        add(values, _ENUM)
        return terms, fields

    @memo(16384)
    def _text(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A text's words as written, and its stems with their spec spellings mapped."""
        toks = tuple(tokens(text))
        spelling = self._vocab.spelling
        return toks, tuple(m for t in toks for w in [stem(t)] for m in (w, *spelling.get(w, ())))


def target_of(a: Action, fields: list[str]) -> Target:
    """What :func:`.literals.hint` needs to know of an action to place a value in it."""
    thing = " ".join(tokens(a.response.item or a.resource)[-3:]).removeprefix("pbx ")
    return Target(
        a.id,
        thing.removesuffix("s") if not thing.endswith("ss") else thing,
        a.method == "GET" and a.kind == "operation" and a.response.kind == "collection",
        a.body is not None,
        tuple(p.name for p in a.params if p.role != "header"),
        tuple(fields),
    )


def kind_of(action: Action, id_words: Sequence[str]) -> str:
    """read, create, update, delete, file or other: what the action does, for the intent."""
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


def fields_of(a: Action, cat: Catalog) -> tuple[list[str], list[str]]:
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
