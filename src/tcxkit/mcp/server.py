"""The MCP server: the toolbox's methods as MCP tools, action pages as resources, prompts.

Built on the official SDK's :class:`~mcp.server.mcpserver.MCPServer`; tools are
plain synchronous functions (the SDK runs them in worker threads) over one
:class:`tcxkit.Client`.  Every tool description ends with what this server
allows, so a model knows before it tries.
"""

from __future__ import annotations

import functools
import sys
import uuid
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from .. import __version__
from ..catalog import catalog
from ..catalog.render import render_markdown
from . import tasks
from .audit import Caller
from .policy import Hints, hints
from .service import Toolbox, ToolFailure

if TYPE_CHECKING:
    from collections.abc import Callable

    from .http_guard import Binding

__all__ = ["annotations", "build_server", "serve"]

#: The session of a stdio server: one process serves one client.
_STDIO_SESSION = f"stdio-{uuid.uuid4().hex[:16]}"


def annotations(h: Hints) -> ToolAnnotations:
    """All four MCP hints, always set: a client must not fall back to the spec's defaults."""
    return ToolAnnotations(
        read_only_hint=h.read_only,
        destructive_hint=h.destructive,
        idempotent_hint=h.idempotent,
        open_world_hint=h.open_world,
    )


#: Task tools read the PBX; search and describe read only the catalog (a closed world).
_READ = annotations(hints({"read"}))
_CATALOG = annotations(hints({"read"}, open_world=False))


def _caller(ctx: Context) -> Caller:
    """The MCP client's name/version (from its ``initialize``), session and address, for the
    audit. A stdio server has one client (its session: this process); streamable HTTP has a
    session id with the handshake protocols and none with the stateless 2026-07-28 one,
    where the peer's address is what tells two clients apart."""
    try:
        rc = ctx.request_context
    except ValueError:
        return Caller()
    params = rc.session.client_params
    info = params.client_info if params is not None else None
    headers = getattr(rc.request, "headers", None)
    session = headers.get("mcp-session-id") if headers is not None else _STDIO_SESSION
    peer = getattr(rc.request, "client", None)
    return Caller(
        client=info.name if info else None,
        version=info.version if info else None,
        session=session,
        peer=f"{peer.host}:{peer.port}" if peer else None,
    )


INSTRUCTIONS = """\
tcxkit serves every operation (action) of the 3CX V20 Configuration API of one PBX.
Find an action with search_actions, read its parameters with describe_action, run it with
call_action. For common questions use the task tools (find_dn, call_history, missed_calls,
active_calls, system_status, queue_members, change_queue_agents, user_forwarding,
ring_groups, trunk_status, last_backup); for what happened lately (missed calls, trunks
down, backups) use recent_events. Long lists come back one page at a time: follow 'next'.
Secrets (passwords, PINs, keys) are masked. {policy}"""


