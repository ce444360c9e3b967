"""Speed: help and listings never import httpx or rich."""

from __future__ import annotations

import subprocess

from .conftest import BIN, Runner


def test_help_and_listing_never_import_httpx_or_rich(subprocess_bare: Runner) -> None:
    """`3cx --help` and `3cx actions` must stay fast: no HTTP, rendering or MCP stack."""
    python = BIN.with_name("python")
    for args in (
        ["--help"],
        ["actions"],
        ["users", "get-user", "--help"],
        ["mcp", "--help"],
        ["state", "plan", "--help"],
    ):
        proc = subprocess.run(
            [str(python), "-X", "importtime", "-m", "tcxkit", *args],
            capture_output=True,
            text=True,
            env=subprocess_bare.env,
            cwd=subprocess_bare.cwd,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        modules = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()}
        assert "tcxkit" in modules
        heavy = {"httpx", "httpcore", "rich", "mcp", "mcp_types", "pydantic", "yaml"}
        assert not modules & heavy, args
