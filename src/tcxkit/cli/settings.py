"""The CLI's defaults: :func:`tcxkit.config.defaults.settle` with its output formats."""

from __future__ import annotations

from ..config.defaults import BUILTIN_TIMEOUT
from ..config.defaults import settle as _settle
from ..config.options import Options
from .globalopts import OUTPUT_FORMATS

__all__ = ["BUILTIN_TIMEOUT", "settle"]


def settle(opts: Options) -> Options:
    """Fill unset options once per run (flag > environment > config.toml > built-in)."""
    return _settle(opts, OUTPUT_FORMATS)
