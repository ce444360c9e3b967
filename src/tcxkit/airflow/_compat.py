"""The Airflow classes the provider builds on, and the one place that knows Airflow's version.

The provider supports Airflow 3 only (docs/airflow.md, "Airflow versions", says why: the
2.x line reached its end of life on 2026-04-22, and the cluster-wide token store needs the
Task SDK). On an older Airflow the import fails here, at DAG parse time, with a message that
says what to do, instead of a confusing error deep inside a task.
"""

from __future__ import annotations

import airflow

MIN_AIRFLOW = (3, 0)


def _major_minor(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


_VERSION = str(getattr(airflow, "__version__", "0"))
if _major_minor(_VERSION) < MIN_AIRFLOW:
    raise ImportError(
        f"tcxkit's Airflow provider needs Apache Airflow 3.0 or newer; this is Airflow {_VERSION}. "
        "Airflow 2 reached its end of life on 2026-04-22: upgrade to Airflow 3 "
        "(docs/airflow.md, 'Airflow versions')."
    )

from airflow.sdk import BaseHook, BaseOperator, BaseSensorOperator, PokeReturnValue  # noqa: E402
from airflow.sdk.exceptions import AirflowException, AirflowFailException  # noqa: E402
from airflow.triggers.base import BaseTrigger, TriggerEvent  # noqa: E402

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "BaseHook",
    "BaseOperator",
    "BaseSensorOperator",
    "BaseTrigger",
    "PokeReturnValue",
    "TriggerEvent",
]
