"""Three mistakes each type checker must report (tests/stubs/test_stubs.py)."""

from __future__ import annotations

from tcxkit import Client


def mistakes(pbx: Client) -> None:
    pbx.users.list_usr(top=5)  # misspelled action
    pbx.users.get_user(idd=5)  # wrong parameter name
    pbx.users.create_user(body={"Number": "160", "FirstNme": "Ada"})  # wrong body field