def _guard(fn: Callable[..., str]) -> Callable[..., str]:
    """A toolbox failure becomes an MCP tool error (isError) with its message, not a crash."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> str:
        try:
            return fn(*args, **kwargs)
        except ToolFailure as exc:
            raise ToolError(str(exc)) from None

    return call


def build_server(tb: Toolbox) -> MCPServer:
    policy = tb.policy.summary()
    server: MCPServer = MCPServer(
        "tcxkit",
        version=__version__,
        instructions=INSTRUCTIONS.format(policy=policy),
        log_level="WARNING",
    )

    @server.tool(annotations=_CATALOG, structured_output=False)
    @_guard
    def search_actions(
        query: Annotated[
            str,
            Field(
                description="The request in the user's words, or a few of them, e.g. "
                "'which extensions are in the Sales queue' or 'peers by numbers'."
            ),
        ],
        resource: Annotated[
            str | None, Field(description="Only this resource, e.g. 'Users'.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> str:
        """Find 3CX actions by what they do: the best matches first, each with a one-line description and why it matched; values in the query (names, numbers, dates) come back under 'arguments' with the action and argument they likely fit."""
        return tb.search(query, resource, limit)

    @server.tool(annotations=_CATALOG, structured_output=False)
    @_guard
    def describe_action(
        action: Annotated[str, Field(description="An action id, e.g. 'ListUser'.")],
    ) -> str:
        """Parameters, body fields (required first, enums listed), an example and the result's shape of one action."""
        return tb.describe(action)

    @server.tool(
        structured_output=False,  # the text is JSON already; no {"result": text} twin
        description=(
            "Run one 3CX action by id with the library's validation: params holds path and "
            "function parameters (and named arguments), body the request body; select, filter "
            "(OData $filter), orderby, top and skip are the OData options. A list answer "
            "that does not fit the result budget comes back as a page with 'total' and "
            f"'next' (skip/top for the next page). {policy}"
        ),
        annotations=annotations(tb.policy.hints()),
    )
    @_guard
    def call_action(
        action: Annotated[str, Field(description="Action id, e.g. 'RetreivePeersByNumbers'.")],
        params: Annotated[
            dict[str, Any] | None,
            Field(description='Path/function parameters by name, e.g. {"Id": 6}.'),
        ] = None,
        body: Annotated[
            Any, Field(description="Request body (JSON object) for POST/PATCH actions.")
        ] = None,
        select: Annotated[list[str] | None, Field(description="Fields to return.")] = None,
        filter: Annotated[
            str | None, Field(description="OData $filter, e.g. \"Number eq '100'\".")
        ] = None,
        orderby: Annotated[list[str] | None, Field(description="e.g. ['Number desc'].")] = None,
        top: Annotated[int | None, Field(ge=0, description="At most this many items.")] = None,
        skip: Annotated[int | None, Field(ge=0, description="Skip this many items.")] = None,
        ctx: Context | None = None,
    ) -> str:
        return tb.call(
            action,
            params,
            body,
            select=select,
            filter=filter,
            orderby=orderby,
            top=top,
            skip=skip,
            caller=_caller(ctx) if ctx is not None else None,
        )

    _task_tools(server, tb)
    _resources(server, tb)
    _prompts(server)
    return server


_NUMBER_ARG = Field(
    description="A DN ('104') or an external number in any spelling ('+44 113 496 0371', "
    "'0044…', '0113…')."
)
_FROM_ARG = Field(
    description="'today', 'yesterday', 'this week', 'last week', 'last 7 days', a date "
    "(2026-11-29: that whole day, PBX time) or a date-time (2026-11-29T08:00:00Z)."
)
_TO_ARG = Field(description="End of the period (exclusive); default: the end of period_from's day.")
_QUEUE_ARG = Field(description="Only calls through this queue or ring group (number or name).")


_CALL_HISTORY_DOC = (
    "Whole calls (all legs) from, to or answered by a number and/or through a queue or ring "
    "group in a period (default: the last 24 hours), oldest first: who called whom, who "
    "answered, or missed. Days are the PBX's (its time zone); the answer says what was searched."
)
_MISSED_CALLS_DOC = (
    "Missed calls: calls none of whose legs was answered (a queue call a second agent took is "
    "not missed), by number and/or queue, in a period (default: the last 24 hours, days in "
    "the PBX's time zone)."
)


def _calls_tool(tb: Toolbox, missed: bool) -> Callable[..., str]:
    """``call_history`` or ``missed_calls``: one signature, one implementation."""

    def calls(
        number: Annotated[str | None, _NUMBER_ARG] = None,
        period_from: Annotated[str | None, _FROM_ARG] = None,
        period_to: Annotated[str | None, _TO_ARG] = None,
        queue: Annotated[str | None, _QUEUE_ARG] = None,
        top: Annotated[int | None, Field(ge=1, le=100, description="Calls per page.")] = None,
        skip: Annotated[int | None, Field(ge=0)] = None,
    ) -> str:
        return tasks.call_history(
            tb, number, period_from, period_to, top, skip, queue=queue, missed_only=missed
        )

    return calls


