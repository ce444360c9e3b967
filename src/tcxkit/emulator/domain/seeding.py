"""The last start hooks: demo data (``data="demo"``), scale records (``scale=N``) and the
service principal of the API client the emulator was started with."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..registry import on_start

if TYPE_CHECKING:
    from ..state import AppState

__all__: list[str] = []


@on_start
def _seed(state: AppState) -> None:
    from .. import demo

    began = time.perf_counter()
    if state.config.data == "demo":
        demo.seed(state)
    elif state.config.scale and state.config.call_mix == "basic":
        demo.seed_scale(state, int(state.config.scale))
    if state.config.scale and state.config.call_mix == "contact-centre":
        from ..callmix import seed_contact_centre

        seed_contact_centre(state, int(state.config.scale))
    state.extra["seed_seconds"] = time.perf_counter() - began


@on_start
def _api_client(state: AppState) -> None:
    """List the configured API client among the service principals, as a PBX does.

    A PBX issues tokens only to an API client configured in its console, which is a
    service principal numbered by the client id; the emulator's client is one too, so
    ``ListServicePrincipal`` shows who the tokens belong to.  Created after the demo
    data so the demo's DN Ids stay the same; kept if the database already has it.
    """
    from ...errors import ConfigurationError
    from .dns import create_dn
    from .numbering import DN_SETS, is_used

    client_id = state.config.client_id
    principals = state.entity_set("ServicePrincipals")
    if principals.find_one(Number=client_id) is None:
        if is_used(state, client_id):
            raise ConfigurationError(
                f"The API client id {client_id!r} is the number of another DN of this PBX.",
                hint="Choose a client id that is no extension, queue or other DN number.",
            )
        create_dn(
            state,
            DN_SETS["ServicePrincipals"],
            {
                "Number": client_id,
                "XAPIEnabled": True,
                "CallControlEnabled": False,
                "MyPhoneEnabled": False,
                "IsSystem": False,
                "Groups": [],
            },
        )
