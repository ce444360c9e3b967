"""Split ``$filter``/``$orderby`` text into tokens, with positions for error messages.

Literals are recognised here (strings with doubled quotes, numbers, GUIDs, dates,
date-times normalised to UTC, qualified enum literals such as ``Pbx.UserType'Extension'``),
so the parser only deals with token kinds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..limits import INT64_MAX
from .datetimes import normalize_datetime
from .errors import ODataQueryError

__all__ = [
    "IDENTIFIER",
    "MAX_NUMBER_CHARS",
    "Split",
    "Token",
    "int_literal",
    "split_top_level",
    "tokenize",
]

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Characters of a number literal with a fraction or exponent (``float()`` takes any
#: length; an Edm.Double needs at most 24, ``-1.7976931348623157E+308``).
MAX_NUMBER_CHARS = 64
#: Significant digits of the largest integer any Edm type holds (Int64: 19).
_INT64_DIGITS = len(str(INT64_MAX))


def int_literal(text: str) -> int | None:
    """The value of a decimal integer literal (optional sign), or None when it has more
    significant digits than an Edm.Int64 holds.

    The digits are counted *before* ``int()``: Python refuses to convert more than
    4 300 digits (a ``ValueError`` a handler would not expect), and a long literal is out
    of every Edm range anyway.
    """
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > _INT64_DIGITS:
        return None
    return int(text)


@dataclass(frozen=True)
class Split:
    """Text cut at a separator outside quotes and parentheses (see :func:`split_top_level`)."""

    pieces: list[tuple[int, str]]  # (offset, piece)
    problem: str | None = None  # the first imbalance: "unbalanced ')'", ...
    at: int = 0  # where it is


def split_top_level(text: str, sep: str) -> Split:
    """Cut ``text`` at each ``sep`` outside single quotes and parentheses.

    Used for OData lists (``$expand`` items and their ``;`` options) and for URL path
    segments and key arguments.  An imbalance does not stop the cut: the caller decides
    whether it is an error (``$expand``) or just a path that matches nothing (routing).
    """
    pieces: list[tuple[int, str]] = []
    depth, start, quoted = 0, 0, False
    problem: str | None = None
    at = 0
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0 and problem is None:
                problem, at = "unbalanced ')'", i
        elif char == sep and depth == 0:
            pieces.append((start, text[start:i]))
            start = i + 1
    pieces.append((start, text[start:]))
    if problem is None and (depth or quoted):
        problem = "an unterminated string" if quoted else "an unclosed '('"
        at = len(text)
    return Split(pieces, problem, at)


@dataclass(frozen=True)
class Token:
    """One token of option text; ``value`` holds a literal's decoded value."""

    kind: str  # str num guid datetime date ident punct eof
    text: str
    pos: int
    value: Any = None


_WS = re.compile(r"\s+")
_STRING = re.compile(r"'((?:[^']|'')*)'")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}| \d{2}:\d{2})"
    r"(?![\w:.])",
    re.IGNORECASE,
)
_GUID = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?!\w)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:.-])")
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?(?![\w.])")
_IDENT = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PUNCT = "(),/:-"


def tokenize(text: str, option: str) -> list[Token]:
    """Split ``text`` into tokens; errors name the option and the character position."""
    tokens: list[Token] = []
    pos, end = 0, len(text)
    while pos < end:
        ws = _WS.match(text, pos)
        if ws:
            pos = ws.end()
            continue
        char = text[pos]
        if char == "'":
            match = _STRING.match(text, pos)
            if not match:
                raise ODataQueryError(
                    f"Syntax error at position {pos} in {option}: unterminated string literal "
                    "(quote it as 'text' and double any quote inside, e.g. 'O''Brien')."
                )
            value = match.group(1).replace("''", "'")
            tokens.append(Token("str", match.group(0), pos, value))
            pos = match.end()
            continue
        if char.isdigit() or char in "abcdefABCDEF":
            match = _DATETIME.match(text, pos) if char.isdigit() else None
            if not match and char.isdigit() and re.match(r"\d{4}-\d{2}-\d{2}T", text[pos:]):
                raise ODataQueryError(
                    f"Syntax error at position {pos} in {option}: '{text[pos:].split()[0]}' is "
                    "not a valid date-time; write it as 2025-03-13T23:00:00Z or with an offset "
                    "such as 2025-03-13T23:00:00+01:00 (the time zone is required)."
                )
            if match:
                raw = match.group(0)
                fixed = raw[:-6] + "+" + raw[-5:] if raw[-6] == " " else raw
                tokens.append(Token("datetime", raw, pos, normalize_datetime(fixed)))
                pos = match.end()
                continue
            match = _GUID.match(text, pos)
            if match:
                tokens.append(Token("guid", match.group(0), pos, match.group(0)))
                pos = match.end()
                continue
            match = _DATE.match(text, pos) if char.isdigit() else None
            if match:
                try:
                    date.fromisoformat(match.group(0))
                except ValueError:
                    raise ODataQueryError(
                        f"Syntax error at position {pos} in {option}: "
                        f"'{match.group(0)}' is not a valid date."
                    ) from None
                tokens.append(Token("date", match.group(0), pos, match.group(0)))
                pos = match.end()
                continue
            match = _NUMBER.match(text, pos) if char.isdigit() else None
            if match:
                raw = match.group(0)
                shown = raw if len(raw) <= 40 else f"{raw[:20]}...({len(raw)} characters)"
                if match.group(1) or match.group(2):
                    number = float(raw) if len(raw) <= MAX_NUMBER_CHARS else math.inf
                    if not math.isfinite(number):
                        raise ODataQueryError(
                            f"The number {shown} at position {pos} in {option} is not an "
                            f"Edm.Double (at most {MAX_NUMBER_CHARS} characters, at most "
                            "1.7976931348623157E+308)."
                        )
                    tokens.append(Token("num", raw, pos, number))
                elif (value := int_literal(raw)) is None or value > INT64_MAX:
                    raise ODataQueryError(
                        f"The number {shown} at position {pos} in {option} is out of the range "
                        f"of Edm.Int64 (at most {INT64_MAX})."
                    )
                else:
                    tokens.append(Token("num", raw, pos, value))
                pos = match.end()
                continue
            if char.isdigit():
                bad = re.match(r"[\w.:-]+", text[pos:])
                word = bad.group(0) if bad else char
                raise ODataQueryError(
                    f"Syntax error at position {pos} in {option}: '{word}' is not a valid "
                    "number, GUID, date or date-time literal."
                )
        match = _IDENT.match(text, pos)
        if match:
            word = match.group(0)
            after = match.end()
            if "." in word and after < end and text[after] == "'":
                # Qualified enum literal such as Pbx.UserType'Extension': the value is the name.
                string = _STRING.match(text, after)
                if string:
                    value = string.group(1).replace("''", "'")
                    tokens.append(Token("str", text[pos : string.end()], pos, value))
                    pos = string.end()
                    continue
            tokens.append(Token("ident", word, pos, word))
            pos = after
            continue
        if char in _PUNCT:
            tokens.append(Token("punct", char, pos, char))
            pos += 1
            continue
        raise ODataQueryError(
            f"Syntax error at position {pos} in {option}: unexpected character '{char}'."
        )
    tokens.append(Token("eof", "", end))
    return tokens
