"""Names for actions and resources: one place decides how an operationId looks in
Python (``retreive_peers_by_numbers``) and on the command line
(``retreive-peers-by-numbers``), so the library, the CLI and the docs agree."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["kebab", "snake"]

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@lru_cache(maxsize=4096)
def snake(name: str) -> str:
    """``GetCallLogData`` -> ``get_call_log_data``; ``SIPDevices`` -> ``sip_devices``."""
    cleaned = re.sub(r"[^0-9A-Za-z]+", "_", name)
    return _BOUNDARY.sub("_", cleaned).strip("_").lower()


@lru_cache(maxsize=4096)
def kebab(name: str) -> str:
    return snake(name).replace("_", "-")
