"""Moved to :mod:`tcxkit.config.options` (one run's settings belong to the core)."""

from __future__ import annotations

from ..config.options import Options

__all__ = ["Options"]
