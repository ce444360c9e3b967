"""The shipped catalogs are exactly what the vendored official specs compile to."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import tcxkit
from tcxkit.catalog import RELEASES, catalog, load_spec, release_for
from tcxkit.errors import ConfigurationError, UnknownActionError

ROOT = Path(__file__).resolve().parents[2]

# From specs/README.md: operations, paths and schemas per release.
EXPECTED = {
    "20.0.4": (526, 414, 477),
    "20.0.5": (531, 419, 488),
    "20.0.6": (547, 432, 506),
    "20.0.7": (566, 448, 534),
    "20.0.8": (571, 453, 543),
    "20.0.9": (590, 470, 581),
    "20.0.10": (601, 480, 597),
}


def _compiler():
    spec = importlib.util.spec_from_file_location(
        "compile_catalogs", ROOT / "scripts/compile_catalogs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_data_is_what_the_specs_compile_to() -> None:
    fresh = _compiler().outputs()
    stale = [p.name for p, data in fresh.items() if not p.exists() or p.read_bytes() != data]
    assert stale == [], "run: python scripts/compile_catalogs.py"


@pytest.mark.parametrize("release", RELEASES)
def test_counts_ids_methods_paths_match_the_spec(release: str) -> None:
    ops, paths, schemas = EXPECTED[release]
    cat = catalog(release)
    spec = load_spec(release)
    assert (len(cat), len(spec["paths"]), len(cat.schemas)) == (ops, paths, schemas)
    from_spec = {
        op["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {a.id: (a.method, a.path) for a in cat} == from_spec


def test_default_release_is_the_newest() -> None:
    assert tcxkit.DEFAULT_RELEASE == "20.0.10"
    assert len(catalog()) == 601
    assert tuple(EXPECTED) == RELEASES


def test_lookup_by_id_snake_kebab_and_case() -> None:
    cat = catalog()
    action = cat.get("RetreivePeersByNumbers")
    assert action is not None
    assert cat.get("retreive_peers_by_numbers") is action
    assert cat.get("retreive-peers-by-numbers") is action
    assert cat.get("RETREIVEPEERSBYNUMBERS") is action
    assert action.python_name == "retreive_peers_by_numbers"
    assert action.cli_name == "retreive-peers-by-numbers"
    assert action.resource == "Peers"
    assert action.body.wrapped == ("peersRequest",)
    assert action.response.shape == "collection"
    assert action.response.item == "Pbx.Peer"


def test_unknown_action_names_the_closest_matches() -> None:
    with pytest.raises(UnknownActionError) as err:
        catalog().require("GetPeersByNumber")
    assert str(err.value).startswith("No action named 'GetPeersByNumber' in XAPI 20.0.10.")
    assert "Did you mean: GetPeerByNumber" in str(err.value)
    assert err.value.exit_code == 2


def test_action_metadata() -> None:
    cat = catalog()
    log = cat.require("GetCallLogData")
    assert log.kind == "function"
    assert [p.name for p in log.params][:2] == ["periodFrom", "periodTo"]
    assert log.param("periodFrom").type == "Edm.DateTimeOffset"
    assert log.param("period_from").role == "function"
    assert log.param("sourceFilter").nullable
    assert set(log.query) >= {"top", "skip", "filter", "count"}
    user = cat.require("GetUser")
    assert user.param("Id").role == "key" and user.param("Id").type == "Edm.Int32"
    assert cat.require("DownloadRecording").response.shape == "file"
    assert cat.require("UpdateUser").response.shape == "none"
    assert cat.require("GetFirstAvailableExtensionNumber").path.endswith("()")
    assert cat.require("DeleteUser").param("If-Match").location == "header"


def test_release_differences() -> None:
    # The GetByNumber functions became alternate keys in 20.0.8 (same operationId).
    old = catalog("20.0.7").require("GetUserByNumber").path
    new = catalog("20.0.8").require("GetUserByNumber").path
    assert old != new and new == "/Users(Number={Number})"


def test_resources_and_search() -> None:
    cat = catalog()
    assert "Peers" in cat.resources() and "ReportCallLogData" in cat.resources()
    assert cat.resource_name("report-call-log-data") == "ReportCallLogData"
    assert {a.id for a in cat.by_resource("peers")} >= {"ListPeer", "RetreivePeersByNumbers"}
    hits = {a.id for a in cat.search("call log")}
    assert "GetCallLogData" in hits
    assert all("peer" in (a.id + a.path).lower() for a in cat.search("peer", resource="Peers"))


def test_release_for_pbx_versions() -> None:
    assert release_for("20.0.10.1621") == "20.0.10"
    assert release_for("20.0.8.1234") == "20.0.8"
    assert release_for("20.0.11.1") == "20.0.10"
    assert release_for("20.0.3.900") == "20.0.4"
    with pytest.raises(ConfigurationError, match="Cannot read a 3CX release"):
        release_for("banana")
    with pytest.raises(ConfigurationError, match=r"No catalog for 3CX release '19.0.0'"):
        catalog("19.0.0")
