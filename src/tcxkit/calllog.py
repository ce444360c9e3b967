"""``GetCallLogData``'s function parameters, built in one place for every reader.

The report function takes eleven parameters (period, source/destination filters, call
type, call-time filter, hide-parked-calls) and every face that reads the call log --
exports, events, MCP's call history -- wants all calls of a period and filters with
``$filter`` instead.  Building them here keeps the three readers asking the same thing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["call_log_params"]


def call_log_params(start: datetime, end: datetime, *, hide_pcalls: bool = True) -> dict[str, Any]:
    """The function parameters for every call of the period ``start``..``end``.

    ``hide_pcalls`` is sent as the PBX's ``hidePcalls``: exports send ``False``, events
    and MCP's call history ``True`` (each keeps what it has always asked for).
    """
    return {
        "periodFrom": start,
        "periodTo": end,
        "sourceType": 0,
        "sourceFilter": None,
        "destinationType": 0,
        "destinationFilter": None,
        "callsType": 0,
        "callTimeFilterType": 0,
        "callTimeFilterFrom": None,
        "callTimeFilterTo": None,
        "hidePcalls": hide_pcalls,
    }
