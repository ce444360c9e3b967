"""Call records out of a PBX, complete and resumable (docs/exports.md).

``export(client, ExportSpec(start, end), sink)`` reads ``GetCallLogData`` window by
window, proves each window whole against the PBX's own count, and writes logical calls
(legs nested) or raw legs to a sink (JSON lines, CSV, SQLite) with a checkpoint per
window.  ``export_async`` does the same with an ``AsyncClient`` (one per PBX of a fleet).
"""

from __future__ import annotations

from .calls import CALL_COLUMNS, build_call
from .drivers import export, export_async
from .legs import LEG_COLUMNS, leg_of
from .run import ExportSpec, ExportSummary, export_flow
from .sinks import FileSink, FleetStream, SqliteSink, StreamSink, Target, open_sink, parse_target
from .windows import WindowPlanner

__all__ = [
    "CALL_COLUMNS",
    "LEG_COLUMNS",
    "ExportSpec",
    "ExportSummary",
    "FileSink",
    "FleetStream",
    "SqliteSink",
    "StreamSink",
    "Target",
    "WindowPlanner",
    "build_call",
    "export",
    "export_async",
    "export_flow",
    "leg_of",
    "open_sink",
    "parse_target",
]
