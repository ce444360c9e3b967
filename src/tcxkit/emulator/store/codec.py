"""How rows are kept as text: JSON documents, with orjson when it is installed.

``dumps`` writes a stored row, ``loads`` reads one back; ``Fragment`` (orjson's
pre-encoded JSON, None without orjson) lets a cached row go into a response as it is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ..odata import normalize_datetime

__all__ = ["Fragment", "dumps", "encode", "loads"]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return normalize_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"value of type {type(value).__name__} cannot be stored as JSON")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default)

try:  # orjson encodes and decodes several times faster; the stdlib is the fallback
    import orjson

    loads: Callable[[str], Any] = orjson.loads
    Fragment: Callable[[bytes], Any] | None = orjson.Fragment
    _PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME  # date-times go through _json_default

    def dumps(entity: Mapping[str, Any]) -> str:
        try:
            return orjson.dumps(entity, default=_json_default, option=_PASSTHROUGH).decode()
        except TypeError:  # e.g. an integer beyond 64 bits: the stdlib copes
            return _ENCODER.encode(entity)

except ImportError:  # pragma: no cover - depends on the environment
    loads = json.loads
    Fragment = None

    def dumps(entity: Mapping[str, Any]) -> str:
        return _ENCODER.encode(entity)


def encode(row: Mapping[str, Any]) -> Any:
    """``row`` as a ready-encoded JSON fragment (only called when ``Fragment`` exists)."""
    assert Fragment is not None
    return Fragment(orjson.dumps(row))
