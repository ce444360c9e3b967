"""A DAG run per trunk failure: each one sends a notification (a chat incoming webhook).

The schedule is an asset watched by ``ThreeCXEventTrigger`` for ``trunk.down``: when a
trunk (a SIP provider line) stops being online, the triggerer turns the event into an
asset event and the DAG runs once for it.  ``NOTIFY_URL`` (environment) is the chat's
incoming-webhook address; the message is the ``{"text": ...}`` body most chat tools take.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import DAG, Asset, AssetWatcher, task

from tcxkit.airflow.events import ThreeCXEventTrigger

NOTIFY_URL = os.environ.get("NOTIFY_URL", "http://127.0.0.1:8080/notify")

trunk_failures = Asset(
    "threecx_trunk_failures",
    watchers=[
        AssetWatcher(
            name="threecx_trunk_down_watcher",
            trigger=ThreeCXEventTrigger(types=["trunk.down"], interval=2),
        )
    ],
)

with DAG(
    dag_id="threecx_trunk_down_notify",
    description="Notify when a trunk goes down",
    schedule=[trunk_failures],
    tags=["3cx", "example", "events"],
) as dag:

    @task
    def notify(triggering_asset_events: Any = None) -> int:
        """One chat message per trunk.down event of this run."""
        import httpx

        events = [
            event
            for asset_event in triggering_asset_events[trunk_failures]
            for event in asset_event.extra["payload"]["events"]  # what one poll found
        ]
        for event in events:
            trunk = event["data"]
            text = f"3CX {event['pbx']}: trunk {trunk.get('name') or trunk.get('number')} is down"
            httpx.post(
                NOTIFY_URL, json={"text": text, "event": event}, timeout=10
            ).raise_for_status()
        return len(events)

    notify()
