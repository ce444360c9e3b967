"""tcxkit.Fleet over real HTTP against the pytest plugin's emulated fleet (3 PBXs)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

import tcxkit
from tcxkit import ConfigurationError, ConnectError, Fleet, FleetFailure
from tcxkit.fleet import PbxTarget, SecretRef


def _down(dead_url: str) -> PbxTarget:
    return PbxTarget("down", dead_url, "nobody", SecretRef("env", "TCX_TEST_DOWN_SECRET"))


async def test_call_runs_on_every_pbx_with_its_own_key(tcx_fleet: Any, tmp_path: Path) -> None:
    async with tcx_fleet.fleet(token_cache=tmp_path / "t") as fleet:
        results = await fleet.call("ListUser", top=2, select=["Number"])
    assert [r.pbx for r in results] == ["pbx01", "pbx02", "pbx03"]
    assert all(r.ok and len(r.value["value"]) == 2 for r in results)
    # Each PBX accepts only its own random key: every one saw its own client's token request.
    for target, emu in zip(tcx_fleet.targets, tcx_fleet.instances, strict=True):
        assert target.client_id == emu.client_id
        assert any(r["path"] == "/connect/token" for r in emu.requests)


async def test_one_pbx_down_is_an_error_row_and_the_others_answer(
    tcx_fleet: Any, dead_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TCX_TEST_DOWN_SECRET", "whatever-key-1234")
    targets = [*tcx_fleet.targets[:2], _down(dead_url)]
    async with Fleet(targets, token_cache=tmp_path / "t", retries=0) as fleet:
        results = await fleet.call("ListUser", top=1)
    assert [r.ok for r in results] == [True, True, False]
    assert isinstance(results[2].error, ConnectError)
    assert results[2].error.exit_code == 4
    assert "whatever-key-1234" not in str(results[2].error)


async def test_paginate_yields_pbx_and_item_then_reports_the_failed(
    tcx_fleet: Any, dead_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TCX_TEST_DOWN_SECRET", "whatever-key-1234")
    targets = [*tcx_fleet.targets, _down(dead_url)]
    seen: list[tuple[str, str]] = []
    async with Fleet(targets, token_cache=tmp_path / "t", retries=0, concurrency=2) as fleet:
        with pytest.raises(FleetFailure) as info:
            async for pbx, user in fleet.paginate("ListUser", select=["Number"], page_size=3):
                seen.append((pbx, user["Number"]))
    per_pbx = {p: sorted(n for q, n in seen if q == p) for p, _ in seen}
    assert set(per_pbx) == {"pbx01", "pbx02", "pbx03"}
    assert per_pbx["pbx01"] == per_pbx["pbx02"]  # same demo data, all pages of each
    assert len(per_pbx["pbx01"]) > 3
    err = info.value
    assert [r.pbx for r in err.failures] == ["down"]
    assert err.exit_code == 10
    assert err.message.startswith("1 of 4 PBXs failed (down: cannot connect)")


async def test_every_pbx_failing_alike_exits_with_that_code(
    dead_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TCX_TEST_DOWN_SECRET", "k")
    targets = [_down(dead_url), dataclasses.replace(_down(dead_url), name="down2")]
    async with Fleet(targets, token_cache=tmp_path / "t", retries=0) as fleet:
        with pytest.raises(FleetFailure) as info:
            async for _ in fleet.paginate("ListUser"):
                pass
    assert info.value.exit_code == 4


async def test_missing_secret_is_that_pbxs_error_only(
    tcx_fleet: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TCX_TEST_NO_SUCH_SECRET", raising=False)
    lost = dataclasses.replace(
        tcx_fleet.targets[0], name="lost", secret=SecretRef("env", "TCX_TEST_NO_SUCH_SECRET")
    )
    async with Fleet([lost, tcx_fleet.targets[1]], token_cache=tmp_path / "t") as fleet:
        results = await fleet.call("ListUser", top=1)
    assert isinstance(results[0].error, ConfigurationError)
    assert results[0].error.message == (
        "lost: the environment variable TCX_TEST_NO_SUCH_SECRET (its API key) is not set."
    )
    assert results[1].ok


async def test_keyring_needs_a_resolver_in_the_core(tcx_fleet: Any) -> None:
    kept = dataclasses.replace(tcx_fleet.targets[0], secret=SecretRef("keyring", "acme"))
    async with Fleet([kept]) as fleet:
        (result,) = await fleet.call("ListUser", top=1)
    assert isinstance(result.error, ConfigurationError)
    assert "keyring" in result.error.message and "Pass secrets=" in (result.error.hint or "")


async def test_custom_resolver_and_ready_clients(tcx_fleet: Any, tmp_path: Path) -> None:
    keys = {t.name: t.secret.ref for t in tcx_fleet.targets}
    asked: list[str] = []

    def resolver(target: PbxTarget) -> str:
        asked.append(target.name)
        return Path(keys[target.name]).read_text().strip()

    async with Fleet(tcx_fleet.targets, secrets=resolver, token_cache=tmp_path / "t") as fleet:
        assert all(r.ok for r in await fleet.call("ListUser", top=1))
    assert asked == ["pbx01", "pbx02", "pbx03"]

    emu = tcx_fleet.instances[0]
    client = tcxkit.AsyncClient(
        emu.url, emu.client_id, emu.client_secret, token_cache=tmp_path / "u"
    )
    async with Fleet({"mine": client}) as fleet:
        (res,) = await fleet.run(lambda name, c: c.release())
    assert (res.pbx, res.value) == ("mine", "20.0.10")


async def test_concurrency_bounds_pbxs_in_flight(tcx_fleet: Any) -> None:
    many = [dataclasses.replace(tcx_fleet.targets[0], name=f"p{i}") for i in range(7)]
    inside = peak = 0

    async def probe(name: str, client: Any) -> str:
        nonlocal inside, peak
        inside += 1
        peak = max(peak, inside)
        await asyncio.sleep(0)  # let the others in, if the gate allowed it
        inside -= 1
        return name

    async with Fleet(many, concurrency=3) as fleet:
        results = await fleet.run(probe)
    assert [r.value for r in results] == [f"p{i}" for i in range(7)]
    assert peak == 3


async def test_a_bug_in_the_function_is_a_row(tcx_fleet: Any) -> None:
    async def broken(name: str, client: Any) -> None:
        raise KeyError("Number")

    async with Fleet(tcx_fleet.targets[:1]) as fleet:
        (res,) = await fleet.run(broken)
    assert isinstance(res.error, tcxkit.TcxError)
    assert res.error.message == "unexpected KeyError: 'Number'"


def test_bad_concurrency_and_duplicate_names(tcx_fleet: Any) -> None:
    with pytest.raises(tcxkit.UsageError, match="concurrency must be at least 1"):
        Fleet(tcx_fleet.targets, concurrency=0)
    with pytest.raises(tcxkit.UsageError, match="Two PBXs are named 'pbx01'"):
        Fleet([tcx_fleet.targets[0], tcx_fleet.targets[0]])


def test_the_fixtures_inventory_names_keys_it_does_not_hold(tcx_fleet: Any) -> None:
    text = Path(tcx_fleet.inventory).read_text()
    assert 'secret_file = "fleet.toml.secrets/pbx01"' in text
    for target, emu in zip(tcx_fleet.targets, tcx_fleet.instances, strict=True):
        assert emu.client_secret not in text
        key = Path(target.secret.ref)
        assert key.stat().st_mode & 0o777 == 0o600
        assert key.read_text().strip() == emu.client_secret
    assert len({e.client_secret for e in tcx_fleet.instances}) == 3
    assert len({e.url for e in tcx_fleet.instances}) == 3


async def test_instances_keep_their_own_data(tmp_path: Path) -> None:
    from tcxkit.emulator import EmulatorConfig
    from tcxkit.emulator.fleet import running_fleet

    with running_fleet(2, tmp_path / "fleet.toml", EmulatorConfig(data="empty")) as emulated:
        async with emulated.fleet(token_cache=tmp_path / "t") as fleet:
            created = await fleet.client("pbx01").call(
                "CreateUser", body={"FirstName": "Ada", "LastName": "Lovelace", "Number": "777"}
            )
            counts = await fleet.call("ListUser", select=["Number"])
    assert created["Number"] == "777"
    assert [(r.pbx, [u["Number"] for u in r.value["value"]]) for r in counts] == [
        ("pbx01", ["777"]),
        ("pbx02", []),
    ]


async def test_breaking_out_of_paginate_stops_the_pagers(tcx_fleet: Any, tmp_path: Path) -> None:
    async with tcx_fleet.fleet(token_cache=tmp_path / "t") as fleet:
        pages = fleet.paginate("ListUser", select=["Number"], page_size=1)
        async for _pbx, _user in pages:
            break
        await pages.aclose()  # cancels the producers; nothing left running
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert pending == []
        assert all(r.ok for r in await fleet.call("ListUser", top=1))


async def test_clients_share_one_tls_context_per_verify_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made once per fleet, not per PBX; verification stays on where it was on (an
    unknown certificate fails on every PBX) and off where the inventory says insecure."""
    from tcxkit import TLSError

    from ..certs import serve_tls
    from ..client.test_async_transport import _Pbx

    monkeypatch.setenv("TCX_TEST_TLS_SECRET", "tls-key-1234")
    secret = SecretRef("env", "TCX_TEST_TLS_SECRET")
    with serve_tls(_Pbx, tmp_path) as server:
        targets = [
            PbxTarget(name, server.url, "id", secret, release="20.0.10", insecure=insecure)
            for name, insecure in (("a", False), ("b", False), ("c", True), ("d", True))
        ]
        async with Fleet(targets, token_cache=False, retries=0) as fleet:
            contexts = [fleet.client(t.name)._http._transport._pool._ssl_context for t in targets]
            results = await fleet.call("ListUser")
    assert contexts[0] is contexts[1] and contexts[2] is contexts[3]
    assert contexts[0] is not contexts[2]
    assert [r.ok for r in results] == [False, False, True, True]
    for r in results[:2]:
        assert isinstance(r.error, TLSError)
        assert "certificate" in r.error.message.lower()


