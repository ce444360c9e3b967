"""A small HTTP/1.1 forwarding proxy that can break exchanges on purpose.

It stands between a client and the emulator and forwards requests one by one. For the
requests a rule selects it forwards the request, waits until the emulator has answered
(so the write *has* been applied), and then either closes the client's connection
without a byte of the answer (``drop``) or keeps it open and silent (``hang``): what a
PBX, a load balancer or a flaky network does to a real client. ``answer`` does not
forward at all and answers with the rule's own status, headers and body: a gateway's
error page.
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "upgrade"}


@dataclass
class Rule:
    method: str
    path_prefix: str
    mode: str = "drop"  # or "hang", "answer"
    times: int = 1
    status: int = 502
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class ProxyState:
    upstream: tuple[str, int]
    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[tuple[str, str]] = field(default_factory=list)  # (path, Cookie header)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)
    # Set once the emulator has answered a request a rule broke: from then on the write
    # *is* applied. A client that gave up first (a read timeout) must not race this.
    upstream_answered: threading.Event = field(default_factory=threading.Event)

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p in self.seen if m == method and p.startswith(path_prefix))

    def take_rule(self, method: str, path: str) -> Rule | None:
        with self.lock:
            self.seen.append((method, path))
            for rule in self.rules:
                if rule.times > 0 and method == rule.method and path.startswith(rule.path_prefix):
                    rule.times -= 1
                    self.broken.append((method, path))
                    return rule
        return None


def _read_request(rfile) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    line = rfile.readline(65536)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: list[tuple[str, str]] = []
    length = 0
    while True:
        raw = rfile.readline(65536)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, value = raw.decode("latin-1").split(":", 1)
        headers.append((name.strip(), value.strip()))
        if name.strip().lower() == "content-length":
            length = int(value)
    return method, target, headers, rfile.read(length) if length else b""


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        state = self.server.state
        upstream = http.client.HTTPConnection(*state.upstream, timeout=30)
        try:
            while True:
                request = _read_request(self.rfile)
                if request is None:
                    return
                method, target, headers, body = request
                cookie = ", ".join(v for k, v in headers if k.lower() == "cookie")
                state.cookies.append((urlsplit(target).path, cookie))
                rule = state.take_rule(method, urlsplit(target).path)
                if rule is not None and rule.mode == "answer":
                    self._answer(rule.status, list(rule.headers), rule.body)
                    continue
                forward = {k: v for k, v in headers if k.lower() not in _HOP}
                upstream.request(method, target, body=body or None, headers=forward)
                answer = upstream.getresponse()
                content = answer.read()
                if rule is not None:
                    state.upstream_answered.set()
                    if rule.mode == "hang":
                        state.release.wait(30)
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._answer(answer.status, answer.getheaders(), content)
        except OSError:
            return
        finally:
            upstream.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], content: bytes) -> None:
        out = [f"HTTP/1.1 {status} {http.client.responses.get(status, 'Status')}\r\n"]
        out += [f"{k}: {v}\r\n" for k, v in headers if k.lower() not in _HOP]
        out.append(f"Content-Length: {len(content)}\r\n\r\n")
        self.wfile.write("".join(out).encode("latin-1") + content)
        self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: ProxyState


@contextmanager
def breaking_proxy(upstream_url: str, *rules: Rule) -> Iterator[tuple[str, ProxyState]]:
    """Yield the proxy's URL and its state (requests seen, rules left)."""
    parts = urlsplit(upstream_url)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = ProxyState((parts.hostname or "127.0.0.1", parts.port or 80), list(rules))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.state
    finally:
        server.state.release.set()
        server.shutdown()
        server.server_close()
