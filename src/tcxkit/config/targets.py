"""Every PBX a name can select: profiles, the inventory, and where their keys are.

The fleet is the ``--inventory FILE`` (or ``$TCX_INVENTORY``) alone when one is
given -- a test or customer inventory must never pull the user's other PBXs into
an action -- and otherwise every profile (with the tags ``3cx login --tag`` gave
it) plus ``fleet.toml`` in the config directory.  The same names select one PBX
(:func:`tcxkit.config.connection.resolve`), so an inventory PBX is as much a
target as a profile.  Keys come from where each target says: the profile's
store, the OS keyring (imported only then), a 0600 file or an environment
variable.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigurationError
from .inventory import PbxTarget, SecretRef, found_key, load_inventory, resolve_secret
from .options import Options
from .profiles import KEYRING_SERVICE, config_dir, get_secret, keyring_secret, load_config
from .settings import env_text

__all__ = ["all_targets", "inventory_path", "inventory_target", "secret_for"]


def inventory_path(opts: Options) -> tuple[Path | None, bool]:
    """The inventory file, and whether it was named explicitly (then it is the fleet)."""
    given = opts.inventory or env_text("TCX_INVENTORY")
    if given:
        return Path(given).expanduser(), True
    default = config_dir() / "fleet.toml"
    return (default if default.exists() else None), False


def all_targets(opts: Options) -> list[PbxTarget]:
    """Every PBX a selector can name (see the module docstring)."""
    path, explicit = inventory_path(opts)
    inventory = load_inventory(path) if path else []
    if explicit:
        return inventory
    cfg = load_config()
    profiles = [
        PbxTarget(
            name=p.name,
            url=p.url.rstrip("/"),
            client_id=p.client_id,
            secret=SecretRef("profile", p.name),
            tags=tuple(p.tags),
            release=p.version,
            ca_bundle=p.ca_bundle,
            insecure=p.insecure,
            source="profile",
        )
        for p in cfg.profiles.values()
    ]
    clash = sorted({p.name for p in profiles} & {t.name for t in inventory})
    if clash:
        raise ConfigurationError(
            f"{path}: {', '.join(clash)} is both a profile and an inventory entry.",
            hint="Rename one of them: a name selects exactly one PBX.",
        )
    return profiles + inventory


def inventory_target(opts: Options, name: str) -> tuple[PbxTarget | None, list[str]]:
    """The inventory PBX called ``name`` (None if there is none), and every inventory name."""
    path, _ = inventory_path(opts)
    if path is None:
        return None, []
    targets = load_inventory(path)
    found = next((t for t in targets if t.name == name), None)
    return found, [t.name for t in targets]


def secret_for(target: PbxTarget) -> str:
    """The key of ``target``: the core's sources plus the profile store and the keyring."""
    ref = target.secret
    if ref.source == "profile":
        return found_key(
            target,
            get_secret(load_config().require(ref.ref)),
            f"no API key stored for profile {ref.ref!r}",
            f"Store it again with `3cx login --name {ref.ref}`.",
        )
    if ref.source == "keyring":
        return found_key(
            target,
            keyring_secret(ref.ref),
            f"no API key in the keyring under {KEYRING_SERVICE}/{ref.ref}",
            "Store it with `keyring set tcxkit NAME`, or name secret_env / secret_file in "
            "the inventory.",
        )
    return resolve_secret(target)
