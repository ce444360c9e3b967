"""The emulator under load: the contact-centre mix, the modelled proxy time-out, the cap."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest

from tcxkit import Client
from tcxkit.emulator.config import EmulatorConfig
from tcxkit.errors import ConfigurationError, ServerError
from tcxkit.exports import ExportSpec, export, open_sink

from .conftest import CAP, period


def _log(client: Client, top: int) -> Any:
    start, end = period()
    return client.call(
        "GetCallLogData", periodFrom=start, periodTo=end, sourceType=0, sourceFilter=None,
        destinationType=0, destinationFilter=None, callsType=0, callTimeFilterType=0,
        callTimeFilterFrom=None, callTimeFilterTo=None, hidePcalls=False, top=top, count=True,
    )  # fmt: skip


def test_a_long_pull_is_a_504_and_the_cap_cuts_silently(centre: Any, pbx: Client) -> None:
    page = _log(pbx, 5 * CAP)
    assert len(page["value"]) == CAP and page["@odata.count"] > 10 * CAP  # as a PBX: no error
    centre.state.config.report_timeout_rows = 10
    assert len(_log(pbx, 10)["value"]) == 10
    with pytest.raises(ServerError) as err:
        _log(pbx, 11)
    assert err.value.status == 504
    assert "The report took too long (11 rows; this PBX answers at most 10 in time)" in str(
        err.value
    )


def test_the_contact_centre_mix_has_transfers_overflow_ring_groups_and_missed_calls(
    pbx: Client,
) -> None:
    _, end = period()
    spec = ExportSpec(end - timedelta(days=7), end, tz="UTC")
    out = io.StringIO()
    sink = open_sink(
        None, fmt="jsonl", legs_only=False, resume=False, export_key="k", pbx="p", out=out
    )
    export(pbx, spec, sink)
    calls = [json.loads(line) for line in out.getvalue().splitlines()]
    kinds = {
        "transferred": sum(c["transfers"] > 0 for c in calls),
        "overflowed": sum(bool(c["overflow_dn"]) for c in calls),
        "ring group": sum(c["queue_type"] == "RingGroup" for c in calls),
        "queue missed": sum(c["queue_type"] == "Queue" and c["status"] == "missed" for c in calls),
        "outbound": sum(c["direction"] == "Outbound" for c in calls),
    }
    assert all(n >= 10 for n in kinds.values()), kinds
    assert max(c["legs_count"] for c in calls) >= 5


def test_an_unknown_call_mix_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"Unknown call mix 'busy'\.") as err:
        EmulatorConfig(call_mix="busy")
    assert err.value.hint == "Use call_mix='basic' or call_mix='contact-centre'."
