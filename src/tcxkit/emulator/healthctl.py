"""The PBX's health, as the emulator models it, and ``/emulator/pbx-health`` to change it.

What a health check reads but XAPI cannot set -- service states, disk and recording
space, offered updates, trunk registration, the installed certificate's expiry, licence
dates, failed backups -- lives in ``state.extra["health"]`` (and, for the licence and the
certificate, in the singletons XAPI serves).  Tests drive each check to pass, warn and
fail by ``PATCH``-ing a few keys (``GET`` shows the model); settings XAPI can change
(console restrictions, anti-hacking, backup settings) are changed through XAPI.

The endpoint needs the emulator's credentials (:func:`.admin.control_denied`); a body is
bounded, every key and type checked, and a bad one answered 400 with what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .admin import control_denied
from .healthmodel import SERVICES, apply, model
from .limits import MAX_JSON_BODY
from .wire import OAUTH_JSON, BodyTooLarge, control_error, json_response, loads_bounded, read_body

if TYPE_CHECKING:
    from ..catalog import Catalog
    from .state import AppState

__all__ = ["HealthControl", "problem_of", "rules", "version_problem"]

#: Backups one PATCH may add.
MAX_ADDED_BACKUPS = 50


def _number(value: Any, low: float, high: float) -> str:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
    return "" if ok else f"a number {low:g}..{high:g}"


def _flag(value: Any) -> str:
    return "" if isinstance(value, bool) else "true or false"


def _days(value: Any) -> str:
    return "" if value is None else _number(value, -3650, 3650).replace("a number", "days or null")


def _fields(**rules: Callable[[Any], str]) -> Callable[[Any], str]:
    """A checker for an object whose keys each have a rule."""

    def check(value: Any) -> str:
        if not isinstance(value, dict):
            return "an object with " + ", ".join(rules)
        for key, item in value.items():
            if key not in rules:
                return f"no key {key!r} (known: {', '.join(rules)})"
            problem = rules[key](item)
            if problem:
                return f"{key}: {problem}"
        return ""

    return check


def _one_of(values: tuple[str, ...]) -> Callable[[Any], str]:
    return lambda v: "" if v in values else "one of " + ", ".join(values)


def _services(statuses: tuple[str, ...]) -> Callable[[Any], str]:
    status_rule = _one_of(statuses)

    def check(value: Any) -> str:
        if not isinstance(value, dict):
            return "an object {service name: status}"
        names = {n for n, _ in SERVICES}
        for name, status in value.items():
            if name not in names:
                return f"no service {name!r} (known: {', '.join(sorted(names))})"
            if problem := status_rule(status):
                return f"{name}: {problem}"
        return ""

    return check


def _trunks(value: Any) -> str:
    if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
        return "an object {trunk number or name: registered true/false}"
    return ""


def _backups_to_add(value: Any) -> str:
    if not isinstance(value, list) or len(value) > MAX_ADDED_BACKUPS:
        return f"a list of at most {MAX_ADDED_BACKUPS} backups"
    rule = _fields(age_hours=lambda v: _number(v, 0, 100_000), failed=_flag)
    return next((p for p in map(rule, value) if p), "")


def version_problem(value: Any) -> str:
    """Why ``value`` is not a build such as ``20.0.10.1721`` ('' when it is; None is fine)."""
    if value is None:
        return ""
    parts = str(value).split(".")
    ok = (
        isinstance(value, str)
        and len(value) < 40
        and len(parts) >= 3
        and all(p.isdigit() for p in parts)
    )
    return "" if ok else "a release such as 20.0.12.123, or null"


def _enum(catalog: Catalog, schema: str) -> tuple[str, ...]:
    """The values the PBX's release declares for ``schema`` (its compiled catalog), so the
    emulator accepts what that release would serve and nothing else."""
    return tuple(catalog.schemas[schema]["enum"])


def rules(catalog: Catalog) -> dict[str, Callable[[Any], str]]:
    """Every key a PATCH may carry, and its checker (enums from ``catalog``)."""
    return {
        "licence": _fields(expires_in_days=_days, maintenance_expires_in_days=_days, active=_flag),
        "disk": _fields(used_percent=lambda v: _number(v, 0, 100)),
        "recordings": _fields(used_percent=lambda v: _number(v, 0, 100), stopped=_flag),
        "services": _services(_enum(catalog, "Pbx.ServiceStatus")),
        "updates": _fields(offered=version_problem, other=lambda v: _number(v, 0, 1000)),
        "certificate": _fields(expires_in_days=_days),
        "trunks": _trunks,
        "backups": _fields(clear=_flag, add=_backups_to_add),
        "backup_settings": _fields(
            encrypt=_flag, schedule=_flag, repository=_one_of(_enum(catalog, "Pbx.FileSystemType"))
        ),
    }


def problem_of(body: Any, catalog: Catalog) -> str:
    """Why a PATCH body is unusable for a PBX of ``catalog``'s release ('' when fine)."""
    checks = rules(catalog)
    if not isinstance(body, dict) or not body:
        return "send a JSON object with one or more of " + ", ".join(checks)
    for key, value in body.items():
        rule = checks.get(key)
        if rule is None:
            return f"unknown key {key!r} (known: {', '.join(checks)})"
        problem = rule(value)
        if problem:
            return f"{key}: {problem}"
    return ""


class HealthControl:
    """``GET``/``PATCH /emulator/pbx-health`` of one emulated PBX."""

    def __init__(self, state: AppState):
        self.state = state

    async def handle(self, request: Request) -> Response:
        if (denied := control_denied(self.state, request)) is not None:
            return denied
        if request.method == "PATCH":
            try:
                body = loads_bounded(await read_body(request, MAX_JSON_BODY) or b"null")
                problem = problem_of(body, self.state.catalog)
            except BodyTooLarge as exc:
                return control_error(413, f"Larger than {exc.limit} bytes.")
            except ValueError:
                problem = "the body is not JSON"
            if problem:
                return control_error(
                    400,
                    f'Bad health change: {problem}. Send e.g. {{"disk": {{"used_percent": 95}}}}.',
                )
            problem = apply(self.state, body)  # writes each change where XAPI reads it
            if problem:
                return control_error(400, f"Bad health change: {problem}.")
        return json_response(200, model(self.state), OAUTH_JSON)
