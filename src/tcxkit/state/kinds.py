"""Deprecated: the table moved to :mod:`tcxkit.state.managed` (``Kind`` is ``ManagedType``).

"Kind" meant five things in tcxkit; the old names keep working for one version,
each access with a :class:`DeprecationWarning` naming the new one.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import managed

#: Old name -> new name in :mod:`tcxkit.state.managed`.
RENAMED = {
    "KINDS": "MANAGED_TYPES",
    "Kind": "ManagedType",
    "Ref": "Ref",
    "kind_names": "type_names",
    "select_kinds": "select_types",
    "get_kind": "get_type",
}


def deprecated(module: str, name: str) -> Any:
    """``managed``'s object for the old ``name``, with a warning that names the new one."""
    new = RENAMED.get(name)
    if new is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    warnings.warn(
        f"{module}.{name} is deprecated; use tcxkit.state.managed.{new}",
        DeprecationWarning,
        stacklevel=3,
    )
    return getattr(managed, new)


def __getattr__(name: str) -> Any:
    return deprecated(__name__, name)
