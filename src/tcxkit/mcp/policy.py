"""What the MCP server lets a model do, decided by each action's effect.

Every action has one effect, compiled into the catalog (:attr:`Action.effect`,
docs/architecture.md "Effects"): ``read``, ``write``, ``delete`` or ``destructive``.
The flags form a ladder, each step needing the one below it:

* reads always run;
* ``--allow-writes`` opens writes;
* ``--allow-deletes`` (needs ``--allow-writes``) opens deletes;
* ``--allow-destructive`` (needs ``--allow-deletes``) opens destructive actions -- restore,
  restarts, purges, bulk deletes, key and password regeneration.  Without it they are not
  even listed: search leaves them out, so a model is not invited to try.

``--deny`` always wins; ``--allow`` names the only actions that may run at all (reads
included).  Names are checked when the server starts, against every shipped release: an
operation id, its snake or kebab form (``delete_user``, ``delete-user``) or ``resource
action`` as the CLI spells it (``users delete-user``).  A name no release knows, a step of
the ladder without the one below, or an ``--allow`` name the flags would refuse anyway
stops the server with exit 2 -- a typo must never widen or silently narrow what runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..catalog.model import Action, Effect

__all__ = ["FLAGS", "Hints", "Policy", "PolicyError", "Refusal", "hints", "resolve_names"]

#: The flag that opens each effect (reads need none), in ladder order.
FLAGS: dict[str, str] = {
    "write": "--allow-writes",
    "delete": "--allow-deletes",
    "destructive": "--allow-destructive",
}
_LADDER = ("read", "write", "delete", "destructive")
_WHAT = {
    "write": ("is a write", "writes"),
    "delete": ("deletes data", "deletes"),
    "destructive": ("is destructive (irreversible or service-affecting)", "destructive actions"),
}


class Refusal(Exception):
    """The policy does not let this action run; the message tells the model why."""


class PolicyError(UsageError):
    """The permission options contradict themselves or name unknown actions (exit 2)."""


@dataclass(frozen=True)
class Hints:
    """The MCP tool annotations (``readOnlyHint``...) for a tool that runs these effects."""

    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool = True


def hints(effects: Iterable[Effect], *, open_world: bool = True) -> Hints:
    """Annotations for a tool that may run actions of ``effects`` (and nothing else).

    Read-only and idempotent when it only reads (a write may create a second object when
    sent twice); destructive when it may delete or run a destructive action -- writes count
    as the MCP spec's "additive" updates.
    """
    kinds = set(effects)
    only_reads = kinds <= {"read"}
    return Hints(
        read_only=only_reads,
        destructive=bool(kinds & {"delete", "destructive"}),
        idempotent=only_reads,
        open_world=open_world,
    )


@dataclass(frozen=True)
class Policy:
    allow_writes: bool = False
    allow_deletes: bool = False
    allow_destructive: bool = False
    allow: frozenset[str] = field(default_factory=frozenset)
    deny: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_options(
        cls,
        allow_writes: bool = False,
        allow_deletes: bool = False,
        allow: str | None = None,
        deny: str | None = None,
        allow_destructive: bool = False,
    ) -> Policy:
        """The policy of ``3cx mcp``'s options; :class:`PolicyError` for any contradiction."""
        if allow_deletes and not allow_writes:
            raise PolicyError(
                "--allow-deletes needs --allow-writes (a delete is a kind of write).",
                hint="Add --allow-writes, or leave --allow-deletes out for a read-only server.",
            )
        if allow_destructive and not allow_deletes:
            raise PolicyError(
                "--allow-destructive needs --allow-deletes (and --allow-writes).",
                hint="Add --allow-writes --allow-deletes, or leave --allow-destructive out.",
            )
        if allow is not None and not allow.replace(",", "").strip():
            raise PolicyError(
                "--allow names no action; an empty list would allow everything.",
                hint="Name the actions that may run, or leave --allow out.",
            )
        policy = cls(
            allow_writes,
            allow_deletes,
            allow_destructive,
            resolve_names(allow, "--allow"),
            resolve_names(deny, "--deny"),
        )
        actions = _all_actions()
        refused = []
        for name in sorted(policy.allow - policy.deny):
            missing = policy._missing_flags(actions[name].effect)
            if missing:
                refused.append(f"{name} ({actions[name].effect}: needs {' '.join(missing)})")
        if refused:
            raise PolicyError(
                "--allow names actions these flags refuse anyway: " + ", ".join(refused) + ".",
                hint="Add the flags named, or take the actions out of --allow.",
            )
        return policy

    def _missing_flags(self, effect: str) -> list[str]:
        """The flags that would have to be added for ``effect`` to run (none: it may)."""
        opened = {
            "write": self.allow_writes,
            "delete": self.allow_deletes,
            "destructive": self.allow_destructive,
        }
        steps = _LADDER[1 : _LADDER.index(effect) + 1]
        return [FLAGS[s] for s in steps if not opened[s]]

    def check(self, action: Action) -> Effect:
        """The action's effect if it may run; :class:`Refusal` saying why not otherwise."""
        effect = action.effect
        if action.id in self.deny:
            raise Refusal(f"{action.id} is denied on this server (--deny); it was not sent.")
        if self.allow and action.id not in self.allow:
            raise Refusal(
                f"{action.id} is not in this server's --allow list "
                f"({', '.join(sorted(self.allow))}); it was not sent."
            )
        missing = self._missing_flags(effect)
        if not missing:
            return effect
        if not self.allow_writes:
            raise Refusal(
                f"{action.id} is a {effect} ({action.method}) and this server is read-only; "
                f"it was not sent. Ask the user to restart `3cx mcp` with {' '.join(missing)} "
                "if they want this change."
            )
        what, plural = _WHAT[effect]
        raise Refusal(
            f"{action.id} {what} and this server does not allow {plural}; it was not sent. "
            f"Ask the user to restart `3cx mcp` with {' '.join(missing)} if they want it."
        )

    def may_run(self, action: Action) -> bool:
        try:
            self.check(action)
        except Refusal:
            return False
        return True

    def listed(self, action: Action) -> bool:
        """Whether ``action`` may appear in a listing: destructive ones only when allowed."""
        return action.effect != "destructive" or self.allow_destructive

    def effects(self) -> frozenset[Effect]:
        """The effects of the actions this server will run, over every shipped release."""
        return frozenset(a.effect for a in _all_actions().values() if self.may_run(a))

    def hints(self) -> Hints:
        """Annotations of ``call_action``: what it may do with these flags."""
        return hints(self.effects())

    def summary(self) -> str:
        """One paragraph for tool descriptions: what the model may and may not do."""
        if not self.allow_writes:
            text = (
                "READ-ONLY server: reads run; writes, deletes and destructive actions are refused."
            )
        elif not self.allow_deletes:
            text = "Reads and writes run; deletes and destructive actions are refused."
        elif not self.allow_destructive:
            text = "Reads, writes and deletes run; destructive actions are refused."
        else:
            text = "Reads, writes, deletes and destructive actions run."
        if self.allow_writes:
            text += " Every change is recorded in an audit log."
        if self.allow:
            text += f" Only these actions may run: {', '.join(sorted(self.allow))}."
        if self.deny:
            text += f" Denied: {', '.join(sorted(self.deny))}."
        return text


