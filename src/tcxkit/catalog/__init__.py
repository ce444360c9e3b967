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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, UnknownActionError
from .model import Action, Body, Param, Response, odata_type, schema_label
from .naming import kebab, snake
from .options import QUERY_OPTIONS, QueryOption

if TYPE_CHECKING:
    from ..schemas import SchemaIndex

__all__ = [
    "DEFAULT_RELEASE",
    "QUERY_OPTIONS",
    "RELEASES",
    "Action",
    "Body",
    "Catalog",
    "Param",
    "QueryOption",
    "Response",
    "catalog",
    "kebab",
    "load_spec",
    "odata_type",
    "release_for",
    "release_key",
    "schema_label",
    "snake",
    "version_key",
]

_DATA = Path(__file__).parent / "data"


def _read_json_gz(name: str) -> Any:
    return json.loads(gzip.decompress((_DATA / name).read_bytes()))


def version_key(version: object) -> tuple[int, ...]:
    """``"V20.0.10.1621"`` -> ``(20, 0, 10, 1621)``: the one reading of a PBX version (its
    numbers, whatever decorates them), for ordering builds; never raises."""
    return tuple(int(x) for x in re.findall(r"\d+", str(version or ""))[:4])


def release_key(release: str) -> tuple[int, ...]:
    """``"20.0.10.1621"`` -> ``(20, 0, 10)``: releases compare as tuples."""
    return version_key(release)[:3]


_INDEX = json.loads((_DATA / "releases.json").read_text())
RELEASES: tuple[str, ...] = tuple(_INDEX["releases"])
DEFAULT_RELEASE: str = _INDEX["default"]


def release_for(pbx_version: str) -> str:
    """The newest shipped release not newer than a PBX's version.

    ``20.0.10.1621`` -> ``20.0.10``; a PBX older than every catalog gets the
    oldest one (and the caller should warn).
    """
    key = release_key(pbx_version)
    if len(key) < 3:
        raise ConfigurationError(
            f"Cannot read a 3CX release from {pbx_version!r}.",
            hint="Use a release like 20.0.10, or 'auto' to ask the PBX.",
        )
    best = RELEASES[0]
    for rel in RELEASES:
        if release_key(rel) <= key:
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
        self._records = records
        self._by_id: dict[str, Action] = {}

    @cached_property
    def _actions(self) -> list[Action]:
        built = self._by_id
        return [built.get(r["id"]) or self._build(r) for r in self._records]

    @cached_property
    def _index(self) -> dict[str, dict[str, Any]]:
        """Record by id, snake name and lower-case id: lookups build one Action."""
        index: dict[str, dict[str, Any]] = {}
        for r in self._records:
            index.setdefault(snake(r["id"]), r)
            index.setdefault(r["id"].lower(), r)
        return index

    def _build(self, record: dict[str, Any]) -> Action:
        action = self._by_id.get(record["id"])
        if action is None:
            action = self._by_id[record["id"]] = Action.from_record(record, self.release)
        return action

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Action]:
        return iter(self._actions)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __repr__(self) -> str:
        return f"<Catalog XAPI {self.release}: {len(self)} actions>"

    def get(self, name: str) -> Action | None:
        """By operationId (``GetCallLogData``), snake or kebab name, any case."""
        found = self._by_id.get(name)
        if found is not None:
            return found
        index = self._index
        record = (
            index.get(name.lower())
            or index.get(snake(name))
            or index.get(name.replace("-", "_").lower())
        )
        return self._build(record) if record is not None else None

    def require(self, name: str) -> Action:
        """Like :meth:`get`, but an unknown name raises with the closest matches."""
        action = self.get(name)
        if action is None:
            raise UnknownActionError(name, self.suggest(name), self.release)
        return action

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Ids close to an unknown name: a near spelling of a whole id first (``UpdateUsr``
        -> UpdateUser), then the search's best matches, then farther spellings."""
        from .search import search_actions

        lowered = {r["id"].lower(): r["id"] for r in self._records}
        probe = name.replace("-", "").replace("_", "").lower()
        matches = difflib.get_close_matches(probe, list(lowered), n=n, cutoff=0.6)
        close = [lowered[c] for c in matches]
        near = [
            lowered[c] for c in matches if difflib.SequenceMatcher(None, probe, c).ratio() >= 0.85
        ]
        out = near + [a.id for a in search_actions(name, self, limit=n)] + close
        return list(dict.fromkeys(out))[:n]

    def resources(self) -> list[str]:
        return sorted({r["resource"] for r in self._records})

    def by_resource(self, resource: str) -> list[Action]:
        tag = self.resource_name(resource)
        return [self._build(r) for r in self._records if r["resource"] == tag]

    def resource_name(self, name: str) -> str | None:
        """The spec's tag for a resource given as tag, snake or kebab name."""
        return self._resource_tags.get(snake(name))

    @cached_property
    def _resource_tags(self) -> dict[str, str]:
        return {snake(r["resource"]): r["resource"] for r in self._records}

    def search(self, *words: str, resource: str | None = None) -> list[Action]:
        """Actions matching the words, best first (see :mod:`tcxkit.catalog.search`)."""
        from .search import search_actions

        return search_actions(" ".join(words), self, resource=resource)

    @cached_property
    def spec(self) -> dict[str, Any]:
        return load_spec(self.release)

    @property
    def schemas(self) -> dict[str, dict[str, Any]]:
        """Component schemas by name (``Pbx.User``); loaded on first use."""
        return self.spec["components"]["schemas"]

    @cached_property
    def schema_index(self) -> SchemaIndex:
        """``$ref`` resolution and merged ``allOf`` properties over this release's schemas."""
        from ..schemas import SchemaIndex

        return SchemaIndex(lambda: self.schemas)  # the spec loads on the first $ref

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` chains to a concrete schema."""
        return self.schema_index.resolve(schema)


@cache
def catalog(version: str = DEFAULT_RELEASE) -> Catalog:
    """The catalog of a shipped release (``"20.0.10"``, ``"latest"``), cached."""
    release = _known(version)
    data = _read_json_gz(f"catalog-{release}.json.gz")
    return Catalog(release, data["actions"], data["counts"])