async def test_each_pbx_takes_per_pbx_requests_at_a_time(
    tcx_fleet: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state plan reads 13 kinds at once; the fleet's clients send at most ``per_pbx``
    of them at a time (and the same read without the fleet sends them all at once)."""
    from tcxkit._wire import WirePool

    live: dict[int, int] = {}
    most: dict[int, int] = {}
    real = WirePool.request

    async def counted(self: WirePool, *args: Any) -> Any:
        live[id(self)] = live.get(id(self), 0) + 1
        most[id(self)] = max(most.get(id(self), 0), live[id(self)])
        try:
            await asyncio.sleep(0)  # let the other kinds' requests start, if they may
            return await real(self, *args)
        finally:
            live[id(self)] -= 1

    monkeypatch.setattr(WirePool, "request", counted)
    kinds = ["ListUser", "ListGroup", "ListQueue", "ListRingGroup", "ListTrunk", "ListParking"]

    async def read(name: str, client: tcxkit.AsyncClient) -> int:
        await client.get_catalog()
        return len(await asyncio.gather(*(client.call(k, top=1) for k in kinds)))

    async with Fleet(tcx_fleet.targets, token_cache=tmp_path / "t", per_pbx=2) as fleet:
        assert all(r.ok for r in await fleet.run(read))
        assert {fleet.client(n).max_in_flight for n in fleet.names} == {2}
    assert len(most) == 3 and set(most.values()) == {2}
    most.clear()
    async with Fleet(tcx_fleet.targets, token_cache=tmp_path / "t", per_pbx=None) as fleet:
        assert all(r.ok for r in await fleet.run(read))
    assert set(most.values()) == {len(kinds)}


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4"])
def test_a_request_limit_below_one_is_refused(tcx_fleet: Any, bad: Any) -> None:
    from tcxkit import UsageError

    with pytest.raises(
        UsageError,
        match=rf"per_pbx must be a whole number of at least 1 .*got {re.escape(repr(bad))}\.",
    ):
        Fleet(tcx_fleet.targets, per_pbx=bad)
    client = Fleet(tcx_fleet.targets).client("pbx01")
    with pytest.raises(
        UsageError,
        match=rf"max_in_flight must be a whole number of at least 1 .*got {re.escape(repr(bad))}\.",
    ):
        client.max_in_flight = bad
    assert client.max_in_flight == 4  # the fleet's default, unchanged by the refusal
