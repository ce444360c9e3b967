"""Date-time text in the store's normal form, shared by the lexer, the SQL compiler and the store.

The store keeps date-times as UTC text ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (fraction omitted
when zero), so outputs look like the PBX's and text order is (almost) time order; see
:func:`tcxkit.emulator.odata.sql._datetime_compare` for the one exception.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["looks_like_datetime", "normalize_datetime"]

_DATETIME_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*([Zz]|[+-]\d{2}:?\d{2})?\Z"
)


_NORMAL_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(?!0{6})\d{6})?Z\Z")


def normalize_datetime(value: str | datetime) -> str:
    """Return ``value`` as UTC text ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.

    Accepts ISO 8601 text with ``Z`` or an offset and up to any number of fractional digits
    (.NET writes seven; Python keeps six, so extra digits are cut).  Text without an offset
    is taken as UTC, as the PBX does.  Raises ``ValueError`` when the text is no date-time.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        if _NORMAL_FORM.match(value):
            return value  # fast path: bulk loads mostly carry normalised text already
        if value.endswith("+00:00") and _NORMAL_FORM.match(value[:-6] + "Z"):
            return value[:-6] + "Z"
        match = _DATETIME_TEXT.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not an ISO 8601 date-time")
        day, clock, fraction, zone = match.groups()
        if len(clock) == 5:
            clock += ":00"
        text = f"{day}T{clock}"
        if fraction:
            text += "." + fraction[:6].ljust(6, "0")
        if zone and zone not in "Zz":
            text += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
        moment = datetime.fromisoformat(text)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{moment.microsecond:06d}Z" if moment.microsecond else f"{base}Z"


def looks_like_datetime(value: str) -> bool:
    """True when ``value`` is ISO date-time text with a clock part (used for ``where`` values)."""
    return bool(_DATETIME_TEXT.match(value.strip())) and ("T" in value or "t" in value)
