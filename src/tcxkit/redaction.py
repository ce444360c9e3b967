"""Which values are secrets, and copies of data with them masked: the one redaction.

Every face masks with :func:`redact` -- CLI output in every format, MCP
results and audit records, Airflow XCom and task logs, error messages, the
emulator's request log -- and only ``--show-secrets`` (CLI) and
``3cx mcp --show-secrets`` skip it.  A value is a secret when

* its field's schema is ``Pbx.ConcealedPassword`` / ``Pbx.ConcealedDataFile``
  (``{"Concealed": false, "Value": "..."}``): the ``Value`` / ``Contents`` inside
  is masked.  Which fields have such a schema is decided at compile time, from
  every release's spec, into ``catalog/data/secrets.json``; any object carrying
  a ``Concealed`` member is treated the same (a release the catalog does not
  know yet);
* its field's name is a password's, PIN's, key's or token's (``_SECRET``), or
* it is the whole answer of an action listed in ``catalog/secret_actions.json``
  (``redact(value, action=...)``, :func:`is_secret_action`).

Free text from elsewhere -- another library's error, which may quote the URL or the
credentials it was given -- goes through :func:`redact_text` before it reaches a
message, a log or a file.

Exports run every row through :func:`redact`, so it is built for that: whether
a field name is a secret is decided once per name (a bounded cache, since the
emulator also sees names from hostile requests), the Concealed rule costs a
set lookup for object-valued fields only, and a row without anything to mask
is passed on as it is instead of being copied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "MASK",
    "concealed_schemas",
    "is_secret_action",
    "is_secret_key",
    "redact",
    "redact_text",
    "scrub",
    "secret_values",
]

MASK = "********"

# Field names that hold secrets; booleans such as AllowChangePassword or
# PinProtected stay visible because only non-empty strings are masked.
_SECRET = re.compile(
    r"(password|secret|secretkey|privatekey|apikey|accesskey|licen[cs]ekey|credentials|"
    r"pin|pinnumber|vmpin|accesstoken|refreshtokens?|^token|rpskey|keygrok)$",
    re.IGNORECASE,
)
_NOT_SECRET = re.compile(r"^(nextpagetoken|bosssecretary.*)$", re.IGNORECASE)

# Field name -> secret?  The spec has a few thousand property names; beyond the
# limit names are still judged, just not remembered.
_DECIDED: dict[str, bool] = {}
_DECIDED_LIMIT = 8192


def is_secret_key(key: str) -> bool:
    known = _DECIDED.get(key)
    if known is None:
        known = bool(_SECRET.search(key)) and not _NOT_SECRET.match(key)
        if len(_DECIDED) < _DECIDED_LIMIT:
            _DECIDED[key] = known
    return known


_TABLE = Path(__file__).parent / "catalog" / "data" / "secrets.json"
#: Field name -> the members masked inside it (``("Value",)``); filled by :func:`_load`.
_CONCEALED: dict[str, tuple[str, ...]] = {}
_SECRET_ACTIONS: frozenset[str] = frozenset()
_CONCEALED_SCHEMAS: frozenset[str] = frozenset()
_ANY_CONCEALED: tuple[str, ...] = ()
_LOADED = False


def _load() -> None:
    """Read the compiled table once (3 KB), on the first redaction."""
    global _SECRET_ACTIONS, _CONCEALED_SCHEMAS, _ANY_CONCEALED, _LOADED
    table = json.loads(_TABLE.read_text(encoding="utf-8"))
    members = {k: tuple(v) for k, v in table["concealed_members"].items()}
    _CONCEALED_SCHEMAS = frozenset(members)
    for name, field in table["concealed_fields"].items():
        _CONCEALED[name] = members[field["schema"]]
    _ANY_CONCEALED = tuple(sorted({m for ms in members.values() for m in ms}))
    _SECRET_ACTIONS = frozenset(table["secret_actions"])
    _LOADED = True


def concealed_schemas() -> frozenset[str]:
    """The schemas whose value is a secret (``Pbx.ConcealedPassword``, ``Pbx.ConcealedDataFile``)."""
    if not _LOADED:
        _load()
    return _CONCEALED_SCHEMAS


def is_secret_action(action_id: str | None) -> bool:
    """Whether ``action_id``'s whole answer is a secret (``catalog/secret_actions.json``)."""
    if not _LOADED:
        _load()
    return action_id in _SECRET_ACTIONS


def redact(value: Any, action: str | None = None) -> Any:
    """``value`` with secrets masked, at any depth.

    ``action``: the operation id ``value`` is the answer of; when that action
    returns a secret, every string and number in it is masked (``@odata.*``
    annotations stay).  The input is never modified: a dict or list that holds
    something to mask is copied, everything else is returned as it is (shared).
    """
    if not _LOADED:
        _load()
    if action is not None and action in _SECRET_ACTIONS:
        return _mask_all(value)
    return _redact_any(value)


def _redact_any(value: Any) -> Any:
    if isinstance(value, dict):
        if "Concealed" in value:  # a Concealed* object on its own (a list item)
            return _conceal(value, _ANY_CONCEALED)
        return _redact_dict(value)
    if isinstance(value, list):
        return _redact_list(value)
    return value


_PLAIN = frozenset({int, float, bool, type(None)})  # never secret, nothing inside
_EXACT = frozenset({str, list, dict})


