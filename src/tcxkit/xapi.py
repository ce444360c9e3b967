"""XAPI schemas as types: ``from tcxkit.xapi import User, UserIn``.

The names are ``TypedDict``s and ``Literal`` aliases that exist for type
checkers only, in ``xapi.pyi`` (generated from the catalog by
scripts/gen_stubs.py when the wheel is built).  At run time every name is
plain ``dict``, which is what a ``TypedDict`` is: ``UserIn(FirstName="Ada")``
builds the same dict a literal would, so annotations and constructors work
without ``if TYPE_CHECKING``.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name[:1].isupper():
        return dict
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