#: The task tools that take no argument: each is ``tasks.<name>(tb)``, described here.
_PLAIN_TOOLS = {
    "active_calls": "Calls in progress right now.",
    "system_status": "Version, licence, call and extension counts and health of the PBX.",
    "trunk_status": "Every trunk: online or offline, provider host, direction, channels, numbers.",
    "last_backup": "The newest backup (time, size, age in hours), how many exist, and the "
    "backup schedule.",
}


def _plain_tool(tb: Toolbox, task: Callable[[Toolbox], str]) -> Callable[[], str]:
    """A task tool without arguments: the task over this server's toolbox."""

    def tool() -> str:
        return task(tb)

    return tool


_QUEUE_NAME_ARG = Field(description="Queue number (e.g. '800') or name.")
_USER_ARG = Field(description="Extension number (e.g. '104') or name.")
_RING_GROUP_QUERY_ARG = Field(
    description="A ring group number or name, or an extension number to see which ring "
    "groups and queues it is in; empty for all."
)


def _task_tools(server: MCPServer, tb: Toolbox) -> None:
    """The task tools; every one reads the PBX except ``change_queue_agents``."""

    def find_dn(
        query: Annotated[str, Field(description="A number ('104', '8') or part of a name.")],
        limit: Annotated[int, Field(ge=1, le=100)] = 10,
    ) -> str:
        """Find users (extensions), queues, ring groups, IVRs, trunks... by number prefix or name; an exact extension number also returns the user's details."""
        return tasks.find_dn(tb, query, limit)

    def queue_members(queue: Annotated[str, _QUEUE_NAME_ARG]) -> str:
        """The agents of a call queue."""
        return tasks.queue_members(tb, queue)

    def user_forwarding(user: Annotated[str, _USER_ARG]) -> str:
        """A user's current status profile, call forwarding rules per profile and voicemail settings."""
        return tasks.user_forwarding(tb, user)

    def ring_groups(query: Annotated[str | None, _RING_GROUP_QUERY_ARG] = None) -> str:
        """Ring groups and their members; for an extension, the ring groups and queues it belongs to."""
        return tasks.ring_groups(tb, query)

    for tool in (find_dn, queue_members, user_forwarding, ring_groups):
        server.tool(annotations=_READ, structured_output=False)(_guard(tool))
    for name, missed, doc in (
        ("call_history", False, _CALL_HISTORY_DOC),
        ("missed_calls", True, _MISSED_CALLS_DOC),
    ):
        server.tool(name=name, description=doc, annotations=_READ, structured_output=False)(
            _guard(_calls_tool(tb, missed))
        )
    for name, doc in _PLAIN_TOOLS.items():
        server.tool(name=name, description=doc, annotations=_READ, structured_output=False)(
            _guard(_plain_tool(tb, getattr(tasks, name)))
        )
    _queue_agents_tool(server, tb)
    _events_tool(server, tb)


def _queue_agents_tool(server: MCPServer, tb: Toolbox) -> None:
    """``change_queue_agents``, listed only where the policy lets UpdateQueue run."""
    update_queue = catalog().require("UpdateQueue")
    if not tb.policy.may_run(update_queue):
        return

    @server.tool(
        structured_output=False,
        annotations=annotations(hints({update_queue.effect})),
        description=(
            "Add and/or remove agents (extension numbers) of a call queue in one UpdateQueue "
            "(the agent list is read and sent back whole, as the PBX replaces it); answers "
            f"the list before and after. {tb.policy.summary()}"
        ),
    )
    @_guard
    def change_queue_agents(
        queue: Annotated[str, _QUEUE_NAME_ARG],
        add: Annotated[
            list[str] | None, Field(description="Extensions to add, e.g. ['104'].")
        ] = None,
        remove: Annotated[list[str] | None, Field(description="Extensions to remove.")] = None,
    ) -> str:
        return tasks.change_queue_agents(tb, queue, add, remove)


