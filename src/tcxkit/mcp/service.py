"""What the MCP tools do, without the MCP SDK: search, describe, call, with the policy.

:class:`Toolbox` holds one :class:`tcxkit.Client` and answers each tool with a
string (compact JSON within the result budget) or raises :class:`ToolFailure`
whose message the model reads and can act on.  :mod:`.server` only binds these
methods to MCP tools, so tests and the benchmark can drive them directly too.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..catalog.descriptions import describe
from ..catalog.search import index_for
from ..catalog.search.literals import Literal, hint
from ..errors import TcxError, UncertainWriteError, ValidationError
from ..redaction import redact
from .audit import Caller
from .budget import dumps, fit
from .describe import describe_action
from .policy import Policy, Refusal

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..catalog.model import Action
    from ..client import Client
    from .audit import AuditLog

__all__ = ["ToolFailure", "Toolbox"]

#: Items asked for when the model gives no ``top``: a set answers at most 100 anyway;
#: a report is asked for a page the budget usually cuts further (the total tells the rest).
_SET_PAGE = 100
_REPORT_PAGE = 500


class ToolFailure(Exception):
    """A tool answer the model should read as an error (MCP ``isError``)."""


class Toolbox:
    def __init__(
        self, client: Client, policy: Policy, audit: AuditLog, max_result_bytes: int
    ) -> None:
        self.client = client
        self.policy = policy
        self.audit = audit
        self.budget = max_result_bytes
        #: ``3cx mcp --show-secrets``: the only way a secret reaches the model.
        self.show_secrets = False

    def reveal(self, result: Any, action: str | None = None) -> Any:
        """What the model may see of ``result`` (``action``'s answer): secrets masked
        (:func:`tcxkit.redaction.redact`) unless the server runs with ``--show-secrets``."""
        return result if self.show_secrets else redact(result, action)

    @property
    def catalog(self) -> Catalog:
        """The catalog of the PBX's release (asked once, then cached by the client)."""
        try:
            return self.client.catalog
        except TcxError as exc:
            raise ToolFailure(_error_text(exc)) from None

    def warm_up(self) -> None:
        """Token, release and search index ahead of the first tool call (start-up overlaps it).

        Run in a background thread while the MCP SDK loads; a failure here is not
        reported, the first tool call meets it again and says what is wrong.
        """
        try:
            index_for(self.client.catalog)
        except Exception:
            return

    # ------------------------------------------------------------------ catalog tools

    def search(self, query: str, resource: str | None = None, limit: int = 10) -> str:
        """The best actions for a request in the user's words, each with why it matched,
        and the values the request held with the action and argument they likely fit."""
        cat = self.catalog
        tag = None
        if resource:
            tag = cat.resource_name(resource)
            if tag is None:
                raise ToolFailure(f"No resource {resource!r}; leave resource empty to search all.")
        limit = max(1, min(limit, 50))
        index = index_for(cat)
        # Destructive actions are not offered unless allowed: ask for more, keep what may show.
        answer = index.query(query, resource=tag, limit=limit + 25)
        hits = [h for h in answer.hits if self.policy.listed(h.action)][:limit]
        if not hits:
            close = [
                n
                for n in index.suggest(query)
                if (a := cat.get(n)) is None or self.policy.listed(a)
            ] or self._suggest(query)
            raise ToolFailure(
                f"No action matches {query!r}."
                + (f" Closest: {', '.join(close)}." if close else "")
                + " Try other words (e.g. 'list users', 'call log')."
            )
        result: dict[str, Any] = {
            "items": [
                {
                    "action": h.action.id,
                    "effect": h.action.effect,
                    "description": describe(h.action),
                    "why": "; ".join(h.why),
                }
                for h in hits
            ]
        }
        if answer.literals:
            result["arguments"] = [
                {"value": lit.text, "kind": lit.kind, "hint": self._listed_hint(lit)}
                for lit in answer.literals
            ]
        while len(result["items"]) > 1 and len(dumps(result).encode()) > self.budget:
            result["items"].pop()  # the weakest matches go first; the answer stays JSON
        return fit(result, self.budget)

    def _listed_hint(self, lit: Literal) -> str:
        """A value's hint, unless it names an action this server does not list."""
        named = re.search(r": `(\w+)` with ", lit.hint)
        action = self.catalog.get(named.group(1)) if named else None
        if action is None or self.policy.listed(action):
            return lit.hint
        return hint(lit, []).hint

    def describe(self, name: str) -> str:
        action = self.action(name)
        return fit(describe_action(action, self.catalog, self._allowed(action)), self.budget)

    def action(self, name: str) -> Action:
        cat = self.catalog
        action = cat.get(name)
        if action is None:
            close = self._suggest(name)
            raise ToolFailure(
                f"No action {name!r} in XAPI {cat.release}."
                + (f" Did you mean: {', '.join(close)}?" if close else "")
                + " Find one with search_actions."
            )
        return action

    def _suggest(self, name: str) -> list[str]:
        """The catalog's closest ids, without the actions this server does not list."""
        cat = self.catalog
        return [n for n in cat.suggest(name) if (a := cat.get(n)) and self.policy.listed(a)]

    def _allowed(self, action: Action) -> str:
        try:
            self.policy.check(action)
        except Refusal as why:
            return f"no: {why}"
        return "yes"

    # ------------------------------------------------------------------ calls

    def call(
        self,
        name: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        *,
        select: list[str] | str | None = None,
        filter: str | None = None,
        orderby: list[str] | str | None = None,
        top: int | None = None,
        skip: int | None = None,
        caller: Caller | None = None,
    ) -> str:
        """Run one action under the policy; its result within the budget."""
        action = self.action(name)
        params, body = _json_arg(params, "params"), _json_arg(body, "body")
        if params is not None and not isinstance(params, dict):
            raise ToolFailure('params must be an object of parameters, e.g. {"Id": 6}.')
        args = dict(params or {})
        if "headers" in args:  # the library's escape hatch is not the model's
            raise ToolFailure("params cannot set HTTP headers.")
        if body is not None:
            args["body"] = _wrap_body(action, body)
        options = {"select": select, "filter": filter, "orderby": orderby, "skip": skip}
        args.update({k: v for k, v in options.items() if v not in (None, "", [])})
        if top is None and action.pageable:
            top = _REPORT_PAGE if action.is_report else _SET_PAGE
        if top is not None:
            args["top"] = top
        if action.pageable and "count" in action.query and "count" not in args:
            args["count"] = True
        result = self.run(action, args, caller)
        return fit(self.reveal(result, action.id), self.budget, skip=skip or 0, action=action.id)

    def run(self, action: Action, args: dict[str, Any], caller: Caller | None = None) -> Any:
        """Check the policy, send, audit changes and refusals (with who asked: ``caller``);
        tcxkit errors become :class:`ToolFailure`."""
        who = caller or Caller()
        try:
            effect = self.policy.check(action)
        except Refusal as why:  # the log shows every refused call a model attempted
            self.audit.record(action, args, who, outcome="refused", error=str(why))
            raise ToolFailure(str(why)) from None
        if action.response.kind == "file":
            raise ToolFailure(
                f"{action.id} returns a file, which this server does not pass to a model; "
                f"download it with `3cx {action.resource_cli_name} {action.cli_name} --out PATH`."
            )
        try:
            result = self.client.call(action.id, **args)
        except TcxError as exc:
            text = _error_text(exc)
            if effect != "read" and not isinstance(exc, ValidationError):
                self.audit.record(action, args, who, outcome="error", error=text)
            raise ToolFailure(text) from None
        except Exception as exc:  # not ours: the SDK reports a crash; the log still says so
            if effect != "read":
                self.audit.record(action, args, who, outcome="error", error=type(exc).__name__)
            raise
        if effect != "read":
            self.audit.record(action, args, who, outcome="ok", result=result)
        return result


def _json_arg(value: Any, name: str) -> Any:
    """Some clients send an object argument as a JSON string; accept that too."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ToolFailure(f"{name} is not valid JSON: {exc}") from None
    return value


def _wrap_body(action: Action, body: Any) -> Any:
    """An action with one named argument takes that argument's object as the body too.

    ``RetreivePeersByNumbers`` wants ``{"peersRequest": {"DnNumbers": [...]}}``;
    models (and people) write ``{"DnNumbers": [...]}``, so that is wrapped here.
    """
    wrapped = action.body.wrapped if action.body else None
    if wrapped and len(wrapped) == 1 and isinstance(body, dict) and wrapped[0] not in body:
        return {wrapped[0]: body}
    return body


def _error_text(exc: TcxError) -> str:
    """The error for a model: what went wrong and what to do, in MCP terms."""
    if isinstance(exc, ValidationError):
        lines = [f"{exc.action}: the request does not fit the action; nothing was sent."]
        lines += [f"- {p.path}: {p.message}" for p in exc.problems]
        lines.append(f"Call describe_action({exc.action!r}) for its parameters and body.")
        return "\n".join(lines)
    data = exc.to_dict()
    text = f"{data['type']}: {exc.message}"
    if isinstance(exc, UncertainWriteError):  # the library's hint speaks Python
        text += (
            "\nDo not call this action again yet: read the object back first (the list or "
            "get action of the same resource) and call it again only if the change is missing."
        )
    elif exc.hint and "3cx " not in exc.hint:
        text += f"\n{exc.hint}"
    return text
