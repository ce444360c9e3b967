"""A file-backed emulator keeps its data across restarts and does not seed twice."""

from __future__ import annotations

from pathlib import Path

import tcxkit
from tcxkit.emulator import EmulatorConfig, running

from ..emulators import own_config


def _users(server) -> tuple[int, list[str]]:
    c = tcxkit.Client(server.url, server.client_id, server.client_secret, token_cache=False)
    with c:
        everyone = list(c.paginate("ListUser", select=["Number"]))
        kept = [u["Number"] for u in c.call("ListUser", filter="FirstName eq 'Keep'")["value"]]
    return len(everyone), kept


def test_restart_keeps_the_data(tmp_path: Path) -> None:
    db = tmp_path / "pbx.db"
    with running(own_config(db=db, data="demo")) as first:
        c = tcxkit.Client(first.url, first.client_id, first.client_secret, token_cache=False)
        with c:
            number = c.call("CreateUser", body={"FirstName": "Keep", "LastName": "Me"})["Number"]
        before = _users(first)
    with running(EmulatorConfig(db=db, data="demo", client_secret=first.client_secret)) as second:
        after = _users(second)
    assert before == after == (26, [number])
