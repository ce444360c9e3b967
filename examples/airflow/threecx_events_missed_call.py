"""A DAG run per missed call: each one opens a ticket (an HTTP POST to a helpdesk).

Airflow 3's event-driven scheduling: the DAG's schedule is an asset watched by
``ThreeCXEventTrigger`` in the triggerer; the ``call.missed`` events one poll finds become
one asset event, and each asset event one DAG run (a run per missed call, or per handful
when several are missed within one poll: the task opens a ticket for each).  The trigger keeps its cursor
in a file, so a restarted triggerer neither loses nor repeats a missed call; the ticket
carries the event's stable ``id`` as its idempotency key, so a helpdesk that dedupes by
it never opens two tickets for one call.

``TICKETS_URL`` (environment) is where tickets go; any service that takes a JSON POST.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import DAG, Asset, AssetWatcher, task

from tcxkit.airflow.events import ThreeCXEventTrigger

TICKETS_URL = os.environ.get("TICKETS_URL", "http://127.0.0.1:8080/tickets")

missed_calls = Asset(
    "threecx_missed_calls",
    watchers=[
        AssetWatcher(
            name="threecx_missed_call_watcher",
            trigger=ThreeCXEventTrigger(types=["call.missed"], interval=2),
        )
    ],
)

with DAG(
    dag_id="threecx_missed_call_ticket",
    description="Open a ticket for each missed call",
    schedule=[missed_calls],
    tags=["3cx", "example", "events"],
) as dag:

    @task
    def open_ticket(triggering_asset_events: Any = None) -> list[str]:
        """POST one ticket per missed call in this run's asset events."""
        import httpx

        opened = []
        events = [
            event
            for asset_event in triggering_asset_events[missed_calls]
            for event in asset_event.extra["payload"]["events"]  # what one poll found
        ]
        for event in events:
            data = event["data"]
            caller = data.get("from") or {}
            ticket = {
                "subject": f"Missed call from {caller.get('number') or caller.get('dn')}",
                "when": event["time"],
                "pbx": event["pbx"],
                "call": data,
            }
            answer = httpx.post(
                TICKETS_URL, json=ticket, headers={"Idempotency-Key": event["id"]}, timeout=10
            )
            answer.raise_for_status()
            opened.append(event["id"])
        return opened

    open_ticket()
