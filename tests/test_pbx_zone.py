"""One lookup of the PBX's time zone for every face (#20): :mod:`tcxkit.pbxzone`.

A PBX whose ``OfficeHours.TimeZoneId`` holds a Windows name (``Hawaiian Standard Time``)
rather than a ``Defs/TimeZones`` id is resolved the same way, over real HTTP, by the
events watcher, the call export, the updates' maintenance window and the MCP server's
toolbox; and a zone no face can learn is refused by each with the core's reason.
"""

from __future__ import annotations

import ast
import asyncio
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tcxkit import AsyncClient, Client
from tcxkit.emulator import running
from tcxkit.errors import TcxError, UsageError
from tcxkit.events import Watcher, sources_for
from tcxkit.events.store import SqliteCursorStore
from tcxkit.exports import CALL_COLUMNS, ExportSpec, StreamSink, export
from tcxkit.mcp.audit import AuditLog, Where
from tcxkit.mcp.pbxclock import pbx_zone
from tcxkit.mcp.policy import Policy
from tcxkit.mcp.service import Toolbox, ToolFailure
from tcxkit.pbxzone import named_zone
from tcxkit.updates import window
from tests.emulators import own_config

WINDOWS = "Hawaiian Standard Time"
SRC = Path(__file__).resolve().parents[1] / "src" / "tcxkit"
#: What a copy of the lookup would have to name: the zone list's action, the zone's field.
LOOKUP_NAMES = frozenset({"ListTimeZones", "TimeZoneId"})


def _names_of_the_lookup(source: str) -> list[int]:
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and node.value in LOOKUP_NAMES
    )


def test_only_the_core_reads_the_zone_of_a_pbx() -> None:
    """No face learns the zone by itself: ``ListTimeZones``/``TimeZoneId`` are named in
    :mod:`tcxkit.pbxzone` and on the PBX's side (the emulator) only."""
    found = {
        path.relative_to(SRC).as_posix(): lines
        for path in sorted(SRC.rglob("*.py"))
        if (lines := _names_of_the_lookup(path.read_text(encoding="utf-8")))
    }
    assert [rel for rel in found if not rel.startswith("emulator/")] == ["pbxzone.py"]
    assert _names_of_the_lookup(
        'tb.run(cat.require("ListTimeZones"), {})\nx.get("TimeZoneId")'
    ) == [1, 2]


@pytest.fixture(scope="module")
def pbx() -> Iterator[Any]:
    with running(own_config(data="empty", options={"time_zone": "Pacific/Honolulu"})) as emu:
        yield emu


@pytest.fixture
def client(pbx: Any) -> Iterator[Client]:
    with Client(pbx.url, pbx.client_id, pbx.client_secret, token_cache=False) as c:
        yield c


def _set_zone(client: Client, zone_id: str) -> None:
    client.call("UpdateOfficeHours", body={"TimeZoneId": zone_id})


def _toolbox(client: Client, tmp_path: Path, policy: Policy | None = None) -> Toolbox:
    audit = AuditLog(tmp_path / "audit.jsonl", Where(client.base_url, None, "test"))
    return Toolbox(client, policy or Policy(), audit, 64 * 1024)


def _events_zone(client: Client) -> Any:
    watcher = Watcher(SqliteCursorStore(), "pbx", "pbx", sources_for(["trunk.down"]), client=client)
    watcher.poll_all()
    return watcher.zone


def _export_zone(client: Client) -> str:
    end = datetime(2026, 3, 10, tzinfo=UTC)
    sink = StreamSink(io.StringIO(), "jsonl", CALL_COLUMNS)
    return export(client, ExportSpec(end - timedelta(hours=1), end), sink).time_zone


async def _updates_zone(pbx: Any) -> tuple[Any, str]:
    async with AsyncClient(pbx.url, pbx.client_id, pbx.client_secret, token_cache=False) as c:
        return await window.pbx_zone(c)


def test_a_windows_name_resolves_in_every_face(pbx: Any, client: Client, tmp_path: Path) -> None:
    _set_zone(client, WINDOWS)
    try:
        assert str(_events_zone(client)) == "Pacific/Honolulu"
        assert _export_zone(client) == "Pacific/Honolulu"
        assert [str(z) for z in asyncio.run(_updates_zone(pbx))] == ["Pacific/Honolulu"] * 2
        found = pbx_zone(_toolbox(client, tmp_path))
        assert (str(found.zone), found.name, found.used) == (
            "Pacific/Honolulu",
            "Pacific/Honolulu",
            ("GetOfficeHours", "ListTimeZones"),
        )
        assert found.source == (
            "OfficeHours.TimeZoneId 'Hawaiian Standard Time' = Defs/TimeZones WindowsName "
            "((UTC-10:00) Hawaii)"
        )
        # through the toolbox: its policy applies to the lookup's reads as to any tool's
        narrow = _toolbox(client, tmp_path, Policy(allow=frozenset({"GetOfficeHours"})))
        with pytest.raises(ToolFailure) as refused:
            pbx_zone(narrow)
        assert str(refused.value).startswith(
            "The PBX's time zone could not be learnt (ListTimeZones failed: ListTimeZones is "
            "not in this server's --allow list"
        )
    finally:
        _set_zone(client, "1")


def test_a_zone_no_row_names_is_refused_by_every_face_with_the_core_s_reason(
    pbx: Any, client: Client, tmp_path: Path
) -> None:
    why = "TimeZoneId 'Atlantis Standard Time' matches no zone of Defs/TimeZones"
    _set_zone(client, "Atlantis Standard Time")
    try:
        with pytest.raises(UsageError) as events:
            _events_zone(client)
        assert events.value.message == f"The PBX's time zone could not be learnt: {why}."
        assert events.value.hint and "3cx events --tz" in events.value.hint
        with pytest.raises(UsageError) as exports:
            _export_zone(client)
        assert exports.value.message == f"The PBX's time zone could not be learnt: {why}."
        assert exports.value.hint and "--tz" in exports.value.hint
        with pytest.raises(TcxError) as updates:
            asyncio.run(_updates_zone(pbx))
        assert updates.value.message == (
            f"The PBX's time zone could not be learnt ({why}), so its maintenance window "
            "cannot be judged."
        )
        with pytest.raises(ToolFailure) as mcp:
            pbx_zone(_toolbox(client, tmp_path))
        assert str(mcp.value).startswith(f"The PBX's time zone could not be learnt ({why}), ")
    finally:
        _set_zone(client, "1")


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "right/Europe/London"])
def test_a_zone_file_that_names_no_place_is_refused(name: str) -> None:
    """The zone database holds the host's own zone (``localtime``), a "not set" zone and
    leap-second zones: each would shift every time in silence, so each is refused."""
    with pytest.raises(UsageError) as refused:
        named_zone(name, "--tz", "the fix")
    assert (refused.value.message, refused.value.hint) == (
        f"Unknown time zone {name!r} (from --tz).",
        "the fix",
    )
    assert str(named_zone("Europe/London", "--tz", "the fix")) == "Europe/London"
