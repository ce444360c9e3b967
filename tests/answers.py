"""A tiny real HTTP server that answers what a test tells it to.

For answers no PBX gives but the network in front of one does: a web login page,
a captive portal, a proxy's error page, a hostile ``Content-Disposition``.  The
token endpoint works (unless told otherwise); every other path gets ``answer``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    content_type: str = "application/json"
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class AnswerServer:
    url: str
    answer: Answer = field(default_factory=Answer)
    token_answer: Answer | None = None
    paths: list[str] = field(default_factory=list)  # requests other than the token's


TOKEN = Answer(body=json.dumps({"access_token": "t0k", "expires_in": 3600}).encode())

HTML_LOGIN = (
    b"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Sign in - Guest WiFi"
    b"</title></head><body><form>...</form></body></html>"
)


@contextmanager
def answering(answer: Answer | None = None) -> Iterator[AnswerServer]:
    state = AnswerServer(url="", answer=answer or Answer())

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if self.path == "/connect/token":
                a = state.token_answer or TOKEN
            else:
                state.paths.append(self.path)
                a = state.answer
            self.send_response(a.status)
            self.send_header("Content-Type", a.content_type)
            self.send_header("Content-Length", str(len(a.body)))
            self.send_header("X-3CX-Version", "20.0.10.1621")
            for name, value in a.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(a.body)

        do_GET = do_POST = do_PATCH = do_DELETE = _reply

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