@cache
def _all_actions() -> dict[str, Action]:
    """Every action of every shipped release by id (the newest release's record wins)."""
    from ..catalog import RELEASES, catalog

    found: dict[str, Action] = {}
    for release in RELEASES:
        found.update({a.id: a for a in catalog(release)})
    return found


def resolve_names(text: str | None, option: str) -> frozenset[str]:
    """Comma-separated action names as operation ids; an unknown one is a :class:`PolicyError`."""
    ids = set()
    for raw in (text or "").split(","):
        name = " ".join(raw.split())
        if not name:
            continue
        found = _resolve(name)
        if found is None:
            from ..catalog import catalog

            close = [c for c in catalog().suggest(name.split(" ")[-1], n=3)]
            raise PolicyError(
                f"{option}: no action {name!r} in any XAPI release; the server was not started.",
                hint=(f"Did you mean: {', '.join(close)}? " if close else "")
                + "Names are operation ids (DeleteUser), delete-user, delete_user or "
                "'users delete-user'; `3cx actions WORDS` finds one.",
            )
        ids.add(found)
    return frozenset(ids)


def _resolve(name: str) -> str | None:
    from ..catalog import RELEASES, catalog

    resource, _, action = name.rpartition(" ")
    for release in reversed(RELEASES):
        cat = catalog(release)
        found = cat.get(action)
        if found is None:
            continue
        if resource and cat.resource_name(resource) != found.resource:
            continue
        return found.id
    return None
