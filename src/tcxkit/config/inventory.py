"""Which PBXs make up a fleet: targets, the ``fleet.toml`` inventory, selectors.

An MSP keeps dozens of PBXs; the inventory lists them in one TOML file::

    [pbx.acme]
    url = "https://acme.example.com:5001"
    client_id = "tcxkit"
    tags = ["customers", "eu"]
    secret_env = "ACME_TCX_SECRET"        # or secret_file = "secrets/acme" (mode 0600)
                                          # or secret_keyring = "acme" (the CLI's keyring)

The file never holds a secret: a key named like one (``client_secret``, ``secret``,
``api_key``...) is refused, so the file can be committed and shared.  A
:class:`SecretRef` says where the API key is; resolving it is the job of a
*secret resolver* (:func:`resolve_secret` knows the environment and private files;
:func:`tcxkit.config.targets.secret_for` adds the profile store and the OS keyring,
imported only when an entry names it).

Whoever can rewrite the inventory decides where the keys go, so it (and a secret
file) is refused when other users could change it (:mod:`tcxkit.private_files`);
a URL with ``user:password@`` is refused, and plain ``http://`` to a host other
than this machine needs ``insecure_http = true`` (:mod:`tcxkit.urls`).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, UsageError
from ..private_files import check_private
from ..urls import check_url
from .settings import parse_bool

__all__ = [
    "PbxTarget",
    "SecretRef",
    "SecretResolver",
    "dump_inventory",
    "found_key",
    "load_inventory",
    "parse_inventory",
    "resolve_secret",
    "select",
    "valid_tag",
]

#: A tag or PBX name: letters, digits, ``_ . -``; no comma (the selector's separator).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: Keys that would put a secret into the file: refused, never read.
_SECRET_KEYS = {"secret", "client_secret", "api_key", "apikey", "password", "key", "token"}
_KEYS = {
    "url",
    "client_id",
    "tags",
    "release",
    "secret_env",
    "secret_file",
    "secret_keyring",
    "ca_bundle",
    "insecure",
    "insecure_http",
}


@dataclass(frozen=True)
class SecretRef:
    """Where a PBX's API key is kept; never the key itself.

    ``source`` is ``"env"`` (``ref`` = a variable name), ``"file"`` (a path to a file
    holding only the key, mode 0600), ``"keyring"`` (an entry of the OS keyring) or
    ``"profile"`` (the key stored by ``3cx login`` for that profile): the inventory's
    ``secret_<source>`` key.
    """

    source: str
    ref: str

    @property
    def kind(self) -> str:
        """Deprecated: :attr:`source` (which secret source holds the key)."""
        warnings.warn(
            "SecretRef.kind is deprecated; use SecretRef.source", DeprecationWarning, stacklevel=2
        )
        return self.source

    def describe(self) -> str:
        return f"{self.source} {self.ref}"


#: ``resolver(target) -> API key``; raises :class:`~tcxkit.errors.ConfigurationError`.
SecretResolver = Callable[["PbxTarget"], str]


@dataclass(frozen=True)
class PbxTarget:
    """One PBX of a fleet: where it is, how to reach it, how it is tagged."""

    name: str
    url: str
    client_id: str
    secret: SecretRef
    tags: tuple[str, ...] = ()
    release: str = "auto"
    ca_bundle: str | None = None
    insecure: bool = False
    #: Plain ``http://`` to a host other than this machine was allowed (tcxkit.urls).
    insecure_http: bool = False
    #: Where the target was defined ("fleet.toml", "profile"), for messages.
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def verify(self) -> bool | str:
        """The ``verify=`` argument of a client for this PBX."""
        if self.insecure:
            return False
        return self.ca_bundle or True


def valid_tag(text: str) -> bool:
    return bool(_NAME.fullmatch(text)) and text != "all"


def _bad(path: str, message: str) -> ConfigurationError:
    return ConfigurationError(
        f"{path}: {message}", hint="See docs/fleet.md for the inventory format."
    )


def _target(name: str, raw: Any, where: str, base: Path) -> PbxTarget:
    if not isinstance(raw, dict):
        raise _bad(where, f"[pbx.{name}] must be a table.")
    if not _NAME.fullmatch(name) or name == "all":
        raise _bad(where, f"PBX name {name!r} must be letters, digits, '_', '.', '-' (not 'all').")
    secrets = sorted(k for k in raw if k.lower() in _SECRET_KEYS)
    if secrets:
        raise ConfigurationError(
            f"{where}: [pbx.{name}] holds a secret ({', '.join(secrets)}); the inventory "
            "never does, so that it can be shared and committed. The value was not read.",
            hint='Remove it and name where the key is instead: secret_env = "VAR", '
            'secret_file = "path" (mode 0600) or secret_keyring = "entry".',
        )
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _bad(where, f"[pbx.{name}]: unknown key(s) {', '.join(unknown)}.")
    for key in ("url", "client_id"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _bad(where, f"[pbx.{name}] needs {key} (a string).")
    check_url(raw["url"].strip(), allow_http=True, where=f"{where}: [pbx.{name}]: ")
    given = [k for k in ("secret_env", "secret_file", "secret_keyring") if k in raw]
    if len(given) > 1:
        raise _bad(where, f"[pbx.{name}]: give one of {', '.join(given)}, not several.")
    if given and given[0] == "secret_file":
        path = Path(str(raw["secret_file"])).expanduser()
        ref = SecretRef("file", str(path if path.is_absolute() else base / path))
    elif given:
        ref = SecretRef(given[0].removeprefix("secret_"), str(raw[given[0]]))
    else:
        ref = SecretRef("keyring", name)  # what `3cx fleet` and docs call the default
    tags = raw.get("tags", [])
    if isinstance(tags, str) or not all(isinstance(t, str) and valid_tag(t) for t in tags):
        raise _bad(where, f'[pbx.{name}] tags must be a list of names, e.g. ["eu"].')
    ca = raw.get("ca_bundle")
    if ca is not None:
        ca_path = Path(str(ca)).expanduser()
        ca = str(ca_path if ca_path.is_absolute() else base / ca_path)
    return PbxTarget(
        name=name,
        url=raw["url"].strip().rstrip("/"),
        client_id=raw["client_id"],
        secret=ref,
        tags=tuple(tags),
        release=str(raw.get("release", "auto")),
        ca_bundle=ca,
        insecure=parse_bool(raw.get("insecure", False), f"{where}: [pbx.{name}] insecure"),
        insecure_http=parse_bool(
            raw.get("insecure_http", False), f"{where}: [pbx.{name}] insecure_http"
        ),
        source=where,
    )


def parse_inventory(
    text: str, where: str = "fleet.toml", base: Path | None = None
) -> list[PbxTarget]:
    """Targets from inventory TOML text; relative paths are relative to ``base``."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(where, f"not valid TOML ({exc}).") from None
    # [health]: check thresholds, [updates]: maintenance windows (config.health reads both)
    unknown = sorted(set(data) - {"pbx", "health", "updates"})
    if unknown:
        raise _bad(
            where,
            f"unknown top-level key(s) {', '.join(unknown)}; PBXs go in [pbx.NAME], "
            "health-check thresholds in [health], maintenance windows in [updates].",
        )
    pbxs = data.get("pbx") or {}
    base = base or Path.cwd()
    return [_target(name, raw, where, base) for name, raw in pbxs.items()]


