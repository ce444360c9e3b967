"""The one exception every OData query problem raises, so callers catch a single type."""

from __future__ import annotations

__all__ = ["ODataQueryError"]


class ODataQueryError(Exception):
    """A query option is malformed or refers to something that does not exist.

    The message is written the way the PBX words it; the HTTP layer wraps it into the OData
    error envelope with status 400.
    """
