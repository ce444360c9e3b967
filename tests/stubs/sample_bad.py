"""Mistakes each type checker must report (tests/stubs/test_stubs.py)."""

from __future__ import annotations

from tcxkit import AsyncClient, Client
from tcxkit.xapi import User


def mistakes(pbx: Client) -> None:
    pbx.users.list_usr(top=5)  # misspelled action
    pbx.users.get_user(idd=5)  # wrong parameter name
    pbx.users.create_user(body={"Number": "160", "FirstNme": "Ada"})  # wrong body field
    name: int = pbx.users.get_user(id=5)["FirstName"]  # noqa: F841 - results are typed


async def not_awaited(pbx: AsyncClient) -> None:
    user: User = pbx.users.get_user(id=5)  # noqa: F841 - an awaitable, not the result
