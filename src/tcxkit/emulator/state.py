"""One emulated PBX's state and its model of the release: entity sets, keys, singletons.

:class:`AppState` is what handlers receive as ``ctx.state``.  At start it reads the
release's catalog to discover entity sets (item type, key, alternate keys) and settings
singletons; the store's tables are opened lazily.  The built-in answer for operations
without a domain handler comes from its part ``behaviour``, a
:class:`~.generic.GenericBehaviour`.
"""

from __future__ import annotations

import collections
import copy
from dataclasses import dataclass
from typing import Any

from ..catalog import Action, catalog, odata_type
from .admin import RequestLog
from .auth import IssuedTokens
from .config import EmulatorConfig
from .generic import GenericBehaviour
from .odata import QueryOptions, parse_query, validate_options
from .registry import Registry, registry
from .responses import ValueGenerator
from .routing import Router
from .store import FRAGMENT_CACHE_ROWS, Store
from .validate import Validator

__all__ = ["AppState", "SetInfo"]


@dataclass
class SetInfo:
    """An entity set of the release and how the store keeps it."""

    name: str  # as in the URL: "Users", "Defs/Codecs"
    type_name: str
    key: str = "Id"
    key_type: str = "int"
    alt_keys: tuple[str, ...] = ()
    key_max: int | None = None  # the key's Edm range (Int32: 2**31 - 1)


#: The largest value of each integer key format (Edm.Int16/Int32/Int64).
_KEY_MAX = {"int16": 2**15 - 1, "int32": 2**31 - 1, "int64": 2**63 - 1}


def _table_name(set_name: str) -> str:
    return set_name.replace("/", "_").replace(".", "_")


