"""OData v4 literals, URL pieces and a small escaping ``$filter`` builder.

A PBX rejects an unescaped quote with 400 and misreads ``+`` as a space, and a
wrongly typed function parameter gives a bare 500: every value that goes into
a URL is therefore formatted here, from its declared Edm type, and nowhere
else.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import math
import re
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from .errors import Problem, ValidationError

__all__ = [
    "MAX_INT_DIGITS",
    "F",
    "Filter",
    "integer_too_long",
    "join_list",
    "literal",
    "query_string",
    "quote_string",
]

#: Digits of an integer the client converts (``int()``) or writes (``str()``).  No Edm type
#: needs more than 29 (Edm.Decimal; Edm.Int64 has 19), and Python itself refuses more than
#: 4 300 with a bare ``ValueError``: the digits are counted first, so a longer value is a
#: :class:`~tcxkit.errors.ValidationError` that says why.
MAX_INT_DIGITS = 100
_INT_BOUND = 10**MAX_INT_DIGITS
_LOG10_2 = math.log10(2)

# Characters left as they are inside a query value / path literal.  Everything
# else (space, &, #, +, %, /, non-ASCII, ...) is percent-encoded, spaces as %20.
_QUERY_SAFE = "$'(),;:@!*=/"
_PATH_SAFE = "$'(),;:@!*="

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def integer_too_long(value: object) -> str | None:
    """Why ``value`` (an int, or the text of a number) has too many digits to convert, or None.

    Counted without converting: an int by its magnitude, text by its digits.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -_INT_BOUND < value < _INT_BOUND:
            return None
        digits = int(abs(value).bit_length() * _LOG10_2) + 1
        return f"is an integer of about {digits} digits; at most {MAX_INT_DIGITS} are accepted"
    if isinstance(value, str):
        digits = sum(c in "0123456789" for c in value)
        if digits > MAX_INT_DIGITS:
            return f"is a number of {digits} digits; at most {MAX_INT_DIGITS} are accepted"
    return None


def _bounded(value: int) -> int:
    """``value`` when it can be written as a literal, else the ValidationError why not."""
    why = integer_too_long(value)
    if why is not None:
        raise ValidationError(
            "literal",
            [Problem("value", why)],
            hint="No OData type holds such a number (Edm.Int64 has 19 digits): check the value.",
        )
    return value


def quote_string(value: str) -> str:
    """``O'Brien`` -> ``'O''Brien'``."""
    return "'" + value.replace("'", "''") + "'"


def _datetime(value: _dt.datetime | _dt.date | str) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            # A PBX compares in UTC; a naive datetime is taken as UTC (documented).
            value = value.replace(tzinfo=_dt.UTC)
        text = value.isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat() + "T00:00:00Z"
    return str(value)


def literal(value: Any, edm_type: str = "") -> str:
    """The OData literal for ``value`` as a parameter of ``edm_type``.

    Strings (and enum names) are single-quoted with ``'`` doubled; integers,
    GUIDs and date-times go bare; booleans lowercase; ``None`` is ``null``.
    Without a type, the Python type decides.
    """
    if value is None:
        return "null"
    if isinstance(value, enum.Enum):
        value = value.value  # an enum member goes by its value, e.g. 'Extension'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.timedelta):
        return f"duration'{iso_duration(value)}'"
    if isinstance(value, float) and not math.isfinite(value):
        # OData spells these NaN, INF and -INF; Python's repr would give nan/inf.
        return "NaN" if math.isnan(value) else ("INF" if value > 0 else "-INF")
    if edm_type == "Edm.DateTimeOffset" or isinstance(value, _dt.datetime | _dt.date):
        return _datetime(value)
    if edm_type == "Edm.Guid" or isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, int):
        _bounded(value)
    if edm_type in ("Edm.Int32", "Edm.Int64", "Edm.Double", "Edm.Decimal"):
        return str(value)
    if edm_type == "Edm.Boolean":
        return str(value).lower()
    if isinstance(value, int | float | decimal.Decimal) and not edm_type:
        return str(value) if isinstance(value, decimal.Decimal) else repr(value)
    return quote_string(str(value))


