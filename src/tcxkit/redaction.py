"""Which fields are secrets, and copies of data with them masked.

A PBX returns passwords, PINs and the licence key whenever a call does not
``$select`` its fields; the CLI masks them on output and the emulator in its
request log.  One list of names serves both.

Exports run every row through :func:`redact`, so it is built for that: whether
a field name is a secret is decided once per name (a bounded cache, since the
emulator also sees names from hostile requests), and a row without anything
to mask is passed on as it is instead of being copied.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MASK", "is_secret_key", "redact"]

MASK = "********"

# Field names that hold secrets; booleans such as AllowChangePassword or
# PinProtected stay visible because only non-empty strings are masked.
_SECRET = re.compile(
    r"(password|secret|secretkey|privatekey|apikey|accesskey|licen[cs]ekey|credentials|"
    r"pin|pinnumber|vmpin|accesstoken|refreshtokens?|^token|rpskey|keygrok)$",
    re.IGNORECASE,
)
_NOT_SECRET = re.compile(r"^(nextpagetoken|bosssecretary.*)$", re.IGNORECASE)

# Field name -> secret?  The spec has a few thousand property names; beyond the
# limit names are still judged, just not remembered.
_DECIDED: dict[str, bool] = {}
_DECIDED_LIMIT = 8192


def is_secret_key(key: str) -> bool:
    known = _DECIDED.get(key)
    if known is None:
        known = bool(_SECRET.search(key)) and not _NOT_SECRET.match(key)
        if len(_DECIDED) < _DECIDED_LIMIT:
            _DECIDED[key] = known
    return known


def redact(value: Any) -> Any:
    """``value`` with secret string fields masked, at any depth.

    The input is never modified: a dict or list that holds something to mask
    is copied, everything else is returned as it is (shared, not copied).
    """
    if isinstance(value, dict):
        return _redact_dict(value)
    if isinstance(value, list):
        return _redact_list(value)
    return value


def _redact_dict(obj: dict[Any, Any]) -> dict[Any, Any]:
    out: dict[Any, Any] | None = None  # the copy, made at the first change
    decided = _DECIDED
    for k, v in obj.items():
        secret = decided.get(k)
        if secret is None:
            secret = isinstance(k, str) and is_secret_key(k)
        if secret and isinstance(v, str) and v:
            new: Any = MASK
        elif secret and isinstance(v, list) and v:
            new = [MASK if isinstance(x, str) else redact(x) for x in v]
        elif isinstance(v, dict | list):
            new = redact(v)
        else:
            continue  # a scalar: the common case, kept cheap
        if new is not v:
            if out is None:
                out = dict(obj)
            out[k] = new
    return obj if out is None else out


def _redact_list(items: list[Any]) -> list[Any]:
    out: list[Any] | None = None
    for i, v in enumerate(items):
        new = redact(v)
        if new is not v:
            if out is None:
                out = list(items)
            out[i] = new
    return items if out is None else out