def load_inventory(path: str | os.PathLike[str]) -> list[PbxTarget]:
    """Read ``fleet.toml`` (or any inventory file), refused when others could change it."""
    p = Path(path).expanduser()
    check_private(p, "inventory")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"Cannot read the inventory {p}: {getattr(exc, 'strerror', None) or exc}.",
            hint="Check the path given to --inventory (or TCX_INVENTORY).",
        ) from None
    return parse_inventory(text, str(p), p.resolve().parent)


def dump_inventory(targets: Iterable[PbxTarget]) -> str:
    """Inventory TOML for ``targets`` (written by the emulator and tests; no secrets)."""
    lines = ["# tcxkit fleet inventory: no secrets here, only where each key is kept."]
    for t in targets:
        lines += ["", f"[pbx.{json.dumps(t.name)}]"]
        lines.append(f"url = {json.dumps(t.url)}")
        lines.append(f"client_id = {json.dumps(t.client_id)}")
        lines.append(f"tags = {json.dumps(list(t.tags))}")
        if t.release != "auto":
            lines.append(f"release = {json.dumps(t.release)}")
        if t.secret.source in ("env", "file", "keyring"):
            lines.append(f"secret_{t.secret.source} = {json.dumps(t.secret.ref)}")
        if t.ca_bundle:
            lines.append(f"ca_bundle = {json.dumps(t.ca_bundle)}")
        if t.insecure:
            lines.append("insecure = true")
        if t.insecure_http:
            lines.append("insecure_http = true")
    return "\n".join(lines) + "\n"