def _redact_dict(obj: dict[Any, Any]) -> dict[Any, Any]:
    # The loop every exported row goes through: dispatch on the exact type, so a
    # number costs one set lookup and a string one dict lookup of its field name.
    out: dict[Any, Any] | None = None  # the copy, made at the first change
    decided = _DECIDED
    for k, v in obj.items():
        t = type(v)
        if t in _PLAIN:
            continue
        if t not in _EXACT:  # subclasses and other objects: by isinstance, rarely
            t = next((c for c in (str, list, dict) if isinstance(v, c)), None)
            if t is None:
                continue
        if t is dict:
            concealed = _CONCEALED.get(k) if "Concealed" not in v else _ANY_CONCEALED
            new: Any = _conceal(v, concealed) if concealed else _redact_dict(v)
        elif not v:
            continue  # an empty string or list hides nothing
        else:
            secret = decided.get(k)
            if secret is None:
                secret = isinstance(k, str) and is_secret_key(k)
            if secret:
                new = (
                    MASK
                    if t is str
                    else [MASK if isinstance(x, str) else _redact_any(x) for x in v]
                )
            elif t is str:
                continue
            else:
                new = _redact_list(v)
        if new is not v:
            out = _put(out, obj, k, new)
    return obj if out is None else out


def _redact_list(items: list[Any]) -> list[Any]:
    out: list[Any] | None = None
    for i, v in enumerate(items):
        new = _redact_any(v)
        if new is not v:
            out = _put(out, items, i, new)
    return items if out is None else out


def _put(out: Any, original: Any, key: Any, new: Any) -> Any:
    """Copy on write: ``out`` (the copy of ``original``, made here at the first change) with
    ``key`` set to ``new``. Data with nothing to hide is returned as it is, never copied."""
    if out is None:
        out = original.copy()
    out[key] = new
    return out


def _conceal(obj: dict[Any, Any], members: tuple[str, ...]) -> dict[Any, Any]:
    """A Concealed* object: ``members`` (``Value``, ``Contents``) masked, the rest by the rules."""
    out = _redact_dict(obj)
    hidden = [m for m in members if m in obj and obj[m] not in (None, "", [], {})]
    if not hidden:
        return out
    return {**out, **dict.fromkeys(hidden, MASK)}


def _mask_all(value: Any) -> Any:
    """Every string and number masked: the answer of an action that returns a secret."""
    if isinstance(value, dict):
        return {
            k: v if isinstance(k, str) and k.startswith("@odata.") else _mask_all(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    if isinstance(value, bool) or value is None or value == "":
        return value
    if isinstance(value, str | int | float | bytes):
        return MASK
    return value


def secret_values(value: Any, action: str | None = None) -> set[str]:
    """The strings :func:`redact` would mask in ``value`` (at least 4 characters long).

    What an error message must not echo: a PBX's error text may quote the
    request it refuses (see :func:`scrub`).
    """
    found: set[str] = set()
    _collect(value, redact(value, action), found)
    return found


def _collect(original: Any, masked: Any, found: set[str]) -> None:
    if original is masked:
        return
    if isinstance(original, dict) and isinstance(masked, dict):
        for k, v in original.items():
            _collect(v, masked.get(k), found)
    elif isinstance(original, list) and isinstance(masked, list):
        for a, b in zip(original, masked, strict=False):
            _collect(a, b, found)
    elif masked == MASK and isinstance(original, str | int | float) and len(str(original)) >= 4:
        found.add(str(original))


def scrub(value: Any, secrets: set[str]) -> Any:
    """``value`` (text, or JSON at any depth) with each of ``secrets`` replaced by the mask.

    For free text that may quote a secret -- an error message -- where no field
    name says what is secret; ``secrets`` come from :func:`secret_values`.
    """
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in sorted(secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    return value


#: A URL inside free text (up to a space, a quote, a bracket or a backtick).
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>`]+", re.IGNORECASE)
#: A URL's scheme, and everything up to its last ``@`` before any query.
_USER_PART = re.compile(r"^([^:/]+://)[^#]*@")
#: ``name=value`` where the name is a signature's, credential's, token's or key's (a
#: signed query such as S3's ``X-Amz-Signature``, a chat webhook's ``token=``).
_SECRET_PAIR = re.compile(
    r"\b([\w.-]*(?:signature|credential|token|secret|password|passwd|apikey|api_key|"
    r"access_key|accesskeyid|sig|key))=([^&;,\s'\"<>`)]+)",
    re.IGNORECASE,
)
#: An AWS access key id (``AKIA...`` long-term, ``ASIA...`` temporary, and the other
#: unique-id prefixes): it names whose credentials were used.
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b")


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` (another library's error, free text) fit for a message, a log or a file.

    Such text quotes what it was given, and nothing in it says which part is secret, so
    masked are: each of ``secrets`` (what the caller knows to be secret: its keys, the
    token part of a webhook URL), at least 4 characters long (:func:`scrub`); in every
    URL, a ``user:password@`` (up to the last ``@``) and the whole query (where presigned URLs keep their
    signature); ``name=value`` pairs named like a signature, credential, token or key;
    and AWS access key ids.  What is left says where and why, which is what a person
    needs to fix it.
    """
    text = scrub(text, {s for s in secrets if s and len(s) >= 4})

    def url(match: re.Match[str]) -> str:
        head, mark, _query = match.group(0).partition("?")
        # Up to the last "@": a pasted password may hold a "/" (AWS secret keys do).
        return _USER_PART.sub(r"\1***@", head) + (mark + MASK if mark else "")

    text = _URL_IN_TEXT.sub(url, text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return _AWS_KEY_ID.sub(MASK, text)
