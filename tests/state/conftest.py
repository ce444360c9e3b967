"""Fixtures: a demo PBX with every kind ``3cx state`` manages, and empty PBXs to apply to.

The demo data has holidays, rules and custom parameters; ``source`` adds more of those
through XAPI, so the round trip covers every kind of
:data:`tcxkit.state.KINDS` and references between them (group ids, trunk numbers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from tcxkit import AsyncClient, Client
from tcxkit.emulator import running

from ..emulators import own_config


def seed_extra_kinds(pbx: Client) -> None:
    """Parameters, rules, group rights, a forwarding profile and an IVR menu."""
    alice = pbx.call("ListUser", filter="Number eq '100'")["value"][0]["Id"]
    profile = {"Name": "Available", "NoAnswerTimeout": 25, "RingMyMobile": True}
    pbx.call("UpdateUser", Id=alice, body={"ForwardingProfiles": [profile]})
    menu = pbx.call("ListReceptionist", filter="Number eq '900'")["value"][0]["Id"]
    forwards = [{"Input": "1", "ForwardType": "Queue", "ForwardDN": "800"}]
    pbx.call("UpdateReceptionist", Id=menu, body={"Forwards": forwards})
    pbx.call(
        "CreateParameter",
        body={"Name": "ACME_POLICY", "Value": "strict", "Description": "MSP standard"},
    )
    pbx.call("CreateParameter", body={"Name": "ACME_REGION", "Value": "uk"})
    pbx.call(
        "CreateInboundRule",
        body={
            "RuleName": "Main DID",
            "Data": "+442079460009",
            "TrunkDN": {"Number": "10000"},
            "OfficeHoursDestination": {"Type": "Queue", "Number": "800"},
            "OutOfOfficeHoursDestination": {"Type": "IVR", "Number": "901"},
        },
    )
    sales = pbx.call("ListGroup", filter="Name eq 'Sales'")["value"][0]["Id"]
    rights = [{"RoleName": "users", "AllowParking": True, "CanSeeGroupCalls": False}]
    pbx.call("UpdateGroup", Id=sales, body={"Rights": rights})
    trunk = pbx.call("ListTrunk", filter="Number eq '10001'")["value"][0]["Id"]
    pbx.call(
        "CreateOutboundRule",
        body={
            "Name": "UK national",
            "Prefix": "0",
            "Priority": 1,
            "GroupIds": [sales],
            "DNRanges": [{"From": "100", "To": "199"}],
            "Routes": [{"TrunkId": trunk, "StripDigits": 1, "Prepend": "+44"}],
        },
    )


@pytest.fixture(scope="session")
def source() -> Iterator[Any]:
    """The demo PBX plus :func:`seed_extra_kinds` (tests only read it)."""
    with running(own_config(data="demo")) as emu:
        with Client(emu.url, emu.client_id, emu.client_secret, token_cache=False) as pbx:
            seed_extra_kinds(pbx)
        yield emu


@pytest.fixture
def target() -> Iterator[Any]:
    """An empty PBX of its own, to apply to."""
    with running(own_config(data="empty")) as emu:
        yield emu


Run = Callable[[Any, Callable[[AsyncClient], Awaitable[Any]]], Any]


def on(emu: Any, work: Callable[[AsyncClient], Awaitable[Any]]) -> Any:
    """``work(client)`` against ``emu``, on a fresh event loop."""

    async def run() -> Any:
        async with AsyncClient(emu.url, emu.client_id, emu.client_secret, token_cache=False) as c:
            return await work(c)

    return asyncio.run(run())


def plan_and_apply(emu: Any, doc: dict[str, Any], **kw: Any) -> Any:
    """Plan ``doc`` against ``emu`` and apply it; returns the apply report."""
    from tcxkit.state import apply, plan

    async def both(client: AsyncClient) -> Any:
        return await apply(client, await plan(client, doc, **kw))

    return on(emu, both)


def sync_client(emu: Any) -> Client:
    return Client(emu.url, emu.client_id, emu.client_secret, token_cache=False)
