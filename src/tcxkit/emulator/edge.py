"""The network edge: the connection limits nginx puts in front of a PBX, on uvicorn's h11.

A 3CX PBX answers XAPI through nginx, which closes slow and oversized requests before
the application sees them.  uvicorn alone does not: a connection that sends nothing is
never timed out (its keep-alive timer starts only after a first answer), a body may
trickle in forever, and with ``httptools`` (what ``uvicorn[standard]`` picks) a header
has no size limit at all.  :class:`EdgeProtocol` is uvicorn's h11 protocol with those
limits added; the figures are :class:`~.limits.EdgeLimits`, and docs/emulator.md ("Connection
limits") says where each comes from.

What a client sees when it passes one:

* head not complete within ``header_timeout``: the connection is closed without an
  answer (nginx logs 408 and closes; there is no request yet to answer);
* a request line over ``request_line`` bytes: **414**, a header line over
  ``header_line`` or the whole head over ``header_bytes``: **431**, a head h11 cannot
  parse: **400**, each with the PBX's error envelope and ``Connection: close``;
* nothing of a body for ``body_timeout``: **408** with the envelope (or, once an answer
  has started, the connection closed);
* ``max_connections`` already open: **503** with the envelope and ``Retry-After`` at
  once, before the request is read, so a flood of idle connections cannot take the
  descriptors that ordinary requests need.

Every refusal is written directly (these are the web server's answers, not the
application's) and followed by a *lingering close*: the server stops writing, reads and
discards what the client still sends for a moment, then closes.  Closing at once with
unread input would make the kernel reset the connection, and a client reading the
answer after it finished sending would see "connection reset" instead of the 414.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .limits import EdgeLimits
from .wire import dumps

__all__ = ["EdgeProtocol", "connection_cap", "edge_protocol"]

#: Descriptors kept free for everything that is not a client connection (the listening
#: sockets, SQLite files and their journals, the worker threads' pipes, log files).
FD_RESERVE = 64
#: Seconds a refused connection is drained before it is closed (nginx's
#: ``lingering_timeout`` is 5 s).
LINGER = 5.0


class _AnsweredAlready(logging.Filter):
    """Drops uvicorn's "Invalid HTTP request received." warning: such a head has been
    answered (400/414/431), and a flood of hostile heads must not flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Invalid HTTP request received."


#: uvicorn's error log (a child, so its handlers apply), without the warning above.
_LOG = logging.getLogger("uvicorn.error.edge")
_LOG.addFilter(_AnsweredAlready())


def connection_cap(limits: EdgeLimits) -> int:
    """``max_connections``, lowered so the process never runs out of descriptors."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return limits.max_connections
    return max(1, min(limits.max_connections, soft - FD_RESERVE))


def _answer(status: int, message: str, extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A complete HTTP/1.1 answer with the PBX's error envelope, closing the connection."""
    body = dumps({"error": {"code": "", "message": message, "details": []}})
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: application/json; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in extra),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


