"""Type-checks clean against the generated stubs (tests/stubs/test_stubs.py)."""

from __future__ import annotations

import datetime as dt

from tcxkit import AsyncClient, Client, F, FileResult, Fleet
from tcxkit.xapi import Peer, PeerCollectionResponse, UserIn


def sync(pbx: Client) -> None:
    peers: PeerCollectionResponse = pbx.peers.retreive_peers_by_numbers(
        peers_request={"DnNumbers": [1234, 5678]}  # ints: coerced losslessly at run time
    )
    first: Peer = peers["value"][0]
    name: str | None = first.get("Name")
    print(name, peers.get("@odata.count"))
    pbx.peers.retreive_peers_by_numbers(body={"peersRequest": {"DnNumbers": ["100"]}})
    user = pbx.users.get_user(id=5, select=["Number", "EmailAddress"])
    print(user.get("EmailAddress"))
    body: UserIn = {"Number": 160, "FirstName": "Ada", "Groups": [{"GroupId": 1}]}
    created = pbx.users.create_user(body=body)
    print(created.get("Id"))
    pbx.users.update_user(id=5, body={"FirstName": "Ada"})
    listing = pbx.users.list_user(filter=F.LastName == "O'Brien", top=10, orderby="Number")
    for row in listing["value"]:
        print(row.get("Number"))
    pbx.call("ListUser", top=1)  # by id: not checked, always allowed
    start = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    print(start)
    file: FileResult = pbx.call("DownloadCallHistory")
    print(file.size)


async def asynchronous(pbx: AsyncClient) -> None:
    peers = await pbx.peers.retreive_peers_by_numbers(peers_request={"DnNumbers": [100]})
    print(peers["value"])
    user = await pbx.users.get_user(id=5)
    print(user.get("FirstName"))
    await pbx.users.delete_user(id=5)
    async for row in pbx.paginate("ListUser", select=["Number"]):
        print(row)


async def fleet_of(pbx: AsyncClient) -> None:
    async with Fleet({"acme": pbx}, concurrency=2) as fleet:
        for result in await fleet.call("ListUser", top=1):
            print(result.pbx, result.ok, result.error)
        async for name, item in fleet.paginate("ListUser"):
            print(name, item)
