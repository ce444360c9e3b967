"""The emulator's entity store: SQLite tables of JSON documents, in three parts.

* :mod:`.planner`: OData query options to SQL text and parameters (pure, no connection);
* :mod:`.rowcache`: caches tagged with a table's generation, which cannot serve rows of
  an older state of the table whatever the thread interleaving;
* :mod:`.entityset`: CRUD and query execution over one table; :mod:`.db` holds the
  connection, its lock, transactions and the table generations.

``from tcxkit.emulator.store import Store, EntitySet, ...`` keeps working.
"""

from __future__ import annotations

from .db import FRAGMENT_CACHE_ROWS, Store
from .entityset import EntitySet, KeyType, QueryResult
from .errors import DuplicateKeyError, EntityNotFoundError, StoreError
from .planner import Plan, QueryPlanner, Where

__all__ = [
    "FRAGMENT_CACHE_ROWS",
    "DuplicateKeyError",
    "EntityNotFoundError",
    "EntitySet",
    "KeyType",
    "Plan",
    "QueryPlanner",
    "QueryResult",
    "Store",
    "StoreError",
    "Where",
]