def _read_private(path: str) -> str:
    p = Path(path)
    check_private(p, "secret file", secret=True)
    try:
        secret = p.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the secret file {p}: {exc.strerror or exc}.",
            hint="Create it with only the API key in it, mode 0600.",
        ) from None
    if not secret:
        raise ConfigurationError(
            f"The secret file {p} is empty.", hint="Write the API key into it (mode 0600)."
        )
    return secret


def found_key(target: PbxTarget, key: str | None, missing: str, fix: str) -> str:
    """``key`` as a secret source gave it for ``target``.

    An empty or absent key is that PBX's configuration error (``missing`` says where the
    key should have been, ``fix`` how to put it there), so every resolver refuses alike and
    a fleet reports it as that PBX's row.
    """
    if not key:
        raise ConfigurationError(f"{target.name}: {missing}.", hint=fix)
    return key


def resolve_secret(target: PbxTarget) -> str:
    """The API key from the environment or a private file (the core library's resolver).

    Keyring entries need a resolver that knows the keyring (the CLI passes one);
    here they are a configuration error for that PBX only.
    """
    ref = target.secret
    if ref.source == "env":
        return found_key(
            target,
            os.environ.get(ref.ref),
            f"the environment variable {ref.ref} (its API key) is not set",
            f"Set {ref.ref}, or point the inventory at another secret source.",
        )
    if ref.source == "file":
        return _read_private(ref.ref)
    raise ConfigurationError(
        f"{target.name}: its API key is in the {ref.source} ({ref.ref}), which this resolver "
        "cannot read.",
        hint="Pass secrets=... to Fleet (the 3cx command line reads the keyring), or use "
        "secret_env / secret_file in the inventory.",
    )


def select(targets: Sequence[PbxTarget], selector: str) -> list[PbxTarget]:
    """The targets a ``--fleet`` selector names, in inventory order.

    ``all``; or names and tags separated by commas (a PBX is selected when its name
    or one of its tags is listed).  An unknown word is an error, so that a typo never
    runs an action on fewer PBXs than meant.
    """
    words = [w.strip() for w in selector.split(",") if w.strip()]
    if not words:
        raise UsageError("--fleet needs a selector.", hint="Use all, a tag, or NAME,NAME.")
    if "all" in words:
        if len(words) > 1:
            raise UsageError(
                f"--fleet {selector!r}: 'all' already selects every PBX.",
                hint="Use --fleet all alone, or list names and tags.",
            )
        chosen = list(targets)
    else:
        names = {t.name for t in targets}
        tags = {tag for t in targets for tag in t.tags}
        unknown = [w for w in words if w not in names and w not in tags]
        if unknown:
            raise UsageError(
                f"--fleet: no PBX or tag named {', '.join(map(repr, unknown))}.",
                hint=f"PBXs: {', '.join(sorted(names)) or 'none'}; tags: "
                f"{', '.join(sorted(tags)) or 'none'} (see `3cx fleet list`).",
            )
        wanted = set(words)
        chosen = [t for t in targets if t.name in wanted or wanted.intersection(t.tags)]
    if not chosen:
        raise UsageError(
            "--fleet: the fleet is empty.",
            hint="Add PBXs with `3cx login --tag TAG`, or list them in fleet.toml (docs/fleet.md).",
        )
    return chosen
