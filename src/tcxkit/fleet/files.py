"""Per-PBX file names: ``{pbx}`` in a file name becomes each PBX's name.

One spelling for every face: ``3cx state --fleet`` (``-f 'state/{pbx}.yaml'``) and the
Airflow state operators mapped over connections (``per_pbx``, where a PBX's name is its
connection id).  ``{conn_id}``, Airflow's earlier spelling, still works as a deprecated
alias and warns once per process (docs/fleet.md, docs/airflow.md).
"""

from __future__ import annotations

import warnings

__all__ = ["PLACEHOLDER", "file_for", "names_each_pbx"]

PLACEHOLDER = "{pbx}"

#: Earlier spellings, still understood.
_DEPRECATED = ("{conn_id}",)

_warned: set[str] = set()


def _normalized(pattern: str) -> str:
    for old in _DEPRECATED:
        if old in pattern:
            if old not in _warned:
                _warned.add(old)
                warnings.warn(
                    f"{old} in a per-PBX file name is deprecated; write {PLACEHOLDER} "
                    f"(same meaning): {pattern!r}",
                    FutureWarning,
                    stacklevel=3,
                )
            pattern = pattern.replace(old, PLACEHOLDER)
    return pattern


def names_each_pbx(pattern: str) -> bool:
    """Whether ``pattern`` gives each PBX a file of its own."""
    return PLACEHOLDER in _normalized(pattern)


def file_for(pattern: str, pbx: str) -> str:
    """``pattern`` with the PBX's name in place of ``{pbx}``."""
    return _normalized(pattern).replace(PLACEHOLDER, pbx)
