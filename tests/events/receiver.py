"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every
request, verifies it with the independent ``standardwebhooks`` library, and can be told
to fail (answer 503) until told otherwise."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import standardwebhooks

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver:
    """``.url``; ``.requests`` (headers, body, verified); ``.down = True`` answers 503."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.requests: list[dict[str, Any]] = []
        self.down = False
        self.delay = 0.0  # seconds before answering (a slow receiver)
        self.arrived = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(min(length, 1 << 20))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    standardwebhooks.Webhook(owner.secret).verify(body, headers)
                    verified = True
                except standardwebhooks.WebhookVerificationError:
                    verified = False
                # A sender killed mid-request leaves a body shorter than announced: refused,
                # as any server would (the relay's restart sends the event again, whole).
                status = 503 if owner.down else (204 if len(body) == length else 400)
                if owner.delay:
                    time.sleep(owner.delay)  # the slow receiver itself, not a test's wait
                with owner.arrived:
                    owner.requests.append(
                        {"headers": headers, "body": body, "verified": verified, "status": status}
                    )
                    owner.arrived.notify_all()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> list[dict[str, Any]]:
        """The events of the requests answered 2xx, in arrival order."""
        return [json.loads(r["body"]) for r in self.requests if r["status"] < 300]

    def wait_for(self, done: Any, timeout: float) -> bool:
        """Block until ``done(self)`` is true or ``timeout``: re-checked on each request and
        at least every 0.2 s (``done`` may also watch something else, a process)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not done(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(min(left, 0.2))
            return True
