"""The request-building and response-reading pipeline shared by every client.

``prepare()`` turns an action and Python arguments into a fully encoded
request, or raises one :class:`~tcxkit.errors.ValidationError` listing every
problem, before anything is sent.  ``interpret()`` turns a raw response into a
result or the right error.  Neither does I/O: ``Client`` and ``AsyncClient``
only differ in how they move bytes (see :mod:`tcxkit.flow`).
"""

from __future__ import annotations

import difflib
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .catalog import QUERY_OPTIONS, Action, Catalog, snake
from .downloads import fallback_name
from .errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    ServerError,
    UnexpectedContentError,
    ValidationError,
)
from .odata import encode_path_literal, join_list, literal, query_string
from .redaction import redact, scrub, secret_values
from .results import FileResult, filename_from_disposition
from .validation import Checker

__all__ = [
    "ENTITY_SET_TOP_LIMIT",
    "MAX_REQUEST_LINE",
    "PreparedRequest",
    "RawResponse",
    "check_request_line",
    "describe_content",
    "error_from_response",
    "interpret",
    "looks_like_html",
    "prepare",
]

ENTITY_SET_TOP_LIMIT = 100
#: Bytes of a request line (``GET /xapi/v1/Users?$filter=... HTTP/1.1``) a PBX accepts. Both
#: layers in front of XAPI default to 8 KiB: nginx's ``large_client_header_buffers 4 8k``
#: (a longer line gets 414) and ASP.NET Core Kestrel's ``MaxRequestLineSize`` (8 192). That a
#: PBX keeps these defaults is inferred, not documented by 3CX; the limit is checked before
#: sending so that a filter too long is refused with a way out instead of a bare 414.
MAX_REQUEST_LINE = 8192
API_PREFIX = "/xapi/v1"
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """An encoded request, relative to the PBX's base URL."""

    action: Action | None
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    has_body: bool = False
    label: str = ""  # names the request in errors: the action id, or e.g. "DownloadLink"

    @property
    def name(self) -> str:
        return self.action.id if self.action is not None else self.label

    @property
    def read_only(self) -> bool:
        return self.action.read_only if self.action is not None else self.method == "GET"

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def content(self) -> bytes | None:
        if not self.has_body:
            return None
        return json.dumps(self.json, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(slots=True)
class RawResponse:
    """What a transport hands back to the pipeline."""

    status: int
    headers: Mapping[str, str]  # lower-case names
    content: bytes = b""
    saved_path: str | None = None
    saved_size: int = 0
    content_type: str = field(init=False)

    def __post_init__(self) -> None:
        self.content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.content)


def prepare(action: Action, args: Mapping[str, Any], cat: Catalog) -> PreparedRequest:
    """Validate ``args`` for ``action`` and encode the request; no I/O.

    Four steps, each taking what it recognises out of ``args``: path, function and header
    parameters; the body; the OData options; and whatever is left is reported as unknown.
    Every problem is collected before raising, so one error lists them all.
    """
    checker = Checker(cat.schema_index)
    args = dict(args)
    values, headers = _parameters(action, args, checker)
    has_body, body = _body(action, args, checker)
    pairs = _options(action, args, checker)
    _unknown(action, args, checker)
    if checker.problems:
        raise ValidationError(action.id, checker.problems)
    headers.update(args.get("headers") or {})
    prepared = PreparedRequest(
        action=action,
        method=action.method,
        path=API_PREFIX + _render_path(action, values),
        query=query_string(pairs),
        headers=headers,
        json=body,
        has_body=has_body,
    )
    check_request_line(prepared, pairs)
    return prepared


