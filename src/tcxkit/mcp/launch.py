"""Start the MCP server: connect through the core's settings, then serve over stdio or HTTP.

Connection settings come from :func:`tcxkit.config.connection.resolve`, so profiles,
inventory PBXs and ``TCX_*`` variables mean exactly what they mean to the CLI; no
CLI module is imported.  ``3cx mcp`` passes its own ``connect`` (the CLI's, which adds
the built-in emulator when nothing is configured).
Everything that can refuse is checked before the first byte is served: the
permission options (:mod:`.policy`), the audit file's mode (:mod:`.audit`), the
HTTP binding and token (:mod:`.http_guard`).  Nothing may be printed on stdout
in stdio mode (it carries the protocol), so notes go to stderr.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..config.connection import make_client, resolve
from ..config.options import Options
from ..config.profiles import config_dir, data_dir
from ..errors import UsageError
from ..netaddr import parse_listen
from .audit import AuditLog, Where
from .policy import Policy
from .service import Toolbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..config.connection import Connection
    from .http_guard import Binding

    Connect = Callable[[Options], Connection]

__all__ = ["McpOptions", "build_toolbox", "run", "server_key"]


@dataclass
class McpOptions:
    http: str | None = None
    allow_writes: bool = False
    allow_deletes: bool = False
    allow_destructive: bool = False
    allow: str | None = None
    deny: str | None = None
    audit_log: str | None = None
    max_result_kb: int = 32
    #: Secrets reach the model unmasked (``--show-secrets``); never the audit log.
    show_secrets: bool = False
    allow_remote: bool = False
    allowed_hosts: str | None = None
    rotate_token: bool = False


def server_key(conn: Connection) -> str:
    """A file-name-safe name for the server's PBX: its profile, else where its URL points.

    Audit logs and HTTP tokens are kept per key, so two profiles never share one.
    """
    if conn.profile:
        name = f"profile-{conn.profile}"
    elif conn.source == "embedded emulator":
        name = "embedded"
    else:
        parts = urlsplit(conn.url)
        name = f"url-{parts.hostname or 'pbx'}-{parts.port or 443}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def build_toolbox(
    opts: Options, mcp: McpOptions, connect: Connect | None = None
) -> tuple[Toolbox, str]:
    """The toolbox, and the :func:`server_key` its audit log (and HTTP token) are kept by.

    ``connect`` chooses the PBX (default: the core's :func:`resolve`).
    """
    policy = Policy.from_options(
        mcp.allow_writes, mcp.allow_deletes, mcp.allow, mcp.deny, mcp.allow_destructive
    )
    conn = (connect or resolve)(opts)
    key = server_key(conn)
    path = Path(mcp.audit_log) if mcp.audit_log else data_dir() / "mcp-audit" / f"{key}.jsonl"
    audit = AuditLog(path, Where(conn.url, conn.profile, conn.source))
    audit.check()
    client = make_client(conn, opts)
    tb = Toolbox(client, policy, audit, mcp.max_result_kb * 1024)
    tb.show_secrets = mcp.show_secrets
    threading.Thread(target=tb.warm_up, name="tcxkit-mcp-warm-up", daemon=True).start()
    return tb, key


def _http_binding(mcp: McpOptions) -> Binding | None:
    from .http_guard import plan_binding

    if mcp.http is None:
        for flag, value in (
            ("--allow-remote", mcp.allow_remote),
            ("--allowed-hosts", mcp.allowed_hosts),
            ("--rotate-token", mcp.rotate_token),
        ):
            if value:
                raise UsageError(f"{flag} applies to --http only; stdio needs no token.")
        return None
    host, port = parse_listen(mcp.http, "--http", 8765)
    return plan_binding(host, port, allow_remote=mcp.allow_remote, allowed_hosts=mcp.allowed_hosts)


def run(opts: Options, mcp: McpOptions, connect: Connect | None = None) -> None:
    """Serve until the client goes (stdio) or the process is stopped (HTTP)."""
    from .http_guard import TokenStore
    from .server import serve

    binding = _http_binding(mcp)
    tb, key = build_toolbox(opts, mcp, connect)
    try:
        token = None
        if binding is not None:
            store = TokenStore(config_dir() / "mcp-tokens" / f"{key}.token")
            token = store.load(rotate=mcp.rotate_token)
        serve(tb, binding, token)
    finally:
        tb.client.close()
