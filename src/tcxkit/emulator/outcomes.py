"""Queued outcomes: what the next backups or updates do instead of succeeding.

A test queues them through a control endpoint (``/emulator/backups``,
``/emulator/updates``): ``POST {"outcome": "never", "times": 2}`` makes the next two
come out that way, ``GET`` shows the queue, ``DELETE`` clears it (204).  The endpoint
needs the emulator's credentials; a body is bounded (413 past the limit) and checked,
and a bad one is a 400 saying what to send.  Each queue holds at most :data:`MAX_QUEUED` outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .admin import control_denied
from .limits import MAX_JSON_BODY
from .wire import OAUTH_JSON, BodyTooLarge, control_error, json_response, loads_bounded, read_body

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from .state import AppState

__all__ = ["MAX_QUEUED", "OutcomeQueue"]

MAX_QUEUED = 100


@dataclass(frozen=True)
class OutcomeQueue:
    """The queue kept in ``state.extra[key]`` of ``what`` (a backup, an update)."""

    key: str
    what: str
    outcomes: tuple[str, ...]

    def queued(self, state: AppState) -> list[str]:
        found: list[str] = state.extra.setdefault(self.key, [])
        return found

    def pop(self, state: AppState) -> str | None:
        """The next outcome (None: succeed), taken off the queue."""
        queue = self.queued(state)
        return queue.pop(0) if queue else None

    def problem(self, rule: Any) -> str:
        if not isinstance(rule, dict) or set(rule) - {"outcome", "times"}:
            choices = '"|"'.join(self.outcomes)
            return f'send {{"outcome": "{choices}", "times": N}}'
        if rule.get("outcome") not in self.outcomes:
            return f"'outcome' must be one of {', '.join(self.outcomes)}"
        times = rule.get("times", 1)
        if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_QUEUED:
            return f"'times' must be an integer 1..{MAX_QUEUED}"
        return ""

    async def _add(self, state: AppState, request: Request) -> tuple[int, str]:
        """Queue what the body asks; ``(status, why)`` when it cannot (``why`` '': done).
        A body over the limit is a 413, as on every control endpoint."""
        queue = self.queued(state)
        try:
            rule = loads_bounded(await read_body(request, MAX_JSON_BODY) or b"{}")
            problem = self.problem(rule)
        except BodyTooLarge as exc:
            return 413, f"the body is larger than {exc.limit} bytes"
        except ValueError:
            return 400, "the body is not a small JSON object"
        if not problem and len(queue) + rule.get("times", 1) > MAX_QUEUED:
            return 400, f"at most {MAX_QUEUED} outcomes may be queued; DELETE them first"
        if not problem:
            queue.extend([rule["outcome"]] * rule.get("times", 1))
        return 400, problem

    async def endpoint(
        self,
        state: AppState,
        request: Request,
        *,
        shown: Callable[[list[str]], dict[str, Any]] = lambda q: {"next": list(q)},
        on_clear: Callable[[], None] = lambda: None,
    ) -> Response:
        """The control endpoint (module docstring); ``shown`` is the GET/POST answer."""
        from starlette.responses import Response

        if (denied := control_denied(state, request)) is not None:
            return denied
        if request.method == "DELETE":
            self.queued(state).clear()
            on_clear()
            return Response(status_code=204)
        if request.method == "POST":
            status, problem = await self._add(state, request)
            if problem:
                return control_error(status, f"Bad {self.what} fault: {problem}.")
        return json_response(200, shown(self.queued(state)), OAUTH_JSON)
