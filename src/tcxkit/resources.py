"""``client.peers.retreive_peers_by_numbers(...)``: attribute access built at run time.

Like botocore, nothing is generated ahead of time: a namespace per resource
(the spec's tag) makes bound methods from catalog actions on first access,
with a real ``inspect.Signature`` and docstring so that ``help()``, IPython
and Jupyter completion show the parameters.
"""

from __future__ import annotations

import difflib
import inspect
from functools import cache
from typing import Any

from .catalog import Action, Catalog, snake
from .errors import UsageError

__all__ = ["ResourceNamespace", "resource_names", "signature_for"]

_OPTION_TYPES: dict[str, Any] = {
    "select": "str | list[str] | None",
    "filter": "str | None",
    "orderby": "str | list[str] | None",
    "expand": "str | list[str] | None",
    "top": "int | None",
    "skip": "int | None",
    "count": "bool | None",
    "search": "str | None",
}

_PY_TYPES = {
    "Edm.String": "str",
    "Edm.Int32": "int",
    "Edm.Int64": "int",
    "Edm.Boolean": "bool",
    "Edm.DateTimeOffset": "str | datetime",
    "Edm.Guid": "str | UUID",
    "Edm.Double": "float",
}


@cache
def _names_for(release: str) -> dict[str, str]:
    from .catalog import catalog

    return {r: snake(r) for r in catalog(release).resources()}


def resource_names(cat: Catalog) -> dict[str, str]:
    """Tag -> attribute name, e.g. ``ReportCallLogData`` -> ``report_call_log_data``."""
    return _names_for(cat.release)


def signature_for(action: Action) -> inspect.Signature:
    kw = inspect.Parameter.KEYWORD_ONLY
    params = []
    for p in action.params:
        annotation = _PY_TYPES.get(p.type, "Any") + (" | None" if p.nullable else "")
        default = inspect.Parameter.empty if p.required else None
        params.append(inspect.Parameter(p.python_name, kw, default=default, annotation=annotation))
    if action.body is not None:
        if action.body.wrapped:
            for name in action.body.wrapped:
                params.append(
                    inspect.Parameter(snake(name), kw, default=None, annotation="dict | Any")
                )
        else:
            default = inspect.Parameter.empty if action.body.required else None
            params.append(inspect.Parameter("body", kw, default=default, annotation="dict"))
    taken = {p.name for p in params}
    for option in action.query:
        if option in taken:
            # A function parameter of the same name wins (20.0.4's GetLogs has
            # top/skip/search); the OData option stays reachable as ``**{"$top": n}``.
            continue
        params.append(inspect.Parameter(option, kw, default=None, annotation=_OPTION_TYPES[option]))
    # Required keyword-only parameters may follow optional ones; Signature accepts that.
    return inspect.Signature(params, return_annotation="Any")


def _docstring(action: Action) -> str:
    try:
        from .catalog.render import render_text
    except ImportError:  # pragma: no cover - renderer ships with the package
        return f"{action.summary}\n\n{action.method} {action.path}"
    return render_text(action)


class ResourceNamespace:
    """The actions of one resource, as methods."""

    def __init__(self, client: Any, cat: Catalog, resource: str) -> None:
        self._client = client
        self._resource = resource
        self._actions = {a.python_name: a for a in cat.by_resource(resource)}
        self.__doc__ = f"XAPI resource {resource}: {len(self._actions)} actions."

    def __getattr__(self, name: str) -> Any:
        action = self._actions.get(name)
        if action is None:
            close = difflib.get_close_matches(name, list(self._actions), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise AttributeError(
                f"resource {self._resource} has no action {name!r}{hint}; "
                f"it has: {', '.join(sorted(self._actions))}"
            )
        method = _bind(self._client, action)
        setattr(self, name, method)
        return method

    def __dir__(self) -> list[str]:
        return sorted(self._actions)

    def __repr__(self) -> str:
        return f"<resource {self._resource}: {', '.join(sorted(self._actions))}>"


def _bind(client: Any, action: Action) -> Any:
    action_id = action.id
    is_async = inspect.iscoroutinefunction(client.call)

    def by_name(args: tuple[Any, ...]) -> None:
        # Positional values would be ambiguous (which key? which option?): say so.
        if args:
            example = ", ".join(f"{p.python_name}=..." for p in action.params) or "body=..."
            raise UsageError(
                f"{action.python_name}() takes its parameters by name, "
                f"got {len(args)} positional value(s).",
                hint=f"Call it as {action.python_name}({example}).",
            )

    if is_async:

        async def method(*args: Any, **kwargs: Any) -> Any:
            by_name(args)
            return await client.call(action_id, **kwargs)

    else:

        def method(*args: Any, **kwargs: Any) -> Any:
            by_name(args)
            return client.call(action_id, **kwargs)

    method.__name__ = action.python_name
    method.__qualname__ = f"{snake(action.resource)}.{action.python_name}"
    method.__signature__ = signature_for(action)  # type: ignore[attr-defined]
    method.__doc__ = _docstring(action)
    return method