def _events_tool(server: MCPServer, tb: Toolbox) -> None:
    from .events import EventFeed

    feed = EventFeed(tb)

    @server.tool(annotations=_READ, structured_output=False)
    @_guard
    def recent_events(
        type: Annotated[
            list[str] | str | None,
            Field(
                description="Only these event types, e.g. 'call.missed' or ['trunk.down', "
                "'trunk.up']; all types when left out."
            ),
        ] = None,
        since: Annotated[
            str | None,
            Field(
                description="How far back: '30m', '2h', '1d' or an ISO time (default 1h, "
                "at most 24h)."
            ),
        ] = None,
        pbx: Annotated[str | None, Field(description="The PBX (this server serves one).")] = None,
        limit: Annotated[int, Field(ge=1, le=200, description="Most events listed.")] = 50,
    ) -> str:
        """What happened on the PBX lately, oldest first: calls started/ended/missed, phones (un)registered, presence changes, queue agents logging in/out, trunks up/down, backups completed or failed, licence expiring, system alerts (docs/events.md)."""
        return feed.recent(type, since, pbx, limit)


def _resources(server: MCPServer, tb: Toolbox) -> None:
    @server.resource(
        "tcx://actions/{action}",
        name="action page",
        description="The reference page of one action (as `3cx actions show` prints it).",
        mime_type="text/markdown",
    )
    def action_page(action: str) -> str:
        cat = tb.catalog
        found = cat.get(action)
        if found is None:
            raise ResourceNotFoundError(f"No action {action!r} in XAPI {cat.release}.")
        return render_markdown(found, cat)


def _prompts(server: MCPServer) -> None:
    @server.prompt()
    def who_is(number: str, day: str = "yesterday") -> str:
        """Who is a number, and where did their calls go on a day."""
        return (
            f"Who is {number} on our 3CX phone system, and where did their calls go {day}? "
            f"Use find_dn('{number}') for the person or DN, then call_history('{number}', "
            f"period_from='{day}') and summarise: answered, missed, forwarded, voicemail, "
            "with times and the other party. Do not change anything."
        )

    @server.prompt()
    def add_to_queue(user: str, queue: str) -> str:
        """Add a user to a call queue (needs a server started with --allow-writes)."""
        return (
            f"Add {user} as an agent of queue {queue} on our 3CX phone system. Find the user "
            f"with find_dn and the queue with queue_members('{queue}'); then use "
            "search_actions/describe_action to find how agents are set (UpdateQueue with the "
            "queue's Agents list) and call_action. Show me the change before making it."
        )


def serve(tb: Toolbox, http: Binding | None, token: str | None = None) -> None:
    """Run until the client disconnects (stdio) or the process is stopped (HTTP)."""
    server = build_server(tb)
    if http is None:
        server.run("stdio")
        return
    import anyio

    assert token, "an HTTP server always has a bearer token"
    anyio.run(_serve_http, server, http, token)


async def _serve_http(server: MCPServer, binding: Binding, token: str) -> None:
    """Streamable HTTP on the binding, behind the guard (:mod:`.http_guard`); the address
    (port 0: the one chosen) goes to stderr."""
    import anyio
    import uvicorn

    from .http_guard import guarded

    host, port = binding.host, binding.port
    app = server.streamable_http_app(host=host, transport_security=binding.security())
    config = uvicorn.Config(guarded(app, binding, token), host=host, port=port, log_level="warning")
    userver = uvicorn.Server(config)

    async def announce() -> None:
        while not userver.started:
            await anyio.sleep(0.01)
        bound = userver.servers[0].sockets[0].getsockname()[1]
        print(f"3cx mcp: streamable HTTP at http://{host}:{bound}/mcp", file=sys.stderr, flush=True)

    async with anyio.create_task_group() as tg:
        tg.start_soon(announce)
        await userver.serve()