def encode_path_literal(text: str) -> str:
    return quote(text, safe=_PATH_SAFE)


def join_list(value: str | Iterable[str]) -> str:
    """``["Number", "Name desc"]`` -> ``Number,Name desc``; a string passes as is."""
    if isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)


def query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """Encode ``$name=value`` pairs with spaces as ``%20`` (never ``+``)."""
    return "&".join(f"{quote(k, safe='$')}={quote(v, safe=_QUERY_SAFE)}" for k, v in pairs)


class Filter:
    """A ``$filter`` expression; combine with ``&``, ``|`` and ``~``.

    >>> str((F.LastName == "O'Brien") & (F.Number >= "100"))
    "(LastName eq 'O''Brien') and (Number ge '100')"
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Filter({self.text!r})"

    def __and__(self, other: Filter) -> Filter:
        return Filter(f"({self}) and ({other})")

    def __or__(self, other: Filter) -> Filter:
        return Filter(f"({self}) or ({other})")

    def __invert__(self) -> Filter:
        return Filter(f"not ({self})")

    def __bool__(self) -> bool:
        raise TypeError("use & | ~ to combine filters, not and/or/not")


class _Property:
    """A property path in a filter; comparisons produce :class:`Filter` objects."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*", path):
            raise ValueError(f"not an OData property path: {path!r}")
        self.path = path

    def __getattr__(self, name: str) -> _Property:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Property(f"{self.path}/{name}")

    def _cmp(self, op: str, value: Any) -> Filter:
        return Filter(f"{self.path} {op} {literal(value)}")

    def __eq__(self, value: object) -> Filter:  # type: ignore[override]
        return self._cmp("eq", value)

    def __ne__(self, value: object) -> Filter:  # type: ignore[override]
        return self._cmp("ne", value)

    def __lt__(self, value: Any) -> Filter:
        return self._cmp("lt", value)

    def __le__(self, value: Any) -> Filter:
        return self._cmp("le", value)

    def __gt__(self, value: Any) -> Filter:
        return self._cmp("gt", value)

    def __ge__(self, value: Any) -> Filter:
        return self._cmp("ge", value)

    __hash__ = None  # type: ignore[assignment]

    def contains(self, text: str) -> Filter:
        return Filter(f"contains({self.path},{literal(str(text))})")

    def startswith(self, text: str) -> Filter:
        return Filter(f"startswith({self.path},{literal(str(text))})")

    def endswith(self, text: str) -> Filter:
        return Filter(f"endswith({self.path},{literal(str(text))})")

    def icontains(self, text: str) -> Filter:
        """Case-insensitive contains, the way 3CX's own web client searches."""
        return Filter(f"contains(tolower({self.path}),{literal(str(text).lower())})")

    def in_(self, values: Iterable[Any]) -> Filter:
        parts = [f"{self.path} eq {literal(v)}" for v in values]
        if not parts:
            raise ValueError("in_() needs at least one value")
        return Filter(" or ".join(parts) if len(parts) == 1 else "(" + " or ".join(parts) + ")")


class _FilterFactory:
    """``F.Number == "100"``; ``F("Address/City")`` for paths; ``F.raw("...")``."""

    def __getattr__(self, name: str) -> _Property:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Property(name)

    def __call__(self, path: str) -> _Property:
        return _Property(path)

    @staticmethod
    def raw(text: str) -> Filter:
        return Filter(text)


F = _FilterFactory()


def iso_duration(value: _dt.timedelta) -> str:
    """``timedelta(minutes=1, seconds=12.5)`` -> ``PT1M12.5S`` (ISO 8601, as XAPI writes them)."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P"
    if days:
        out += f"{int(days)}D"
    out += "T"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    if seconds or not (days or hours or minutes):
        sec = f"{seconds:.7f}".rstrip("0").rstrip(".")
        out += f"{sec}S"
    return out.removesuffix("T") if out.endswith("DT") else out
