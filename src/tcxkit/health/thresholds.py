"""Check thresholds: built-in defaults, overridden from ``config.toml`` and the inventory.

Both files take the same tables (docs/health.md)::

    [health.disk_space]           # every PBX
    warn_percent = 75
    [health.tags.eu.licence_expiry]   # PBXs tagged eu (later tags win)
    warn_days = 60

Order, later wins: defaults, config.toml ``[health]``, the inventory's ``[health]``, then
per tag of the PBX (in its tag order) config.toml's and the inventory's ``[health.tags.T]``.
Fail closed: an unknown check, an unknown threshold or a value that is not a number
refuses the whole run with the fix, so a typo never silently keeps a default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import ConfigurationError

__all__ = ["Thresholds", "check_table", "merge_tables"]

Thresholds = dict[str, dict[str, float]]


def _bad(where: str, message: str, hint: str) -> ConfigurationError:
    return ConfigurationError(f"{where}: {message}", hint=hint)


def check_table(raw: Any, defaults: Thresholds, where: str) -> Thresholds:
    """One ``[health]``-shaped table (without ``tags``), checked against ``defaults``."""
    if not isinstance(raw, Mapping):
        raise _bad(where, "must be a table.", "Write [health.CHECK] tables; see docs/health.md.")
    out: Thresholds = {}
    for check, values in raw.items():
        if check not in defaults:
            known = ", ".join(sorted(defaults))
            raise _bad(where, f"unknown check {check!r}.", f"Checks with thresholds: {known}.")
        if not isinstance(values, Mapping):
            raise _bad(where, f"[{check}] must be a table.", f"e.g. [health.{check}]")
        for key, value in values.items():
            if key not in defaults[check]:
                known = ", ".join(sorted(defaults[check]))
                raise _bad(where, f"unknown threshold {check}.{key}.", f"{check} takes: {known}.")
            # TOML has nan and inf: either would make every comparison quietly pass.
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < math.inf
            ):
                raise _bad(
                    where,
                    f"{check}.{key} = {value!r} is not a number >= 0 (finite).",
                    f"Write e.g. {key} = {defaults[check][key]:g}.",
                )
            out.setdefault(check, {})[key] = float(value)
    return out


def _split(raw: Any, defaults: Thresholds, where: str) -> tuple[Thresholds, dict[str, Thresholds]]:
    """A ``[health]`` table: its own thresholds and its per-tag ones, checked."""
    if raw is None:
        return {}, {}
    if not isinstance(raw, Mapping):
        raise _bad(where, "[health] must be a table.", "See docs/health.md.")
    body = {k: v for k, v in raw.items() if k != "tags"}
    tags = raw.get("tags") or {}
    if not isinstance(tags, Mapping):
        raise _bad(where, "[health.tags] must be a table of tags.", "e.g. [health.tags.eu.CHECK]")
    return check_table(body, defaults, f"{where} [health]"), {
        tag: check_table(t, defaults, f"{where} [health.tags.{tag}]") for tag, t in tags.items()
    }


def merge_tables(
    defaults: Thresholds, sources: Sequence[tuple[str, Any]]
) -> Callable[[Iterable[str]], Thresholds]:
    """Check every ``(where, [health] table)`` now and return ``for_tags(tags)``, which
    gives one PBX's thresholds.  Sources are given lowest first."""
    split = [_split(raw, defaults, where) for where, raw in sources]

    def for_tags(tags: Iterable[str]) -> Thresholds:
        merged = {check: dict(values) for check, values in defaults.items()}
        layers = [base for base, _ in split]
        for tag in tags:
            layers += [by_tag[tag] for _, by_tag in split if tag in by_tag]
        for layer in layers:
            for check, values in layer.items():
                merged[check].update(values)
        return merged

    return for_tags
