"""What the MCP server lets a model do: reads always, writes and deletes only when asked.

An action is a *read*, a *write* or a *delete*:

* a GET is a read, and so is a POST whose id starts with ``Get`` or ``Retreive``/``Retrieve``
  (3CX answers lookups such as ``RetreivePeersByNumbers`` to a POST; they change nothing);
* a DELETE is a delete, and so is a POST whose id says ``Delete`` or ``Purge``
  (``BatchDelete``, ``BulkUsersDelete``-style batch deletes, ``PurgeCalls``);
* every other POST, and every PATCH, is a write.

``--allow-writes`` opens writes; deletes need ``--allow-deletes`` as well.  ``--deny``
always wins; ``--allow`` names the only actions that may run at all (reads included), so a
server can be narrowed to a handful of operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..catalog.model import Action

__all__ = ["Kind", "Policy", "Refusal", "kind_of"]

Kind = Literal["read", "write", "delete"]

_READ_POST = re.compile(r"^(Get|Retreive|Retrieve)[A-Z]")
_DELETE_POST = re.compile(r"(Delete|Purge)")


def kind_of(action: Action) -> Kind:
    """Whether ``action`` reads, writes or deletes (see the module docstring)."""
    if action.method == "GET":
        return "read"
    if action.method == "DELETE":
        return "delete"
    if action.method == "POST" and _READ_POST.match(action.id):
        return "read"
    if action.method == "POST" and _DELETE_POST.search(action.id):
        return "delete"
    return "write"


class Refusal(Exception):
    """The policy does not let this action run; the message tells the model why."""


@dataclass(frozen=True)
class Policy:
    allow_writes: bool = False
    allow_deletes: bool = False
    allow: frozenset[str] = field(default_factory=frozenset)
    deny: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_options(
        cls,
        allow_writes: bool = False,
        allow_deletes: bool = False,
        allow: str | None = None,
        deny: str | None = None,
    ) -> Policy:
        return cls(allow_writes, allow_deletes, _names(allow), _names(deny))

    def check(self, action: Action) -> Kind:
        """The action's kind if it may run; :class:`Refusal` saying why not otherwise."""
        kind = kind_of(action)
        if action.id in self.deny:
            raise Refusal(f"{action.id} is denied on this server (--deny); it was not sent.")
        if self.allow and action.id not in self.allow:
            raise Refusal(
                f"{action.id} is not in this server's --allow list "
                f"({', '.join(sorted(self.allow))}); it was not sent."
            )
        if kind == "read":
            return kind
        if not self.allow_writes:
            raise Refusal(
                f"{action.id} is a {kind} ({action.method}) and this server is read-only; "
                "it was not sent. Ask the user to restart `3cx mcp` with --allow-writes"
                + (" --allow-deletes" if kind == "delete" else "")
                + " if they want this change."
            )
        if kind == "delete" and not self.allow_deletes:
            raise Refusal(
                f"{action.id} deletes data and this server does not allow deletes; it was "
                "not sent. Ask the user to restart `3cx mcp` with --allow-deletes if they "
                "want it."
            )
        return kind

    def summary(self) -> str:
        """One paragraph for tool descriptions: what the model may and may not do."""
        if not self.allow_writes:
            text = "READ-ONLY server: reads run; writes (POST/PATCH) and deletes are refused."
        elif not self.allow_deletes:
            text = "Reads and writes (POST/PATCH) run; deletes are refused."
        else:
            text = "Reads, writes and deletes run; every write is recorded in an audit log."
        if self.allow:
            text += f" Only these actions may run: {', '.join(sorted(self.allow))}."
        if self.deny:
            text += f" Denied: {', '.join(sorted(self.deny))}."
        return text


def _names(text: str | None) -> frozenset[str]:
    return frozenset(n.strip() for n in (text or "").split(",") if n.strip())
