"""A run's data interval, the period the export and recordings operators work on.

One check for both: a run without an interval, or with an empty one (a DAG scheduled
with a plain cron expression), is refused with the timetable that gives each run one.
"""

from __future__ import annotations

from typing import Any

from ..errors import UsageError

__all__ = ["data_interval"]


def data_interval(task_id: str, context: Any) -> tuple[Any, Any]:
    """``(data_interval_start, data_interval_end)`` of the run; refused when it is empty."""
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None or end <= start:
        raise UsageError(
            f"{task_id}: this run's data interval is empty ({start} to {end}); the "
            "operator works on a run's data interval.",
            hint="Schedule the DAG with an interval timetable, e.g. "
            "CronDataIntervalTimetable('0 1 * * *', timezone='UTC').",
        )
    return start, end
