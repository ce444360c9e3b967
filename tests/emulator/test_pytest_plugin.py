"""The fixtures tcxkit offers to its users' test suites (entry point pytest11)."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def test_fixtures_give_a_connected_client(pytester) -> None:
    pytester.makepyfile(
        """
        def test_numbers(tcx_client, tcx_emulator):
            assert tcx_emulator.url.startswith("http://127.0.0.1:")
            peers = tcx_client.peers.retreive_peers_by_numbers(
                peers_request={"DnNumbers": [100, 101]})
            assert sorted(p["Number"] for p in peers["value"]) == ["100", "101"]

        def test_control_endpoints(tcx_emulator):
            import httpx

            log = tcx_emulator.url + "/emulator/requests"
            assert httpx.get(log).status_code == 401
            answer = httpx.get(log, auth=tcx_emulator.control_auth)
            assert answer.status_code == 200 and isinstance(answer.json(), list)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_config_fixture_can_be_overridden(pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from tcxkit.emulator import EmulatorConfig

        @pytest.fixture(scope="session")
        def tcx_emulator_config():
            return EmulatorConfig(version="20.0.8", data="empty")
        """
    )
    pytester.makepyfile(
        """
        def test_release(tcx_client):
            assert tcx_client.release == "20.0.8"
            assert tcx_client.call("ListUser")["value"] == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