class _Refused(h11.RemoteProtocolError):
    """A head over one of the limits; carries the answer's status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, error_status_hint=status)
        self.status = status
        self.message = message


class _BoundedConnection(h11.Connection):
    """h11's server side that also measures a complete head against the limits.

    h11 itself only bounds an *incomplete* head (``max_incomplete_event_size``); a head
    that arrives whole in one read is parsed whatever its size, so it is measured here.
    """

    def __init__(self, limits: EdgeLimits) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=limits.header_bytes)
        self.limits = limits
        #: The refusal raised last, for the protocol to answer (uvicorn passes on only
        #: a message).
        self.refused: _Refused | None = None

    def next_event(self) -> Any:
        try:
            event = super().next_event()
            if isinstance(event, h11.Request):
                self._measure(event)
        except _Refused as exc:
            self.refused = exc
            raise
        except h11.RemoteProtocolError as exc:
            if exc.error_status_hint != 431:
                raise
            # The incomplete head outgrew header_bytes: a request line or headers?
            self.refused = self._too_large(self.trailing_data[0])
            raise self.refused from None
        return event

    def _too_large(self, head: bytes) -> _Refused:
        end = head.find(b"\n")
        if end < 0 or end > self.limits.request_line:
            return _Refused(414, self._line_message())
        return _Refused(431, self._head_message())

    def _measure(self, request: h11.Request) -> None:
        line = len(request.method) + len(request.target) + len(b"  HTTP/1.1")
        if line > self.limits.request_line:
            raise _Refused(414, self._line_message())
        total = line
        for name, value in request.headers.raw_items():
            size = len(name) + len(value) + 2
            total += size + 2
            if size > self.limits.header_line or total > self.limits.header_bytes:
                raise _Refused(431, self._head_message())

    def _line_message(self) -> str:
        return (
            f"The request line is longer than {self.limits.request_line} bytes, the most "
            "this PBX's web server accepts. Shorten the URL: fewer $filter terms (use "
            "'in (...)' instead of chained 'or'), or split the request."
        )

    def _head_message(self) -> str:
        return (
            f"The request headers are larger than this PBX's web server accepts "
            f"({self.limits.header_line} bytes per header line, {self.limits.header_bytes} "
            "bytes in all)."
        )


class EdgeProtocol(H11Protocol):
    """uvicorn's h11 protocol with nginx's timeouts, head limits and connection cap.

    ``limits`` and ``cap`` are class attributes set by :func:`edge_protocol`, because
    uvicorn creates one protocol object per connection from the class.
    """

    limits = EdgeLimits()
    cap = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _BoundedConnection(self.limits)
        self.logger = _LOG
        self.timeout_keep_alive = self.limits.keep_alive
        self.limit_concurrency = None  # the cap below answers with the envelope instead
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._lingering = False

    # -- connection life ------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        busy = len(self.connections) >= self.cap
        super().connection_made(transport)
        if busy:
            self._refuse(
                503,
                f"This PBX's web server has {self.cap} connections open, the most it "
                "serves at once. Try again in a moment.",
                (("Retry-After", "1"),),
            )
            return
        self._arm_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # drained and dropped until the lingering close ends
        super().data_received(data)
        if self._lingering or self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            # Waiting for a head (a new request on a kept-alive connection, or the rest
            # of a body discarded after an early answer has ended): always on a clock.
            if self._head_timer is None and self.timeout_keep_alive_task is None:
                self._arm_head()
            self._cancel_body()
            return
        self._cancel_head()
        if state is h11.SEND_BODY:
            self._arm_body()  # nginx's body clock runs between two reads
        else:
            self._cancel_body()

    def send_400_response(self, msg: str) -> None:
        """A head h11 refused (or :class:`_BoundedConnection` measured): 400/414/431."""
        refused = getattr(self.conn, "refused", None)
        if refused is not None:
            self._refuse(refused.status, refused.message)
            return
        self._refuse(400, "The request is not valid HTTP/1.1; the PBX's web server cannot read it.")

    # -- timers ---------------------------------------------------------------------
    def _arm_head(self) -> None:
        self._cancel_head()
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_expired)

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _arm_body(self) -> None:
        self._cancel_body()
        self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_expired)

    def _cancel_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _cancel_timers(self) -> None:
        self._cancel_head()
        self._cancel_body()

    def _head_expired(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()  # nginx closes without an answer: there is no request

    def _body_expired(self) -> None:
        self._body_timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        if self.flow.read_paused:  # the application has not asked for more yet
            self._arm_body()
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the application's pending receive() returns
            cycle.message_event.set()
            if not cycle.response_started:
                self._refuse(
                    408,
                    f"The request body did not arrive: nothing came for "
                    f"{self.limits.body_timeout:g} s.",
                )
                return
        self.transport.close()

    # -- refusals -------------------------------------------------------------------
    def _refuse(self, status: int, message: str, extra: tuple[tuple[str, str], ...] = ()) -> None:
        """Write the answer, stop writing, drain the input for a moment, then close."""
        self._cancel_timers()
        self._lingering = True
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(_answer(status, message, extra))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.transport.resume_reading()
        self.loop.call_later(min(LINGER, self.limits.header_timeout), self.transport.close)


def edge_protocol(limits: EdgeLimits) -> type[EdgeProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to ``limits``."""
    return type(
        "BoundEdgeProtocol", (EdgeProtocol,), {"limits": limits, "cap": connection_cap(limits)}
    )
