"""The OData query options: one table for the pipeline, the renderer, the CLI, the
emulator and the Airflow operator.

Which options an action accepts comes from its spec (``Action.query``); what each
option is -- its URL name, its kind and the words that explain it -- is written once
here, so ``3cx <resource> <action> --help``, ``3cx actions show`` and the library's
checks cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["QUERY_OPTIONS", "QUERY_OPTION_NAMES", "QueryOption", "query_option"]

OptionKind = Literal["list", "text", "count", "flag"]


@dataclass(frozen=True, slots=True)
class QueryOption:
    """One OData system query option."""

    name: str  # keyword / flag name: ``select`` -> ``select=...``, ``--select``
    kind: OptionKind  # list: comma list or sequence; text; count: integer >= 0; flag: boolean
    help: str  # one sentence, shown by --help and `3cx actions show` alike
    metavar: str = "TEXT"

    @property
    def odata(self) -> str:
        """The name in the URL: ``$select``."""
        return "$" + self.name

    @property
    def flag(self) -> str:
        return "--" + self.name

    @property
    def type_label(self) -> str:
        return {"list": "text", "text": "text", "count": "int", "flag": "flag"}[self.kind]


#: In the order the CLI and the docs list them.
QUERY_OPTIONS: tuple[QueryOption, ...] = (
    QueryOption("select", "list", "Properties to return (comma list).", "A,B"),
    QueryOption("filter", "text", "OData $filter, e.g. \"Number eq '100'\"."),
    QueryOption("orderby", "list", "Sort order, e.g. 'Number desc'.", "A [desc],..."),
    QueryOption("expand", "list", "Navigation properties to expand, e.g. 'Groups($select=Name)'."),
    QueryOption(
        "top", "count", "At most this many items (ordinary sets accept up to 100; see --all).", "N"
    ),
    QueryOption("skip", "count", "Skip this many items.", "N"),
    QueryOption("count", "flag", "Include the total count (@odata.count).", ""),
    QueryOption("search", "text", "OData $search phrase."),
)

QUERY_OPTION_NAMES: tuple[str, ...] = tuple(o.name for o in QUERY_OPTIONS)
_BY_NAME = {o.name: o for o in QUERY_OPTIONS}


def query_option(name: str) -> QueryOption:
    """The option called ``name`` (``select`` or ``$select``)."""
    return _BY_NAME[name.removeprefix("$")]
