"""OData v4 system query options for the emulator: parse them, compile them to SQL, project rows.

The emulator must answer ``$filter``/``$orderby``/``$select``/``$expand``/``$top``/``$skip``/
``$count`` the way a 3CX PBX does, over JSON documents kept in SQLite.  The pipeline, one
module per step:

* :mod:`.lexer` tokenises option text; :mod:`.parser` turns ``$filter``/``$orderby`` into the
  AST of :mod:`.nodes`;
* :mod:`.options` reads all options of a request into :class:`QueryOptions` and checks them
  against a type's properties;
* :mod:`.sql` compiles ASTs to SQL with bound parameters (and builds ASTs from programmatic
  conditions); :mod:`.datetimes` keeps date-time text in one comparable normal form;
* :mod:`.project` applies ``$select``/``$expand`` to result rows.

This package re-exports the public names, so ``from tcxkit.emulator.odata import X`` works.
"""

from __future__ import annotations

from .datetimes import looks_like_datetime, normalize_datetime
from .errors import ODataQueryError
from .lexer import IDENTIFIER
from .nodes import Binary, Call, In, Lambda, Literal, Node, OrderBy, Prop, Unary
from .options import (
    QueryOptions,
    filter_properties,
    parse_expand,
    parse_query,
    parse_select,
    validate_options,
)
from .parser import FUNCTIONS, parse_filter, parse_orderby
from .project import project
from .sql import compile_filter, compile_orderby, condition, json_column

__all__ = [
    "FUNCTIONS",
    "IDENTIFIER",
    "Binary",
    "Call",
    "In",
    "Lambda",
    "Literal",
    "Node",
    "ODataQueryError",
    "OrderBy",
    "Prop",
    "QueryOptions",
    "Unary",
    "compile_filter",
    "compile_orderby",
    "condition",
    "filter_properties",
    "json_column",
    "looks_like_datetime",
    "normalize_datetime",
    "parse_expand",
    "parse_filter",
    "parse_orderby",
    "parse_query",
    "parse_select",
    "project",
    "validate_options",
]