class AppState:
    """Everything one emulated PBX holds: config, catalog, store, tokens, log, plans."""

    def __init__(self, config: EmulatorConfig, *, reg: Registry | None = None):
        self.config = config
        self.release = config.version
        self.catalog = catalog(config.version)
        self.router = Router(self.catalog)
        self.validator = Validator(self.catalog.schemas)
        self.generator = ValueGenerator(self.catalog.schemas)
        self._defaults: dict[str, dict[str, Any]] = {}  # type name -> a new entity
        self.registry = reg or registry
        self.tokens = IssuedTokens(lifetime=config.token_lifetime, single_token=config.single_token)
        self.store = Store(
            str(config.db) if config.db else None,
            cache_rows=int(config.options.get("row_cache", FRAGMENT_CACHE_ROWS)),  # type: ignore[call-overload]
        )
        self.requests = RequestLog(config.request_log_size, config.request_log_bytes)
        self.faults: list[dict[str, Any]] = list(config.options.get("faults", ()) or ())  # type: ignore[call-overload]
        self.extra: dict[str, Any] = {}
        #: Base of ``@odata.context`` links; the server sets it once the port is bound.
        self.public_url = (config.public_url or f"http://{config.host}:{config.port}").rstrip("/")
        self.sets: dict[str, SetInfo] = {}
        self.type_sets: dict[str, str] = {}
        self.singletons: dict[str, str] = {}  # path name -> type name
        self._open_sets: dict[str, Any] = {}
        self._auth_attempts: dict[str, collections.deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._discover()
        #: The built-in answers (store CRUD, generated values, files): a part, not a base.
        self.behaviour = GenericBehaviour(self)

    # -- model of the release ---------------------------------------------------------
    def _discover(self) -> None:
        """Find entity sets, their item types, keys, alternate keys and singletons.

        Two passes, so the answer never depends on the order of the spec's operations:
        first every set's item type is settled (a collection ``GET`` names it; failing
        that, a keyed operation's response or body schema; a ``DELETE`` names none), then
        sets are registered and their keys read from the keyed paths.
        """
        ops = [a for a in self.catalog if a.kind == "operation"]
        types: dict[str, str | None] = {}
        keyed: list[tuple[str, bool, Any]] = []  # (set, is alternate key, path parameter)
        for a in ops:
            segs = a.path.strip("/").split("/")
            pparams = [p for p in a.params if p.location == "path"]
            if a.method == "GET" and a.response.shape == "collection" and not pparams:
                types[a.path.strip("/")] = a.response.item or "Pbx.Entity"
            elif len(segs) == 1 and "(" in segs[0] and pparams:
                name = segs[0].split("(", 1)[0]
                keyed.append((name, "=" in segs[0], pparams[0]))
                if types.get(name) is None:
                    types[name] = _ref_name(a.response.schema) or _ref_name(
                        a.body.schema if a.body else None
                    )
            elif (
                a.method == "GET"
                and a.response.shape == "entity"
                and not pparams
                and len(segs) == 1
            ):
                self.singletons[segs[0]] = _ref_name(a.response.schema) or f"Pbx.{segs[0]}"
        for name, type_name in types.items():
            self.register_set(name, type_name or f"Pbx.{name}")
        for name, alternate, param in keyed:
            info = self.sets[name]
            if alternate:
                if param.name not in info.alt_keys:
                    info.alt_keys += (param.name,)
            else:
                info.key = param.name
                info.key_type = _key_type(param)
                info.key_max = _key_max(param) if info.key_type == "int" else None

    def register_set(self, name: str, type_name: str) -> SetInfo:
        """Declare an entity set (domain modules may add sets for report rows); its key is
        ``Id`` until the spec's keyed paths say otherwise."""
        info = self.sets.get(name)
        if info is None:
            info = SetInfo(name, type_name)
            self.sets[name] = info
            self.type_sets.setdefault(type_name, name)
        return info

    def entity_set(self, name: str) -> Any:
        """The store's table for a set, created lazily on first use."""
        es = self._open_sets.get(name)
        if es is not None:
            return es
        info = self.sets.get(name)
        if info is None:
            raise KeyError(f"{name!r} is not an entity set of XAPI {self.release}")
        schema = self.catalog.schemas.get(info.type_name, {})
        props = self.generator.properties(schema) if schema else {}
        nav = {p for p, s in props.items() if s.get("x-ms-navigationProperty")}
        dates = {p for p, s in props.items() if s.get("format") == "date-time"}
        es = self.store.entity_set(
            _table_name(name),
            key=info.key,
            key_type=info.key_type,  # type: ignore[arg-type]
            type_name=info.type_name,
            properties=set(props) - nav if props else None,
            nav_props=nav,
            datetime_props=dates,
            indexes=tuple(k for k in info.alt_keys if k in props),
            nav_lists={p for p in nav if props[p].get("type") == "array"},
            key_max=info.key_max,
        )
        es.property_types = {p: odata_type(s) for p, s in props.items()}
        self._open_sets[name] = es
        return es

    def with_defaults(self, set_name: str, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` completed to a whole entity of the set's type (what a create stores).

        The key and alternate keys are the create's to assign or check, so they are
        never defaulted.
        """
        info = self.sets[set_name]
        defaults = self._defaults.get(info.type_name)
        if defaults is None:
            defaults = self._defaults[info.type_name] = self.generator.defaults(info.type_name)
        skip = {info.key, *info.alt_keys}
        first = {k: body[k] for k in info.alt_keys if k in body}
        filled = {k: copy.deepcopy(v) for k, v in defaults.items() if k not in skip}
        return {**first, **filled, **body}

    def singleton(self, name: str) -> dict[str, Any]:
        """A settings singleton's stored value (generated and stored on first use)."""
        table = self._singleton_table()
        row = table.get(name)
        if row is None:
            value = self.generator.entity(self.singletons.get(name, f"Pbx.{name}"), name)
            row = table.insert({"Name": name, "Value": value})
        return row["Value"]

    def set_singleton(self, name: str, value: dict[str, Any]) -> None:
        table = self._singleton_table()
        if table.get(name) is None:
            table.insert({"Name": name, "Value": value})
        else:
            table.replace(name, {"Name": name, "Value": value})

    def _singleton_table(self) -> Any:
        es = self._open_sets.get("__singletons")
        if es is None:
            es = self.store.entity_set("Singletons__", key="Name", key_type="str")
            self._open_sets["__singletons"] = es
        return es

    # -- query options ----------------------------------------------------------------
    def query_options(self, action: Action, params: Any) -> QueryOptions:
        """Parse ``$`` options: ordinary sets reject $top > max_top, functions do not.

        Options nested in ``$expand`` are checked here against the expanded property's
        type (the store checks the top level): ``$expand=Groups($select=Nope)`` is a 400
        like a top-level unknown ``$select``.
        """
        max_top = None if action.is_report else self.config.max_top
        options = parse_query(params, max_top=max_top)
        if options.expand:
            type_name = action.response.item or _ref_name(action.response.schema)
            if type_name:
                self._check_expanded(type_name, options)
        return options

    def _check_expanded(self, type_name: str, options: QueryOptions) -> None:
        """Validate each ``$expand`` item's nested options against its target type."""
        props = self.validator.properties(self.catalog.schemas.get(type_name, {})) or {}
        for name, nested in options.expand.items():
            target = _ref_name(props[name]) if name in props else None
            if target is None and isinstance(props.get(name), dict):
                target = _ref_name(props[name].get("items"))
            if target is None:
                continue  # '*', unknown names (the store's 400) or primitive collections
            nested_props = self.validator.properties(self.catalog.schemas.get(target, {}))
            if nested_props is not None:
                validate_options(nested, set(nested_props), target)
            if nested.expand:
                self._check_expanded(target, nested)


def _key_type(param: Any) -> str:
    """The store's key type for a key parameter.

    Judged by the schema's ``format`` as well as the Edm type: 20.0.6 declares integer
    keys as ``type: number, format: int32``, which is still an integer key.
    """
    if param.type in ("Edm.Int32", "Edm.Int64", "Edm.Int16", "Edm.Byte"):
        return "int"
    if param.type == "Edm.Guid" or param.schema.get("format") == "uuid":
        return "uuid"
    if param.schema.get("format") in ("int16", "int32", "int64"):
        return "int"
    return "str"


def _key_max(param: Any) -> int:
    """The largest value an integer key may take (its schema's maximum, else its format's)."""
    maximum = param.schema.get("maximum")
    if isinstance(maximum, int):
        return maximum
    return _KEY_MAX.get(
        str(param.schema.get("format") or param.type).lower().removeprefix("edm."),
        _KEY_MAX["int32"],
    )


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    name = odata_type(schema)
    return name if name.startswith("Pbx.") else None
