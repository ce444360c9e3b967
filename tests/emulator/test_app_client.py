"""The shared fixtures work end to end with the library client."""

from __future__ import annotations

from typing import Any


def test_client_fixture_talks_to_the_session_emulator(client: Any, emulator: Any) -> None:
    assert client.call("GetDefs", select=["Id"]).keys() == {"Id"}
    assert client.pbx_version == "20.0.10.1621"
    users = client.call("ListUser", top=2, select=["Number"])
    assert len(users["value"]) == 2
    assert any(r["path"] == "/xapi/v1/Defs" for r in emulator.requests)
