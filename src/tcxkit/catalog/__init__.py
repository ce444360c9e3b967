"""The compiled XAPI catalogs: every operation of every shipped 3CX release.

``catalog("20.0.10")`` loads one release's actions from package data in a few
milliseconds (the YAML specs are compiled ahead of time by
``scripts/compile_catalogs.py``).  Catalogs are cached per process.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
from collections.abc import Iterator
from functools import cache, cached_property
from importlib import resources
from typing import Any

from ..errors import ConfigurationError, UnknownActionError
from .model import Action, Body, Param, Response, odata_type, schema_label
from .naming import kebab, snake

__all__ = [
    "DEFAULT_RELEASE",
    "RELEASES",
    "Action",
    "Body",
    "Catalog",
    "Param",
    "Response",
    "catalog",
    "kebab",
    "load_spec",
    "odata_type",
    "release_for",
    "schema_label",
    "snake",
]

_DATA = resources.files(__package__) / "data"


def _read_json_gz(name: str) -> Any:
    return json.loads(gzip.decompress((_DATA / name).read_bytes()))


def _release_key(release: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", release)[:3])


_INDEX = json.loads((_DATA / "releases.json").read_text())
RELEASES: tuple[str, ...] = tuple(_INDEX["releases"])
DEFAULT_RELEASE: str = _INDEX["default"]


def release_for(pbx_version: str) -> str:
    """The newest shipped release not newer than a PBX's version.

    ``20.0.10.1621`` -> ``20.0.10``; a PBX older than every catalog gets the
    oldest one (and the caller should warn).
    """
    key = _release_key(pbx_version)
    if len(key) < 3:
        raise ConfigurationError(
            f"Cannot read a 3CX release from {pbx_version!r}.",
            hint="Use a release like 20.0.10, or 'auto' to ask the PBX.",
        )
    best = RELEASES[0]
    for rel in RELEASES:
        if _release_key(rel) <= key:
            best = rel
    return best


@cache
def load_spec(release: str = DEFAULT_RELEASE) -> dict[str, Any]:
    """The official OpenAPI document of a release (as shipped, JSON)."""
    return _read_json_gz(f"spec-{_known(release)}.json.gz")


def _known(release: str) -> str:
    if release in RELEASES:
        return release
    if release in ("latest", "default"):
        return DEFAULT_RELEASE
    raise ConfigurationError(
        f"No catalog for 3CX release {release!r}.",
        hint="Shipped releases: " + ", ".join(RELEASES) + " (or 'auto' to ask the PBX).",
    )


class Catalog:
    """All actions of one release, by id, Python name, CLI name and resource."""

    def __init__(self, release: str, records: list[dict[str, Any]], counts: dict[str, int]):
        self.release = release
        self.counts = counts
        self._actions = [Action.from_record(r, release) for r in records]
        self._by_id = {a.id: a for a in self._actions}
        self._aliases: dict[str, Action] = {}
        for a in self._actions:
            self._aliases.setdefault(a.python_name, a)
            self._aliases.setdefault(a.id.lower(), a)

    def __len__(self) -> int:
        return len(self._actions)

    def __iter__(self) -> Iterator[Action]:
        return iter(self._actions)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __repr__(self) -> str:
        return f"<Catalog XAPI {self.release}: {len(self)} actions>"

    def get(self, name: str) -> Action | None:
        """By operationId (``GetCallLogData``), snake or kebab name, any case."""
        return (
            self._by_id.get(name)
            or self._aliases.get(name.lower())
            or self._aliases.get(snake(name))
            or self._aliases.get(name.replace("-", "_").lower())
        )

    def require(self, name: str) -> Action:
        """Like :meth:`get`, but an unknown name raises with the closest matches."""
        action = self.get(name)
        if action is None:
            raise UnknownActionError(name, self.suggest(name), self.release)
        return action

    def suggest(self, name: str, n: int = 5) -> list[str]:
        lowered = {a.id.lower(): a.id for a in self._actions}
        probe = name.replace("-", "").replace("_", "").lower()
        close = difflib.get_close_matches(probe, list(lowered), n=n, cutoff=0.6)
        out = [lowered[c] for c in close]
        if len(out) < n:
            out += [a.id for a in self._actions if probe in a.id.lower() and a.id not in out]
        return out[:n]

    def resources(self) -> list[str]:
        return sorted({a.resource for a in self._actions})

    def by_resource(self, resource: str) -> list[Action]:
        key = snake(resource)
        return [a for a in self._actions if a.resource_python_name == key]

    def resource_name(self, name: str) -> str | None:
        """The spec's tag for a resource given as tag, snake or kebab name."""
        key = snake(name)
        for a in self._actions:
            if a.resource_python_name == key:
                return a.resource
        return None

    def search(self, *words: str, resource: str | None = None) -> list[Action]:
        """Actions whose id, resource, path or summary contain every word."""
        terms = [w.lower() for phrase in words for w in phrase.split()]
        pool = self.by_resource(resource) if resource else self._actions
        hits = []
        for a in pool:
            hay = (
                f"{a.id} {a.python_name} {a.resource} {a.path} {a.summary} {a.description}".lower()
            )
            if all(t in hay for t in terms):
                hits.append(a)
        return hits

    @cached_property
    def spec(self) -> dict[str, Any]:
        return load_spec(self.release)

    @property
    def schemas(self) -> dict[str, dict[str, Any]]:
        """Component schemas by name (``Pbx.User``); loaded on first use."""
        return self.spec["components"]["schemas"]

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` chains to a concrete schema."""
        seen = 0
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
            seen += 1
            if seen > 32:
                break
        return schema


@cache
def catalog(version: str = DEFAULT_RELEASE) -> Catalog:
    """The catalog of a shipped release (``"20.0.10"``, ``"latest"``), cached."""
    release = _known(version)
    data = _read_json_gz(f"catalog-{release}.json.gz")
    return Catalog(release, data["actions"], data["counts"])
