"""Client-credentials tokens, shared the way a PBX needs them shared.

A PBX keeps one active access token per API client: a new token revokes the
previous one.  So every ``Client`` for the same PBX and credentials in a
process shares one token (in memory), and processes share it through a small
cache file (mode 0600, guarded by a file lock), so that a CLI run after run,
or Airflow tasks on one worker, do not keep revoking each other.

The cache key is a hash of base URL, client id *and* secret: a process with a
wrong secret never borrows a token fetched with the right one.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .catalog import release_key
from .errors import AuthenticationError, ServerError, UnexpectedContentError

__all__ = ["Token", "TokenStore", "jwt_claims", "parse_token_response", "token_form"]

# Tokens are refreshed this many seconds before they expire.
EXPIRY_MARGIN = 30.0
# A token response without a readable JWT and an unknown release: an
# ``expires_in`` below this is read as minutes (20.0.4-20.0.8 say 60 for an
# hour), at or above it as seconds (20.0.9+ say 3600).
_MINUTES_BELOW = 600


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    expires_at: float

    def fresh(self, now: float | None = None) -> bool:
        return (now or time.time()) < self.expires_at - EXPIRY_MARGIN

    def __repr__(self) -> str:  # never show the token itself
        return f"<Token expires_at={self.expires_at:.0f}>"


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, without verifying it (we only read ``exp``)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def expires_in_is_minutes(release: str) -> bool:
    """3CX's token answer counted ``expires_in`` in minutes up to 20.0.8, in seconds from 20.0.9."""
    return release_key(release) < (20, 0, 9)


def expires_in_seconds(expires_in: float, release: str | None) -> float:
    """``expires_in`` in seconds, by the release's unit (or, unknown, by its size)."""
    if release and len(release_key(release)) == 3:
        return expires_in * 60 if expires_in_is_minutes(release) else expires_in
    return expires_in * 60 if expires_in < _MINUTES_BELOW else expires_in


def token_form(client_id: str, client_secret: str) -> bytes:
    return urlencode(
        {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"}
    ).encode()


def parse_token_response(
    status: int, body: bytes, *, url: str, release: str | None, now: float | None = None
) -> Token:
    """A :class:`Token` from ``POST /connect/token``'s answer, or the error it means."""
    now = time.time() if now is None else now
    not_json = False
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        data, not_json = {}, True
    if status in (400, 401) or (status < 500 and "error" in data and status >= 400):
        desc = data.get("error_description") or data.get("error") or "no reason given"
        raise AuthenticationError(
            f"The PBX refused the API credentials ({status}): {desc}",
            status=status,
            method="POST",
            url=url,
            code=str(data.get("error") or ""),
            body=data or None,
            hint=(
                "Check the client id (the API client's DN) and the API key (shown once when the "
                "client was created under Integrations > API; regenerate it if lost). Many failed "
                "attempts can trip the PBX's anti-hacking lock-out for about 3 minutes."
            ),
        )
    if status < 400 and not_json:  # a web page (login, captive portal), not the PBX
        from .pipeline import LIKELY_CAUSE, describe_content

        raise UnexpectedContentError(
            f"The token request to {url} got {status} with "
            f"{describe_content('', body[:4096])} instead of a token.",
            content_type="",
            head=body[:512],
            status=status,
            method="POST",
            url=url,
            hint=LIKELY_CAUSE,
        )
    if status >= 400 or not isinstance(data, dict) or "access_token" not in data:
        raise ServerError(
            f"The PBX's token endpoint answered {status} without a token.",
            status=status,
            method="POST",
            url=url,
            hint="Check that the base URL points at the PBX itself (https://host:port), not a proxy.",
        )
    access = str(data["access_token"])
    claims = jwt_claims(access)
    if claims and isinstance(claims.get("exp"), int | float):
        expires_at = float(claims["exp"])
    else:
        expires_at = now + expires_in_seconds(float(data.get("expires_in") or 60), release)
    return Token(access, expires_at)


def default_cache_dir() -> Path:
    env = os.environ.get("TCX_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tcxkit", appauthor=False))


class TokenStore:
    """The token (and last seen PBX version) for one PBX + credentials."""

    _memory: dict[str, dict[str, Any]] = {}
    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(
        self, base_url: str, client_id: str, client_secret: str, cache: bool | str | Path = True
    ) -> None:
        digest = hashlib.sha256(f"{base_url}\0{client_id}\0{client_secret}".encode()).hexdigest()
        self.key = digest[:32]
        if cache is True:
            self.path: Path | None = default_cache_dir() / "tokens" / f"{self.key}.json"
        elif cache:
            self.path = Path(cache) / f"{self.key}.json"
        else:
            self.path = None
        with self._guard:
            self.lock = self._locks.setdefault(self.key, threading.Lock())
            self._entry = self._memory.setdefault(self.key, {})

    # -- reading -------------------------------------------------------------
    def _load_file(self) -> None:
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return  # missing or corrupt: a new token will overwrite it
        if isinstance(data, dict):
            self._entry.update(_well_typed(data))

    def token(self, *, reload: bool = False) -> Token | None:
        if reload or "access_token" not in self._entry:
            self._load_file()
        if "access_token" not in self._entry:
            return None
        return Token(self._entry["access_token"], float(self._entry.get("expires_at", 0)))

    def pbx_version(self) -> str | None:
        if "pbx_version" not in self._entry:
            self._load_file()
        value = self._entry.get("pbx_version")
        checked = float(self._entry.get("version_checked_at", 0))
        # A PBX is upgraded now and then: trust a remembered version for a day.
        if value and time.time() - checked < 86400:
            return str(value)
        return None

    # -- writing -------------------------------------------------------------
    def save_token(self, token: Token) -> None:
        self._entry["access_token"] = token.access_token
        self._entry["expires_at"] = token.expires_at
        self._write()

    def save_version(self, version: str) -> None:
        if self._entry.get("pbx_version") == version:
            return
        self._entry["pbx_version"] = version
        self._entry["version_checked_at"] = time.time()
        self._write()

    def forget(self, access_token: str) -> None:
        if self._entry.get("access_token") == access_token:
            self._entry.pop("access_token", None)
            self._entry.pop("expires_at", None)
            self._write()

    def _write(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(self._entry, fh)
            os.replace(tmp, self.path)
        except OSError:
            # A read-only home must not break calls: the in-memory token still works.
            pass

    @contextlib.contextmanager
    def interprocess(self) -> Iterator[None]:
        """Hold the cache file's lock while a token is fetched."""
        if self.path is None:
            yield
            return
        from filelock import FileLock, Timeout

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = FileLock(str(self.path) + ".lock", timeout=30)
            lock.acquire()
        except (OSError, Timeout):
            yield
            return
        try:
            yield
        finally:
            lock.release()


# Cache file fields and the types they must have; anything else (a file
# edited by hand, truncated, or written by another version) is dropped.
_FIELDS: dict[str, tuple[type, ...]] = {
    "access_token": (str,),
    "expires_at": (int, float),
    "pbx_version": (str,),
    "version_checked_at": (int, float),
}


def _well_typed(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, types in _FIELDS.items():
        value = data.get(name)
        if isinstance(value, types) and not isinstance(value, bool) and value != "":
            out[name] = value
    if ("access_token" in out) != ("expires_at" in out):
        out.pop("access_token", None)
        out.pop("expires_at", None)
    return out
