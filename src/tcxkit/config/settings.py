"""Booleans and TLS settings, parsed one way for every face.

A boolean setting -- ``TCX_INSECURE``, ``TCX_DEBUG``, ``TCX_NO_KEYRING``, an
``insecure = ...`` in ``fleet.toml`` or ``config.toml`` -- is ``1/true/yes/on``
or ``0/false/no/off`` (any case, surrounding blanks ignored), or a TOML/JSON
boolean.  Anything else, the empty string included, is an error that names the
setting: a typo must never switch a safety off (``TCX_INSECURE=no`` once turned
TLS verification *off*), nor silently leave a wanted switch off.

An unset variable is its default.  :func:`tls_verify` is the one place where
"insecure" and a CA bundle become the client's ``verify=``: verification goes
off only for an explicit true.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "env_bool", "env_text", "parse_bool", "tls_verify"]

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def parse_bool(value: Any, name: str) -> bool:
    """``value`` as a boolean, or :class:`ConfigurationError` naming ``name``.

    ``name`` is what the user wrote: ``TCX_INSECURE``, ``fleet.toml [pbx.eu] insecure``.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ConfigurationError(
        f"{name} must be true or false, got {value!r}.",
        hint=f"Use one of {', '.join(sorted(TRUE_WORDS))} (on) or "
        f"{', '.join(sorted(FALSE_WORDS))} (off); unset it for the default.",
    )


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """The boolean environment variable ``name``; ``default`` when it is not set at all."""
    env = os.environ if environ is None else environ
    raw = env.get(name)
    return default if raw is None else parse_bool(raw, name)


def env_text(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A text variable; empty counts as unset (``TCX_URL=`` clears an inherited value)."""
    env = os.environ if environ is None else environ
    return env.get(name) or None


def tls_verify(
    *,
    insecure: bool = False,
    ca_bundle: str | None = None,
    configured_insecure: bool = False,
    configured_ca: str | None = None,
    url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool | str:
    """The client's ``verify=``, from the flags, the environment and the configuration.

    ``insecure``/``ca_bundle`` are the command line's (``--insecure``,
    ``--ca-bundle``), ``configured_*`` the profile's, inventory entry's or
    connection's.  Verification is off only when one of them, or
    ``TCX_INSECURE``, is an explicit true.  The CA bundle: flag >
    ``TCX_CA_BUNDLE`` > configured.  A plain ``http://`` URL needs no
    certificates (``False`` skips loading the CA bundle; nothing is verified).
    """
    if env_bool("TCX_INSECURE", environ=environ) or insecure or configured_insecure:
        return False
    if url is not None and url.startswith("http://"):
        return False
    return ca_bundle or env_text("TCX_CA_BUNDLE", environ) or configured_ca or True
