"""Start ``3cx mcp``: connect as the CLI does, then serve over stdio or streamable HTTP.

Connection settings come from :func:`tcxkit.cli.connect.resolve`, so profiles,
``TCX_*`` variables and the embedded-emulator default are exactly the CLI's.
Nothing may be printed on stdout in stdio mode (it carries the protocol), so
notes go to stderr.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..cli.connect import make_client, resolve
from ..cli.profiles import data_dir
from ..cli.runopts import Options
from .audit import AuditLog
from .policy import Policy
from .service import Toolbox

__all__ = ["McpOptions", "build_toolbox", "parse_http", "run"]


@dataclass
class McpOptions:
    http: str | None = None
    allow_writes: bool = False
    allow_deletes: bool = False
    allow: str | None = None
    deny: str | None = None
    audit_log: str | None = None
    max_result_kb: int = 32
    #: Secrets reach the model unmasked (``--show-secrets``); never the audit log.
    show_secrets: bool = False


def parse_http(value: str) -> tuple[str, int]:
    """``[HOST:]PORT`` -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = value.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--http wants [HOST:]PORT, e.g. 8765 or 127.0.0.1:8765, not {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def build_toolbox(opts: Options, mcp: McpOptions) -> Toolbox:
    conn = resolve(opts)
    client = make_client(conn, opts)
    audit = Path(mcp.audit_log) if mcp.audit_log else data_dir() / "mcp-audit.jsonl"
    policy = Policy.from_options(mcp.allow_writes, mcp.allow_deletes, mcp.allow, mcp.deny)
    tb = Toolbox(client, policy, AuditLog(audit), mcp.max_result_kb * 1024)
    tb.show_secrets = mcp.show_secrets
    threading.Thread(target=tb.warm_up, name="tcxkit-mcp-warm-up", daemon=True).start()
    return tb


def run(opts: Options, mcp: McpOptions) -> None:
    from .server import serve

    http = parse_http(mcp.http) if mcp.http else None
    tb = build_toolbox(opts, mcp)
    try:
        serve(tb, http)
    finally:
        tb.client.close()
