"""Which fields are secrets, and copies of data with them masked.

A PBX returns passwords, PINs and the licence key whenever a call does not
``$select`` its fields; the CLI masks them on output and the emulator in its
request log.  One list of names serves both.
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


def is_secret_key(key: str) -> bool:
    return bool(_SECRET.search(key)) and not _NOT_SECRET.match(key)


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret string fields masked, at any depth."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and is_secret_key(k) and isinstance(v, str) and v:
                out[k] = MASK
            elif isinstance(k, str) and is_secret_key(k) and isinstance(v, list) and v:
                out[k] = [MASK if isinstance(x, str) else redact(x) for x in v]
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