def _spaced(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def check_request_line(prepared: PreparedRequest, pairs: Sequence[tuple[str, str]] = ()) -> None:
    """Refuse a request whose line a PBX's web server would not read (:data:`MAX_REQUEST_LINE`).

    Counted on the encoded line, as the server sees it, and blamed on its largest part.
    """
    size = len(f"{prepared.method} {prepared.target} HTTP/1.1\r\n".encode())
    if size <= MAX_REQUEST_LINE:
        return
    parts = {name: len(query_string([(name, value)])) for name, value in pairs}
    parts["path"] = len(prepared.path)
    culprit = max(parts, key=parts.__getitem__)
    raise ValidationError(
        prepared.name,
        [
            Problem(
                culprit.lstrip("$"),
                f"makes the request line {_spaced(size)} bytes long; a PBX's web server reads "
                f"at most {_spaced(MAX_REQUEST_LINE)} and answers a longer one with 414",
            )
        ],
        hint=(
            "Shorten it: match many values with one `in` list (Number in ('100','101',...)) "
            "rather than `eq ... or` terms, $select fewer properties, or split the values "
            "over several calls and merge the results."
        ),
    )


def _parameters(
    action: Action, args: dict[str, Any], checker: Checker
) -> tuple[dict[str, Any], dict[str, str]]:
    """Path, function and header parameters, by spec name or snake_case: (values, headers)."""
    headers: dict[str, str] = {}
    values: dict[str, Any] = {}
    for p in action.params:
        present = [n for n in dict.fromkeys((p.name, p.python_name)) if n in args]
        if len(present) > 1:
            checker.fail(p.name, f"given twice (as {' and '.join(present)})")
        if not present:
            if p.required:
                checker.fail(p.name, f"is required ({p.type})")
            continue
        raw = args.pop(present[0])
        for extra in present[1:]:
            args.pop(extra)
        value = checker.check(raw, p.schema, p.name)
        if p.location == "header":
            headers[p.name] = str(value)
        else:
            values[p.name] = value
    return values, headers


def _body(action: Action, args: dict[str, Any], checker: Checker) -> tuple[bool, Any]:
    """``body=`` or the named arguments of an OData action: (has a body, the body)."""
    body = args.pop("body", None)
    if action.body is None:
        if body is not None:
            checker.fail("body", f"{action.id} takes no request body")
        return False, None
    wrapped = action.body.wrapped or ()
    named = {}
    for name in wrapped:
        for alias in dict.fromkeys((name, snake(name))):
            if alias in args:
                named[name] = args.pop(alias)
    if named and body is not None:
        checker.fail("body", f"give either body= or {', '.join(named)}, not both")
    if named:
        body = named
    if body is None and action.body.required:
        if wrapped:
            # An empty {} would reach the PBX and come back as a 400; ask for the
            # arguments instead (body={} still sends an empty object on purpose).
            names = " or ".join(f"{snake(n)}=..." for n in wrapped)
            checker.fail(", ".join(wrapped), f"is required (give {names}, or body=...)")
        else:
            checker.fail("body", f"is required ({action.body.label})")
    if body is None and wrapped and not action.body.required:
        body = {}
    if body is None:
        return False, None
    if wrapped and isinstance(body, dict):
        _hint_wrapping(checker, body, wrapped)
    return True, checker.check(body, action.body.schema, "body")


def _unknown(action: Action, args: dict[str, Any], checker: Checker) -> None:
    """What no step took is an unknown parameter, with the nearest names as a hint."""
    for name in args:
        if name == "headers":
            continue
        choices = [p.python_name for p in action.params] + list(action.query)
        if action.body is not None:
            choices += ["body", *(snake(w) for w in action.body.wrapped or ())]
        close = difflib.get_close_matches(name, choices, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        accepted = ", ".join(choices) if choices else "none"
        checker.fail(name, f"unknown parameter{hint}; {action.id} accepts: {accepted}")


def _hint_wrapping(checker: Checker, body: dict[str, Any], wrapped: tuple[str, ...]) -> None:
    if len(wrapped) == 1 and body and wrapped[0] not in body:
        checker.fail(
            "body",
            f"arguments of this action go inside {wrapped[0]!r}: "
            f'body={{"{wrapped[0]}": {{...}}}} (or the keyword {snake(wrapped[0])}=...)',
        )


_TEMPLATES: dict[tuple[str, str], list[tuple[str, str, str]]] = {}


def _template(action: Action) -> list[tuple[str, str, str]]:
    """``(text before, parameter, Edm type)`` pieces of a path, parsed once per action."""
    key = (action.release, action.id)
    pieces = _TEMPLATES.get(key)
    if pieces is None:
        pieces = []
        pos = 0
        for m in _PLACEHOLDER.finditer(action.path):
            p = action.param(m.group(1))
            pieces.append((action.path[pos : m.start()], m.group(1), p.type if p else ""))
            pos = m.end()
        pieces.append((action.path[pos:], "", ""))
        _TEMPLATES[key] = pieces
    return pieces


def _render_path(action: Action, values: dict[str, Any]) -> str:
    out = []
    for text, name, edm in _template(action):
        out.append(text)
        if name:
            out.append(encode_path_literal(literal(values.get(name), edm)))
    return "".join(out)


def _options(action: Action, args: dict[str, Any], checker: Checker) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if not args:
        return pairs
    for option in QUERY_OPTIONS:
        name = option.name
        # ``$top=`` (via ``**{"$top": 5}``) always means the OData option; the bare
        # name too, unless a function parameter of that name took it (20.0.4's GetLogs).
        keys = [k for k in (f"${name}", name) if k in args]
        if not keys:
            continue
        value = args.pop(keys[0])
        for extra in keys[1:]:
            checker.fail(name, f"given twice (as {keys[0]} and {extra})")
            args.pop(extra)
        if value is None:
            continue
        if name not in action.query:
            accepted = ", ".join(action.query) or "no OData options"
            checker.fail(name, f"{action.id} does not accept ${name} (it accepts {accepted})")
            continue
        if option.kind == "count":
            number = checker.check(value, {"type": "integer", "minimum": 0}, name)
            if not isinstance(number, int):
                continue
            if name == "top" and number > ENTITY_SET_TOP_LIMIT and not action.is_report:
                checker.fail(
                    "top",
                    f"{number} is above the PBX's limit of {ENTITY_SET_TOP_LIMIT} for "
                    f"{action.resource}; page instead (client.paginate(...) or --all)",
                )
                continue
            pairs.append((f"${name}", str(number)))
        elif option.kind == "flag":
            flag = checker.check(value, {"type": "boolean"}, name)
            pairs.append(("$count", "true" if flag is True else "false"))
        elif option.kind == "list":
            if not isinstance(value, str) and not hasattr(value, "__iter__"):
                checker.fail(name, "expected a string or a list of strings")
                continue
            text = join_list(value)
            if text:
                pairs.append((f"${name}", text))
        else:  # filter, search
            pairs.append((f"${name}", str(value)))
    return pairs


# -- responses ------------------------------------------------------------

_JSON_TYPES = ("application/json", "text/json")


def _is_json(raw: RawResponse) -> bool:
    ct = raw.content_type
    return ct in _JSON_TYPES or ct.endswith("+json") or (not ct and raw.content[:1] in (b"{", b"["))


def interpret(prepared: PreparedRequest, raw: RawResponse, *, url: str) -> Any:
    """Result of a 2xx response, or raise the error a non-2xx one stands for.

    A 2xx answer that cannot be the API's -- an HTML page, or a JSON error
    body where a file was due -- raises :class:`UnexpectedContentError`.
    """
    if raw.status >= 400:
        sent = prepared.json if prepared.has_body else None
        raise error_from_response(
            prepared.name, prepared.method, url, raw, read_only=prepared.read_only, sent=sent
        )
    _check_content(prepared, raw, url)
    if raw.saved_path is not None:
        return _file(prepared, raw, None)
    if raw.status == 204 or not raw.content:
        return None
    if _is_json(raw):
        try:
            return raw.json()
        except ValueError as exc:
            raise ServerError(
                f"{prepared.name}: the PBX sent malformed JSON ({exc}).",
                status=raw.status,
                method=prepared.method,
                read_only=prepared.read_only,
                url=url,
                hint="Run again with --debug and report the response.",
            ) from None
    return _file(prepared, raw, raw.content)


def _file(prepared: PreparedRequest, raw: RawResponse, content: bytes | None) -> FileResult:
    content_type = raw.content_type or "application/octet-stream"
    name = filename_from_disposition(raw.headers.get("content-disposition"))
    return FileResult(
        content=content,
        content_type=content_type,
        filename=name or fallback_name(prepared.name, content_type),
        path=raw.saved_path,
        size=raw.saved_size if content is None else 0,
    )


_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*<(!doctype\s+html|html|head|body)[\s>]", re.I)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.I | re.S)
LIKELY_CAUSE = (
    "This is not the 3CX API answering. Check the URL and port (self-hosted PBXs use "
    "https://HOST:5001, hosted ones port 443), and whether a web login page, a captive "
    "portal or a proxy answers in the PBX's place: open the URL in a browser."
)


def looks_like_html(content_type: str, head: bytes) -> bool:
    """Whether an answer is a web page (by its type, or by its first bytes)."""
    return content_type in _HTML_TYPES or bool(_HTML_START.match(head[:512]))


def describe_content(content_type: str, head: bytes) -> str:
    """What came back, in a few words: an HTML page's title, or the first bytes."""
    kind = content_type or "no content type"
    if looks_like_html(content_type, head):
        m = _TITLE.search(head[:4096])
        title = _printable(m.group(1)) if m else ""
        return f"an HTML page ({kind})" + (f" titled {title!r}" if title else "")
    if not head:
        return f"an empty body ({kind})"
    return f"{kind} starting {_printable(head[:80])!r}"


def _saved_head(path: str) -> bytes:
    """The first bytes of a body the driver streamed to disk (the one read this module does)."""
    with open(path, "rb") as fh:
        return fh.read(4096)


def _printable(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:100]


def _check_content(prepared: PreparedRequest, raw: RawResponse, url: str) -> None:
    wants_file = prepared.action is None or prepared.action.response.kind == "file"
    if not wants_file and raw.content_type in _JSON_TYPES:
        return  # the usual answer, checked at no cost
    head = raw.content[:4096] if raw.saved_path is None else _saved_head(raw.saved_path)
    if looks_like_html(raw.content_type, head):
        expected = "a file" if wants_file else "JSON"
    elif wants_file and _is_json(raw) and head.lstrip()[:1] == b"{":
        try:
            body = raw.json()
        except ValueError:
            return
        if not (isinstance(body, dict) and "error" in body):
            return
        expected = "a file"
    else:
        return
    got = describe_content(raw.content_type, head)
    raise UnexpectedContentError(
        f"{prepared.name}: expected {expected} from {prepared.method} {url}, "
        f"but the answer ({raw.status}) was {got}.",
        content_type=raw.content_type,
        head=head[:512],
        status=raw.status,
        method=prepared.method,
        url=url,
        hint=LIKELY_CAUSE,
    )


def _envelope(raw: RawResponse) -> tuple[str, str, list[dict[str, Any]], Any]:
    """(code, message, details, body) from any error answer.

    The PBX answers with an OData envelope (XAPI) or an OAuth body (token endpoint);
    a gateway, proxy or firewall in front of it may answer with problem+json (RFC 9457),
    another JSON shape, HTML or plain text. Each gives what it has.
    """
    if not raw.content:
        return "", "", [], None
    try:
        body = raw.json()
    except ValueError:
        text = _plain_text(raw.content.decode("utf-8", "replace"))
        return "", text[:500], [], text[:2000]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            details = [d for d in err.get("details") or [] if isinstance(d, dict)]
            return str(err.get("code") or ""), str(err.get("message") or ""), details, body
        if isinstance(err, str):  # OAuth style
            return err, str(body.get("error_description") or err), [], body
        if "detail" in body or "title" in body:  # problem+json
            message = str(body.get("detail") or body.get("title") or "")
            return str(body.get("type") or ""), message, _problem_details(body), body
        if "message" in body:
            return "", str(body["message"]), [], body
    return "", "", [], body


def _problem_details(body: dict[str, Any]) -> list[dict[str, Any]]:
    """problem+json ``errors`` (a field -> messages map, or a list) as our details."""
    errors = body.get("errors")
    out: list[dict[str, Any]] = []
    if isinstance(errors, dict):
        for target, messages in errors.items():
            for text in messages if isinstance(messages, list) else [messages]:
                out.append({"code": "", "message": str(text), "target": str(target)})
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                text = item.get("detail") or item.get("message") or ""
                target = item.get("pointer") or item.get("field") or item.get("target") or ""
                out.append({"code": "", "message": str(text), "target": str(target)})
    return out


def _plain_text(text: str) -> str:
    """An HTML or text body as one readable line (an HTML page's title and text)."""
    import re

    if "<" in text and ">" in text:
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = re.sub(r"(?s)<[^>]+>", " ", text)
    return " ".join(text.split())


def _summarise(message: str, details: list[dict[str, Any]]) -> str:
    if details:
        lines = []
        for d in details:
            target = d.get("target") or ""
            text = d.get("message") or ""
            lines.append(f"  - {target}: {text}" if target else f"  - {text}")
        return "\n".join(lines)
    return "  " + message.replace("\n", " ") if message else ""


# status -> (error class, headline after "<action>: ", hint); {where} is "METHOD URL".
_STATUS_ERRORS: dict[int, tuple[type[ApiError], str, str]] = {
    403: (
        PermissionDeniedError,
        "permission denied (403) for {where}.",
        "The API client's role is too low for this (call history, chat history and "
        "recordings need System Owner), or the PBX's console IP allow-list blocks this "
        "machine. Raise the role under Integrations > API, or allow this IP.",
    ),
    404: (
        NotFoundError,
        "not found (404) at {where}.",
        "Check the key or number; for functions every parameter is required and a missing "
        "one gives 404; the PBX's release may also lack this path (see `3cx doctor`).",
    ),
    405: (
        ApiError,
        "method not allowed (405) at {where}.",
        "The PBX's release may declare this path with another method (see `3cx doctor`).",
    ),
    500: (
        ServerError,
        "the PBX failed with 500 for {where}.",
        "A wrongly typed function parameter gives a bare 500 on a PBX; check the parameters.",
    ),
    504: (
        ServerError,
        "the PBX failed with 504 for {where}.",
        "The PBX's proxy timed out: narrow the date range or page with a smaller $top.",
    ),
}


def error_from_response(
    action_id: str,
    method: str,
    url: str,
    raw: RawResponse,
    *,
    read_only: bool | None = None,
    sent: Any = None,
) -> ApiError:
    """The :class:`ApiError` subclass for a non-2xx answer, with a useful hint.

    ``sent`` is the request body: a PBX's error text may quote it, so its secrets
    (:func:`tcxkit.redaction.secret_values`) are masked in the message, the details
    and the body the error keeps, and the body's secret fields too.
    """
    code, message, details, body = _envelope(raw)
    secrets = secret_values(sent) if sent is not None else set()
    message, details, body = scrub(message, secrets), scrub(details, secrets), scrub(body, secrets)
    body = redact(body)
    status = raw.status
    common = {
        "status": status,
        "method": method,
        "read_only": read_only,
        "url": url,
        "code": code,
        "details": details,
        "headers": raw.headers,
    }
    if status == 401:
        reason = message or "the bearer token was missing, expired or revoked"
        return AuthenticationError(
            f"{action_id}: the PBX refused the credentials (401): {reason}.",
            body=body,
            hint=(
                "Check the client id and API key (3CX admin console: Integrations > API). "
                "Note that repeated failures can trip the PBX's anti-hacking lock-out for a few minutes."
            ),
            **common,
        )
    from_pbx = _from_pbx(raw)
    if status in _STATUS_ERRORS and (from_pbx or status not in (500, 504)):
        cls, headline, hint = _STATUS_ERRORS[status]
    elif status >= 500:
        who = "the PBX" if from_pbx else "the server (a proxy or gateway in front of the PBX?)"
        cls, headline = ServerError, f"{who} failed with {status} for {{where}}."
        hint = (
            "Try again later; if it persists, check the PBX's logs."
            if from_pbx
            else (
                "The answer did not come from XAPI: check the proxy or gateway between, "
                "and that the URL points at the PBX."
            )
        )
    else:
        cls, headline = ApiError, f"the PBX refused the request ({status})."
        hint = _filter_hint(message, url) or _warning_hint(details, message)
    detail_text = _summarise(message, details)
    text = f"{action_id}: " + headline.format(where=f"{method} {url}")
    if detail_text and status != 405:
        text += "\n" + detail_text
    return cls(text, body=body, hint=hint, **common)


def _from_pbx(raw: RawResponse) -> bool:
    """Whether an error answer looks like XAPI's own: empty, or the OData envelope
    (a PBX also says its version in every answer)."""
    if "x-3cx-version" in raw.headers or not raw.content:
        return True
    try:
        body = raw.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


_WARNING_HINTS = {
    "REQUIRED": "set the missing properties",
    "ALREADY_IN_USE": "choose a value that is not in use yet",
    "DUPLICATE": "remove the duplicate",
    "NOT_FOUND": "check that the referenced item exists",
    "FORBIDDEN_CHANGE": "this property cannot be changed after creation (e.g. a DN's Number)",
    "OUT_OF_THE_RANGE": "use a value inside the allowed range",
}


_BARE_NUMBER = re.compile(r"\b([A-Za-z_][\w/]*)\s+(eq|ne|gt|ge|lt|le)\s+(-?\d+(?:\.\d+)?)\b")
_QUOTED_NUMBER = re.compile(r"\b([A-Za-z_][\w/]*)\s+(eq|ne|gt|ge|lt|le)\s+'(-?\d+(?:\.\d+)?)'")
_OPERANDS = re.compile(r"Found operand types '([\w.]+)' and '([\w.]+)'")
_NUMBERS = ("Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double")


def _filter_hint(message: str, url: str) -> str | None:
    """The fix for a ``$filter`` comparing text with a number, shown on the user's filter.

    The PBX's OData library refuses ``Number eq 100`` (``Number`` is text) and
    ``Id eq '6'`` (``Id`` is a number) with "A binary operator with incompatible types";
    the fix is quoting the one and unquoting the other.
    """
    operands = _OPERANDS.search(message)
    if "incompatible types" not in message or operands is None:
        return None
    kinds = set(operands.groups())
    if "Edm.String" not in kinds or not kinds & set(_NUMBERS):
        return None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    text = (query.get("$filter") or [""])[0]
    quoted = _QUOTED_NUMBER.search(text)
    bare = _BARE_NUMBER.search(text)
    if bare is not None or quoted is None:
        example = f"{bare[1]} {bare[2]} '{bare[3]}'" if bare else "Number eq '100'"
        return f"Text values are quoted in a filter: {example}."
    return (
        f"Numbers are not quoted in a filter: {quoted[1]} {quoted[2]} {quoted[3]} "
        "(quote the value only when the property is text, as Number is)."
    )


def _warning_hint(details: list[dict[str, Any]], message: str) -> str:
    text = " ".join(str(d.get("message", "")) for d in details) + " " + message
    tips = [tip for key, tip in _WARNING_HINTS.items() if f"WARNINGS.XAPI.{key}" in text]
    if tips:
        return "Fix: " + "; ".join(dict.fromkeys(tips)) + "."
    return "Fix the request as the message says; `3cx actions show <action>` lists the parameters."
