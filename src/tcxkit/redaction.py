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
    """A copy of ``value`` with secret string fields masked, at any depth.

    Walks with an explicit stack instead of recursing, so a hostile body nested a
    thousand levels deep (the emulator logs what it receives) cannot exhaust the stack.
    """
    root: list[Any] = [None]
    # (source container, its copy, where the copy goes: (parent copy, key))
    stack: list[tuple[Any, Any]] = [(value, (root, 0))]
    while stack:
        item, (parent, slot) = stack.pop()
        if isinstance(item, dict):
            copy: dict[Any, Any] = {}
            parent[slot] = copy
            for k, v in item.items():
                secret = isinstance(k, str) and is_secret_key(k)
                if secret and isinstance(v, str) and v:
                    copy[k] = MASK
                elif secret and isinstance(v, list) and v:
                    copy[k] = [MASK if isinstance(x, str) else x for x in v]
                    stack.extend(
                        (x, (copy[k], i)) for i, x in enumerate(v) if isinstance(x, dict | list)
                    )
                else:
                    copy[k] = v
                    if isinstance(v, dict | list):
                        stack.append((v, (copy, k)))
        elif isinstance(item, list):
            items = list(item)
            parent[slot] = items
            stack.extend((x, (items, i)) for i, x in enumerate(item) if isinstance(x, dict | list))
        else:
            parent[slot] = item
    return root[0]
