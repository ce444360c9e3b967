"""tcxkit.releases: the one rule for which release a client speaks (no I/O, so no server)."""

from __future__ import annotations

import logging

import pytest

import tcxkit
from tcxkit.errors import UnknownActionError, UnsupportedActionError
from tcxkit.releases import ReleaseState


def test_a_pinned_release_is_used_as_given() -> None:
    state = ReleaseState("20.0.8")
    assert state.resolved and state.catalog.release == "20.0.8"
    assert state.adopt("20.0.10.1621").release == "20.0.8"  # the pin wins
    assert state.pbx_version == "20.0.10.1621"


def test_auto_adopts_the_first_version_seen() -> None:
    state = ReleaseState()
    assert not state.resolved
    assert state.catalog.release == tcxkit.catalog().release  # the newest stands in
    assert state.adopt("20.0.7.1000").release == "20.0.7"
    assert state.adopt("20.0.10.1").release == "20.0.7"  # decided once
    assert state.resolved


def test_no_header_and_too_old_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "tcxkit.http"):
        assert ReleaseState().adopt(None).release == tcxkit.catalog().release
        assert ReleaseState().adopt("18.0.1.1").release == "20.0.4"
    assert [r.getMessage() for r in caplog.records] == [
        f"PBX sent no X-3CX-Version header; using catalog {tcxkit.catalog().release}",
        "PBX 18.0.1.1 is older than every catalog; using 20.0.4",
    ]


def test_saw_reports_only_changes() -> None:
    state = ReleaseState()
    assert state.saw("20.0.9.1") is True
    assert state.saw("20.0.9.1") is False
    assert state.saw(None) is False
    assert state.pbx_version == "20.0.9.1"


def test_action_lookup_names_the_releases_that_have_it() -> None:
    newest_only = next(
        a.id for a in tcxkit.catalog("20.0.10") if tcxkit.catalog("20.0.4").get(a.id) is None
    )
    state = ReleaseState("20.0.4")
    state.adopt("20.0.4.100")
    with pytest.raises(UnsupportedActionError) as err:
        state.action(newest_only)
    assert err.value.message.startswith(
        f"{newest_only} is not available in XAPI 20.0.4 (the PBX runs 20.0.4.100); it exists in"
    )
    assert err.value.exit_code == 2
    with pytest.raises(UnknownActionError):
        state.action("ListUsr")
    assert state.action("ListUser").id == "ListUser"
