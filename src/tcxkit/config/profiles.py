"""Named connection profiles: settings in a TOML file, secrets in the keyring.

The config file (``config.toml`` in the user config directory, or
``$TCX_CONFIG_DIR``) holds only non-secret settings, so it can be shown and
copied.  The API key goes to the OS keyring when a usable backend exists,
otherwise to ``secrets.json`` next to the config with mode 0600.  Nothing here
prints a secret.  Both files are refused when other users could change them
(:mod:`tcxkit.private_files`), and a profile's URL never carries credentials.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..private_files import check_private, open_private
from ..urls import check_url
from .settings import env_bool, parse_bool

__all__ = [
    "KEYRING_SERVICE",
    "Config",
    "Profile",
    "config_dir",
    "data_dir",
    "delete_secret",
    "get_secret",
    "keyring_secret",
    "keyring_usable",
    "load_config",
    "save_config",
    "set_secret",
]

KEYRING_SERVICE = "tcxkit"


def config_dir() -> Path:
    """``$TCX_CONFIG_DIR`` or the platform's user config dir for tcxkit."""
    env = os.environ.get("TCX_CONFIG_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("tcxkit", appauthor=False))


def data_dir() -> Path:
    """``$TCX_DATA_DIR`` or the platform's user data dir (emulator db and state)."""
    env = os.environ.get("TCX_DATA_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tcxkit", appauthor=False))


@dataclass
class Profile:
    """Where a PBX is and how to talk to it (never the secret)."""

    name: str
    url: str
    client_id: str
    secret_store: str = "file"  # "keyring" | "file"
    version: str = "auto"
    ca_bundle: str | None = None
    insecure: bool = False
    #: Fleet tags (``3cx login --tag eu``), for ``--fleet TAG`` (docs/fleet.md).
    tags: list[str] = field(default_factory=list)


#: Keys of the ``[defaults]`` table and what each accepts (see docs/cli.md).
DEFAULT_KEYS = ("output", "profile", "timeout")


@dataclass
class Config:
    current: str | None = None
    profiles: dict[str, Profile] = field(default_factory=dict)
    #: ``[defaults]``: output, profile, timeout (flag > env > these > built-in).
    defaults: dict[str, Any] = field(default_factory=dict)
    #: ``[emulator]``: settings of the built-in emulator (idle_timeout).
    emulator: dict[str, Any] = field(default_factory=dict)

    def require(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none yet"
            raise ConfigurationError(
                f"No profile named {name!r} (profiles: {known}).",
                hint="Create it with `3cx login --name " + name + "`, or list them with "
                "`3cx profiles list`.",
            ) from None


def _config_path() -> Path:
    return config_dir() / "config.toml"


def load_config() -> Config:
    path = _config_path()
    if not path.exists():
        return Config()
    import tomllib

    check_private(path, "configuration file")  # it says where each profile's key goes

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigurationError(
            f"Cannot read {path}: {exc}.",
            hint="Fix or delete the file, then run `3cx login` again.",
        ) from None
    profiles = {}
    for name, raw in (data.get("profiles") or {}).items():
        known = {k: v for k, v in raw.items() if k in Profile.__dataclass_fields__}
        if "insecure" in known:
            known["insecure"] = parse_bool(known["insecure"], f"{path} [profiles.{name}] insecure")
        profiles[name] = Profile(**{**known, "name": name})
        check_url(str(profiles[name].url), allow_http=True, where=f"{path}: [profiles.{name}]: ")
    defaults = dict(data.get("defaults") or {})
    unknown = sorted(set(defaults) - set(DEFAULT_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{path}: unknown key{'s' if len(unknown) > 1 else ''} in [defaults]: "
            f"{', '.join(unknown)}.",
            hint=f"[defaults] takes {', '.join(DEFAULT_KEYS)}; see docs/cli.md.",
        )
    return Config(
        current=data.get("current"),
        profiles=profiles,
        defaults=defaults,
        emulator=dict(data.get("emulator") or {}),
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, list):  # a JSON array of strings is a TOML array
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def save_config(cfg: Config) -> Path:
    """Write the TOML by hand (tomllib only reads); keys are fixed, values escaped."""
    path = _config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# tcxkit CLI settings and profiles (no secrets here)."]
    if cfg.current:
        lines.append(f"current = {_toml_value(cfg.current)}")
    for table, values in (("defaults", cfg.defaults), ("emulator", cfg.emulator)):
        if values:
            lines += ["", f"[{table}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    for name, prof in sorted(cfg.profiles.items()):
        lines += ["", f"[profiles.{json.dumps(name)}]"]
        for k, v in asdict(prof).items():
            if k != "name" and v is not None and v != []:
                lines.append(f"{k} = {_toml_value(v)}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


# ----------------------------------------------------------------------------- secrets


def keyring_usable() -> bool:
    """Whether an OS keyring backend can store secrets (TCX_NO_KEYRING=1 disables it)."""
    if env_bool("TCX_NO_KEYRING"):
        return False
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    priority = getattr(backend, "priority", 0)
    backends = getattr(backend, "backends", None)
    if backends is not None:  # a chainer: usable only if it chains something
        return bool(backends)
    return bool(priority and priority > 0)


def _secrets_path() -> Path:
    return config_dir() / "secrets.json"


def _read_secret_file() -> dict[str, str]:
    path = _secrets_path()
    if not path.exists():
        return {}
    check_private(path, "secret file", secret=True)
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _write_secret_file(data: dict[str, str]) -> None:
    path = _secrets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_private(path, "w", what="secret file", encoding="utf-8") as fh:
        json.dump(data, fh)


def set_secret(profile: str, secret: str) -> str:
    """Store the API key; returns where it went ("keyring" or "file")."""
    if keyring_usable():
        import keyring

        try:
            keyring.set_password(KEYRING_SERVICE, profile, secret)
            return "keyring"
        except Exception:
            pass  # a locked or broken keyring: fall back to the private file
    data = _read_secret_file()
    data[profile] = secret
    _write_secret_file(data)
    return "file"


def keyring_secret(name: str) -> str | None:
    """The key stored in the OS keyring under ``tcxkit/NAME``; None when absent or when
    no keyring backend works (a headless server often has none)."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, name)
    except Exception:
        return None


def get_secret(prof: Profile) -> str | None:
    if prof.secret_store == "keyring":
        return keyring_secret(prof.name)
    return _read_secret_file().get(prof.name)


def delete_secret(prof: Profile) -> None:
    if prof.secret_store == "keyring":
        try:
            import keyring

            keyring.delete_password(KEYRING_SERVICE, prof.name)
        except Exception:
            pass
        return
    data = _read_secret_file()
    if data.pop(prof.name, None) is not None:
        _write_secret_file(data)
