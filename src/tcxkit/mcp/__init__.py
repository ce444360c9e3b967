"""``3cx mcp``: every 3CX action for AI assistants, as a Model Context Protocol server.

A face like the CLI (extra ``mcp``): the core library never imports it.
:mod:`.launch` connects like the CLI, :mod:`.service` holds the tool logic,
:mod:`.server` binds it to the official MCP SDK, :mod:`.policy` says what may
run (from each action's effect), :mod:`.audit` records changes and refusals,
:mod:`.http_guard` locks the HTTP transport and :mod:`.budget` keeps answers small.
See docs/mcp.md.
"""
