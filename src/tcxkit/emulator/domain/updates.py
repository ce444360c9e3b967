"""``GetUpdates`` and ``InstallUpdates``: the offer and the install's outage.

The offer is the health model's ``updates.offered`` (seeded from
``config.options["offer_update"]``); the outage and the faults are :mod:`..updates`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ..healthctl import version_problem
from ..healthmodel import model
from ..registry import Reply, RequestContext, XapiError, handler, on_start
from ..updates import downtime, entry_guid, next_build, start_install, update_key
from .common import iso, now

if TYPE_CHECKING:
    from ..state import AppState


@on_start
def _offer(state: AppState) -> None:
    """Offer what ``offer_update`` says (a build, or ``next``), unless one is offered;
    an unusable ``update_downtime`` is refused now, not as a 500 at the first install."""
    downtime(state)
    wanted = state.config.options.get("offer_update")
    if wanted and wanted != "next" and version_problem(wanted):
        from ...errors import ConfigurationError

        raise ConfigurationError(
            f"--offer-update {wanted!r} is not a build.",
            hint="Give a build such as 20.0.10.1721, or next.",
        )
    updates = model(state)["updates"]
    if wanted and updates["offered"] is None:
        build = state.config.build
        updates["offered"] = next_build(build) if wanted == "next" else str(wanted)


@handler("GetUpdates")
def get_updates(ctx: RequestContext) -> Reply:
    h = model(ctx.state)["updates"]
    build = ctx.state.config.build
    lic = ctx.state.singleton("LicenseStatus") if "LicenseStatus" in ctx.state.singletons else {}
    maint = lic.get("MaintenanceExpiresAt")
    offered = h["offered"]
    entries = [
        {
            "Category": "3CX",
            "Name": "3CX Phone System",
            "Description": "The PBX itself.",
            "DescriptionLink": "https://www.3cx.com/blog/change-log/",
            "Guid": entry_guid(offered) if offered else None,
            "HasExtraDetails": False,
            "Ignore": False,
            "Image": "",
            "UpdateType": None,
            "LocalVersion": build,
            "ServerVersion": offered or build,
            "OutOfDate": offered is not None,
        }
    ]
    for i in range(int(h["other"])):
        entries.append(
            {
                **entries[0],
                "Category": "Phones",
                "Name": f"Phone firmware {i + 1}",
                "Guid": entry_guid(f"phones-{i + 1}"),
                "LocalVersion": "1.0",
                "ServerVersion": "1.1",
                "OutOfDate": True,
            }
        )
    expired = isinstance(maint, str) and maint < iso(now())
    return Reply.json(
        {
            "Entries": entries,
            "IsMaintananceExpired": expired,
            "Key": update_key(ctx.state) if offered or h["other"] else None,
            "LastSuccessfulUpdate": iso((now() - timedelta(days=12)).replace(microsecond=0)),
        }
    )


@handler("InstallUpdates")
def install_updates(ctx: RequestContext) -> Reply:
    """Install the offered 3CX update: the PBX goes away and comes back (:mod:`..updates`)."""
    body = (ctx.body or {}).get("install") or {}
    offered = model(ctx.state)["updates"]["offered"]
    if body.get("Key") != update_key(ctx.state):
        raise XapiError(400, failures=[("Key", "WARNINGS.INVALID")])
    entries = body.get("Entries") or []
    if not offered or entry_guid(offered) not in entries:
        raise XapiError(400, failures=[("Entries", "WARNINGS.XAPI.NOT_FOUND")])
    start_install(ctx.state, offered)
    return Reply.no_content()
