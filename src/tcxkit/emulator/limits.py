"""The emulator's input limits, in one place, as a PBX's web server and application have them.

A 3CX PBX is an ASP.NET Core application behind nginx.  Where that stack has a known
default the emulator uses it (JSON depth 64 is System.Text.Json's ``MaxDepth``;
``$top``/``$skip`` are Int32 in ASP.NET OData); XAPI has no upload operation (every
request body in the spec is ``application/json``), so one JSON cap covers them all;
where it has none the figure is a deliberate, generous choice.  Every limit is checked
before the expensive step it protects (the body cap while streaming it, the JSON depth
before validating it), and every refusal is a 4xx with the PBX's error envelope.
docs/emulator.md ("Limits") lists the same figures; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_ARRAY_ITEMS",
    "MAX_EXPAND_DEPTH",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_TOKENS",
    "MAX_JSON_BODY",
    "MAX_JSON_DEPTH",
    "MAX_STRING",
    "MAX_TOKEN_BODY",
    "OFFLOAD_BODY",
    "EdgeLimits",
]

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

#: Bytes of a request body under ``/xapi/v1`` (413 above).  XAPI bodies are entities and
#: settings; the largest real one (a user with its forwarding profiles) is a few tens of KB.
MAX_JSON_BODY = 1024 * 1024
#: Bytes of a ``/connect/token`` form (three short fields).
MAX_TOKEN_BODY = 16 * 1024
#: Nesting of arrays and objects in a JSON body (System.Text.Json's default ``MaxDepth``).
MAX_JSON_DEPTH = 64
#: Characters of a string property whose schema gives no ``maxLength``.
MAX_STRING = 65_536
#: Items of one array in a body (``Groups``, ``Members``, ``DnNumbers``…).
MAX_ARRAY_ITEMS = 10_000
#: Nesting of ``$filter``: parentheses, ``not``, function calls, lambdas, and the depth of
#: the expression tree.  SQLite's parser gives up near 45 nested parentheses.
MAX_FILTER_DEPTH = 32
#: Tokens of one ``$filter`` (about 3 000 ``Number eq '100' or`` terms; over HTTP the
#: 8 KiB request line of :class:`EdgeLimits` ends a filter first, at 354 such terms).
MAX_FILTER_TOKENS = 12_000
#: Levels of ``$expand`` inside ``$expand``.
MAX_EXPAND_DEPTH = 8
#: Bodies at least this large are parsed and validated off the event loop, so a big
#: request never holds up the others (smaller ones are cheaper to do inline).
OFFLOAD_BODY = 64 * 1024


@dataclass(frozen=True)
class EdgeLimits:
    """The connection limits of one emulator server (all its PBXs share them).

    The defaults are nginx's, which a PBX sits behind; tests set short timeouts.
    """

    #: Seconds to receive a whole request head (nginx ``client_header_timeout`` 60 s).
    header_timeout: float = 60.0
    #: Seconds between two reads of a body (nginx ``client_body_timeout`` 60 s).
    body_timeout: float = 60.0
    #: Seconds an idle keep-alive connection stays open (nginx ``keepalive_timeout`` 75 s).
    keep_alive: float = 75.0
    #: Bytes of the request line (nginx: one of ``large_client_header_buffers 4 8k``).
    request_line: int = 8 * 1024
    #: Bytes of one header line (nginx: one buffer, 8 KiB).
    header_line: int = 8 * 1024
    #: Bytes of the whole head, request line included (nginx: all four buffers, 32 KiB).
    header_bytes: int = 32 * 1024
    #: Connections open at once (nginx ``worker_connections`` is 512 per worker; two
    #: workers), further capped by the process's descriptor limit.
    max_connections: int = 1024

    def __post_init__(self) -> None:
        from ..errors import ConfigurationError

        for name in ("header_timeout", "body_timeout", "keep_alive"):
            if not getattr(self, name) > 0:
                raise ConfigurationError(
                    f"EdgeLimits.{name} must be a positive number of seconds.",
                    hint="The defaults are nginx's: 60, 60 and 75 seconds.",
                )
        for name in ("request_line", "header_line", "header_bytes", "max_connections"):
            if getattr(self, name) < 1:
                raise ConfigurationError(
                    f"EdgeLimits.{name} must be a positive whole number.",
                    hint="The defaults: 8 KiB, 8 KiB, 32 KiB and 1 024 connections.",
                )


#: The most new calls per second ``--traffic`` makes (a large contact centre makes a few).
MAX_TRAFFIC_RATE = 50.0
