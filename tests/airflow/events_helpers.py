"""Shared by the Airflow events tests: make things happen on an emulated PBX, and an HTTP
inbox that records JSON POSTs (a helpdesk, a chat webhook) for the example DAGs."""

from __future__ import annotations

import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from airflow_cluster import DAGS

#: The event example DAGs the cluster runs (event-driven, and the event sensor).
EVENT_EXAMPLES = [
    Path(__file__).resolve().parents[2] / "examples" / "airflow" / name
    for name in (
        "threecx_events_missed_call.py",
        "threecx_events_trunk_down.py",
        "threecx_events_backup_sensor.py",
    )
]


def event_bundle(folder: Path, files: list[Path]) -> dict[str, str]:
    """The cluster's DAG bundles: its own DAGs plus a folder holding copies of ``files``."""
    for file in files:
        shutil.copy(file, folder / file.name)
    bundles = [
        {"name": name, "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
         "kwargs": {"path": str(path), "refresh_interval": 0}}
        for name, path in (("tcxkit-cluster", DAGS), ("tcxkit-events", folder))
    ]  # fmt: skip
    return {"AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles)}


def missed_call(emu: Any, src: str, dst: str = "800") -> int:
    """A call from ``src`` to ``dst`` that nobody answers (the emulator's control endpoints)."""
    with httpx.Client(base_url=emu.url, auth=emu.control_auth, timeout=10) as http:
        started = http.post("/emulator/calls", json={"from": src, "to": dst})
        assert started.status_code == 200, started.text
        ended = http.post(f"/emulator/calls/{started.json()['Id']}/end", json={"answered": False})
        assert ended.status_code == 200, ended.text
        return int(ended.json()["CallId"])


def trunk_online(emu: Any, number: str, online: bool) -> None:
    with httpx.Client(base_url=emu.url, auth=emu.control_auth, timeout=10) as http:
        done = http.post(f"/emulator/trunks/{number}/online", json={"online": online})
        assert done.status_code == 200, done.text


class Inbox:
    """``.url``; ``.posts``: (path, headers, JSON body) of every POST; ``wait(n, path)``."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        self.arrived = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("content-length") or 0), 1 << 20)
                body = json.loads(self.rfile.read(length) or b"null")
                with owner.arrived:
                    owner.posts.append(
                        (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    owner.arrived.notify_all()
                self.send_response(201)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def at(self, path: str) -> list[tuple[str, dict[str, str], Any]]:
        return [p for p in self.posts if p[0] == path]

    def wait(self, count: int, path: str, timeout: float) -> list[tuple[str, dict[str, str], Any]]:
        """The POSTs to ``path`` once there are ``count`` (a condition wait, not a sleep)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.at(path)) < count and time.monotonic() < deadline:
                self.arrived.wait(deadline - time.monotonic())
            return self.at(path)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
