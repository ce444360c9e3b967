"""The demo company's call routing: office hours, holidays, inbound and outbound rules.

Together with the DNs :mod:`.demo` creates, these are what decide where the demo's calls
go, and what ``3cx state pull`` finds for every kind it manages.  Rules point at the DNs
by the same Ids, numbers and names the PBX shows for them (read back from ``Peers``), so
the data is coherent: an inbound rule's IVR exists, an outbound route's trunk id is a
trunk's.  Every row is a whole entity (:meth:`~.state.AppState.with_defaults`), as a
create through XAPI would store it.  Releases that lack a set get what they have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import AppState

__all__ = ["OFFICE_HOURS", "seed_routing"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

#: Weekdays 09:00-17:30, lunch 12:30-13:30, in the PBX's time zone (``TimeZoneId`` is
#: left to :mod:`.domain.clock`: the configured zone, Europe/London by default).
OFFICE_HOURS: dict[str, Any] = {
    "Hours": {
        "Type": "OfficeHours",
        "IgnoreHolidays": False,
        "Periods": [{"DayOfWeek": d, "Start": "09:00:00", "Stop": "17:30:00"} for d in _WEEKDAYS],
    },
    "BreakTime": {
        "Type": "BreakTime",
        "IgnoreHolidays": False,
        "Periods": [{"DayOfWeek": d, "Start": "12:30:00", "Stop": "13:30:00"} for d in _WEEKDAYS],
    },
    "OfficeHolidays": [],
    "SystemLanguage": "EN",
}

#: Custom parameters, as an integrator adds them for its own scripts and templates.
_PARAMETERS = (
    {"Name": "ACME_CRM_URL", "Value": "https://crm.acme.example", "Description": "CRM lookups"},
    {"Name": "ACME_SUPPORT_HOURS", "Value": "Mon-Fri 09:00-17:30", "Description": "Support desk"},
)

#: UK bank holidays: (name, day, month, year or None for every year).
_HOLIDAYS = (
    ("New Year's Day", 1, 1, None),
    ("Good Friday", 3, 4, 2026),
    ("Easter Monday", 6, 4, 2026),
    ("Early May Bank Holiday", 4, 5, 2026),
    ("Christmas Day", 25, 12, None),
    ("Boxing Day", 26, 12, None),
)

#: (rule name, DID, trunk number, office-hours destination, closed destination).
_INBOUND = (
    ("Main number", "+442079460000", "10000", ("900", "IVR"), ("901", "IVR")),
    ("Sales line", "+442079460001", "10000", ("800", "Queue"), ("800", "VoiceMail")),
    ("Support line", "+442079460002", "10001", ("801", "Queue"), ("901", "IVR")),
)

#: (name, prefix, number lengths, emergency, routes as (trunk number, strip digits)).
_OUTBOUND = (
    ("Emergency", "999", "", True, (("10000", 0),)),
    ("UK numbers", "9", "11", False, (("10000", 1), ("10001", 1))),
    ("International", "900", "", False, (("10001", 1),)),
)


def seed_routing(state: AppState) -> None:
    """Office hours, custom parameters, holidays and rules of the demo company."""
    if "OfficeHours" in state.singletons:
        state.set_singleton("OfficeHours", {**state.singleton("OfficeHours"), **OFFICE_HOURS})
    _insert(state, "Parameters", _PARAMETERS)
    _insert(state, "Holidays", [_holiday(*h) for h in _HOLIDAYS])
    if {"InboundRules", "OutboundRules"} <= state.sets.keys():
        peers = {p["Number"]: p for p in state.entity_set("Peers").all()}
        _insert(state, "InboundRules", [_inbound(peers, *rule) for rule in _INBOUND])
        _insert(
            state,
            "OutboundRules",
            [_outbound(peers, n, *rule) for n, rule in enumerate(_OUTBOUND, start=1)],
        )


def _insert(state: AppState, set_name: str, rows: Any) -> None:
    if set_name in state.sets:
        state.entity_set(set_name).insert_many(state.with_defaults(set_name, r) for r in rows)


def _holiday(name: str, day: int, month: int, year: int | None) -> dict[str, Any]:
    return {
        "Name": name,
        "Day": day,
        "DayEnd": day,
        "Month": month,
        "MonthEnd": month,
        "Year": year or 0,
        "YearEnd": year or 0,
        "IsRecurrent": year is None,
        "TimeOfStartDate": "PT0S",
        "TimeOfEndDate": "PT23H59M",
        "HolidayPrompt": "holiday.wav",
    }


def _inbound(
    peers: dict[str, dict[str, Any]],
    name: str,
    did: str,
    trunk: str,
    office: tuple[str, str],
    closed: tuple[str, str],
) -> dict[str, Any]:
    def destination(number: str, to: str) -> dict[str, Any]:
        peer = peers[number]
        return {"To": to, "Number": number, "Name": peer["Name"], "Type": peer["Type"],
                "External": "", "Tags": []}  # fmt: skip

    via = peers[trunk]
    return {
        "RuleName": name,
        "Data": did,
        "Condition": "BasedOnDID",
        "CallType": "AllCalls",
        "TrunkDN": {k: via.get(k) for k in ("Id", "Number", "Name", "Type")} | {"Tags": []},
        "Hours": {"Type": "OfficeHours", "IgnoreHolidays": False, "Periods": []},
        "OfficeHoursDestination": destination(*office),
        "OutOfOfficeHoursDestination": destination(*closed),
        "HolidaysDestination": destination(*closed),
        "AlterDestinationDuringOutOfOfficeHours": True,
        "AlterDestinationDuringHolidays": True,
    }


def _outbound(
    peers: dict[str, dict[str, Any]],
    priority: int,
    name: str,
    prefix: str,
    lengths: str,
    emergency: bool,
    routes: tuple[tuple[str, int], ...],
) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Prefix": prefix,
        "NumberLengthRanges": lengths,
        "EmergencyRule": emergency,
        "DNRanges": [{"From": "100", "To": "124"}],
        "GroupIds": [],
        "GroupNames": [],
        "Routes": [
            {
                "TrunkId": peers[trunk]["Id"],
                "TrunkName": peers[trunk]["Name"],
                "StripDigits": strip,
                "Prepend": "",
                "Append": "",
                "CallerID": "+442079460000",
            }
            for trunk, strip in routes
        ],
    }
