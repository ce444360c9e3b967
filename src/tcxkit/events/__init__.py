"""Events: XAPI polled into a typed change feed per PBX (docs/events.md).

XAPI has no webhooks.  Each *source* here polls the cheapest query that can show one
kind of change (``$select`` of what it needs, ``$filter`` past its cursor), at its own
interval, and turns the answers into :class:`Event` objects with stable ids.  A
:class:`Watcher` drives the sources of one PBX and commits each poll's events with the
source's cursor into a :class:`CursorStore` (SQLite by default); consumers -- the
``3cx events watch`` printer, the ``3cx events relay`` webhook sender -- read that
store's outbox and move their position only past what they delivered.

Core: imports no face.  Sources are sans-I/O; the watcher is the one driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .calls import ActiveCallsSource, CallLogSource
    from .model import EVENT_TYPES, Event, event_id, parse_types
    from .source import Poll, PollContext, Polled, Query, Source
    from .status import TrunkSource, UsersSource
    from .store import CursorStore, SqliteCursorStore
    from .system import BackupsSource, EventLogSource, LicenseSource
    from .watcher import SOURCES, AsyncWatcher, Watcher, drain, sources_for

#: Attribute -> submodule, imported on first use (the CLI's start-up stays lean).
_WHERE = {
    "ActiveCallsSource": "calls", "CallLogSource": "calls", "EVENT_TYPES": "model",
    "Event": "model", "event_id": "model", "Poll": "source", "PollContext": "source",
    "Polled": "source", "Query": "source", "Source": "source",
    "UsersSource": "status", "TrunkSource": "status", "BackupsSource": "system",
    "EventLogSource": "system", "LicenseSource": "system", "CursorStore": "store",
    "SqliteCursorStore": "store", "SOURCES": "watcher", "Watcher": "watcher", "AsyncWatcher": "watcher",
    "drain": "watcher", "sources_for": "watcher", "parse_types": "model",
}  # fmt: skip
__getattr__ = lazy_attributes(__name__, _WHERE)

__all__ = [
    "EVENT_TYPES",
    "SOURCES",
    "ActiveCallsSource",
    "AsyncWatcher",
    "BackupsSource",
    "CallLogSource",
    "CursorStore",
    "Event",
    "EventLogSource",
    "LicenseSource",
    "Poll",
    "PollContext",
    "Polled",
    "Query",
    "Source",
    "SqliteCursorStore",
    "TrunkSource",
    "UsersSource",
    "Watcher",
    "drain",
    "event_id",
    "parse_types",
    "sources_for",
]
