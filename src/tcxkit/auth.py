"""Client-credentials tokens, shared the way a PBX needs them shared.

A PBX keeps one active access token per API client: a new token revokes the
previous one.  So every ``Client`` for the same PBX and credentials in a
process shares one token in memory (:class:`TokenState`), and processes share
it through a :class:`TokenStore` -- by default a small cache file (mode 0600,
guarded by a file lock) -- so that a CLI run after run, or Airflow tasks on one
worker, do not keep revoking each other.

Nothing here that the client's flows call does I/O: the flows ask their driver
to load or save the store (:mod:`tcxkit.flow`), so the async driver can do it
off the event loop.

The key is a hash of base URL, client id *and* secret: a process with a wrong
secret never borrows a token fetched with the right one.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

from .catalog import release_key
from .errors import (
    AuthenticationError,
    ConfigurationError,
    ServerError,
    UnexpectedContentError,
)
from .private_files import open_private

__all__ = [
    "FileTokenStore",
    "LeaseLock",
    "MemoryTokenStore",
    "Token",
    "TokenState",
    "TokenStore",
    "jwt_claims",
    "parse_token_response",
    "store_for",
    "token_form",
    "token_key",
    "token_lifetime",
]

# Tokens are refreshed this many seconds before they expire.
EXPIRY_MARGIN = 30.0
# A token the PBX rejected is replaced at most once per this many seconds for one API client,
# across every process that shares the store: the store records when the last token was
# fetched, and a caller that finds a fetch that recent waits it out and re-reads instead.
REFETCH_SPACING = 1.0
# A token response without a readable JWT and an unknown release: an
# ``expires_in`` below this is read as minutes (20.0.4-20.0.8 say 60 for an
# hour), at or above it as seconds (20.0.9+ say 3600).
_MINUTES_BELOW = 600


# A PBX's tokens live an hour (3CX's documentation); used when its answer says nothing.
DEFAULT_LIFETIME = 3600.0
# No lifetime is believed beyond a day: a PBX that says more is misread, and a token kept
# too long only costs one 401 and one refresh, never a wrong answer.
MAX_LIFETIME = 86400.0


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token and when it expires **by this host's clock**.

    ``expires_at`` is the local time the answer arrived plus the token's lifetime, never
    the PBX's ``exp`` claim: a PBX's clock may be hours off ours, and reading its ``exp``
    against our clock makes a token look expired on arrival (a token request per call)
    or fresh for hours after it died. ``lifetime`` is 0 for entries from older versions.
    """

    access_token: str
    expires_at: float
    lifetime: float = 0.0

    def fresh(self, now: float | None = None) -> bool:
        # A short-lived token (a test PBX's 20 s) is renewed a tenth of its life early, not
        # 30 s: else it would never count as fresh and every call would fetch one.
        margin = min(EXPIRY_MARGIN, self.lifetime / 10) if self.lifetime else EXPIRY_MARGIN
        return (now or time.time()) < self.expires_at - margin

    def __repr__(self) -> str:  # never show the token itself
        return f"<Token expires_at={self.expires_at:.0f}>"


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, without verifying it (we only read ``exp`` and ``iat``)."""
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


def _seconds(value: Any) -> float | None:
    """A positive number of a token answer (a number, or its short text), else None."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 < value < 1e12 else None


def token_lifetime(
    data: Mapping[str, Any], claims: Mapping[str, Any] | None, release: str | None
) -> float:
    """How long a token lives, in seconds, from the answer alone (no clock involved).

    ``expires_in`` is the PBX's own figure, but its unit changed (minutes up to 20.0.8,
    seconds from 20.0.9): when the JWT says ``exp - iat`` (a difference on the PBX's clock,
    so skew-free) the unit that agrees with it is taken; else the release's unit, or for an
    unknown release the unit its size suggests. Without ``expires_in``, ``exp - iat``;
    without either, an hour. Capped at :data:`MAX_LIFETIME`.
    """
    jwt_life = None
    if claims:
        exp, iat = _seconds(claims.get("exp")), _seconds(claims.get("iat"))
        if exp is not None and iat is not None and exp > iat:
            jwt_life = exp - iat
    expires_in = _seconds(data.get("expires_in"))
    if expires_in is not None and jwt_life is not None:
        lifetime = min((expires_in, expires_in * 60), key=lambda s: abs(s - jwt_life))
    elif expires_in is not None:
        lifetime = expires_in_seconds(expires_in, release)
    else:
        lifetime = jwt_life or DEFAULT_LIFETIME
    return min(lifetime, MAX_LIFETIME)


def token_form(client_id: str, client_secret: str) -> bytes:
    return urlencode(
        {"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"}
    ).encode()


def parse_token_response(
    status: int, body: bytes, *, url: str, release: str | None, now: float | None = None
) -> Token:
    """A :class:`Token` from ``POST /connect/token``'s answer, or the error it means.

    ``now`` is the local time the answer arrived: the token expires ``now`` + its lifetime.
    """
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
    lifetime = token_lifetime(data, jwt_claims(access), release)
    return Token(access, now + lifetime, lifetime)


def default_cache_dir() -> Path:
    env = os.environ.get("TCX_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tcxkit", appauthor=False))


def token_key(base_url: str, client_id: str, client_secret: str) -> str:
    """The key of one PBX + credentials in every store (no secret can be read from it)."""
    digest = hashlib.sha256(f"{base_url}\0{client_id}\0{client_secret}".encode()).hexdigest()
    return digest[:32]


@runtime_checkable
class TokenStore(Protocol):
    """Where a token is kept for other processes (or hosts) to reuse.

    An entry is a small dict (``access_token``, ``expires_at``, ``received_at``, ``lifetime``,
    ``fetched_at``, ``pbx_version``, ``version_checked_at``). Times are the wall clock of
    the process that wrote them: ``received_at`` + ``lifetime`` is when the token expires,
    so processes on one host agree; hosts sharing one store need synchronised clocks
    (NTP), as they do for anything time-based. The methods may block (disk, network): the
    async client calls them in a worker thread. Implement this to share tokens through your
    scheduler's own storage, and pass it as ``Client(token_cache=store)``.

    What a store need not do: decide anything. The client re-reads the store when the PBX
    rejects a token (another worker's newer token is taken, not fought), and spaces its own
    token requests by the entry's ``fetched_at`` (:data:`REFETCH_SPACING`), so a store only
    keeps the entry and, if its backend has no atomic lock, uses a :class:`LeaseLock`.
    """

    def load(self, key: str) -> Mapping[str, Any] | None:
        """The stored entry, or None when there is none (or it cannot be read)."""

    def save(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store ``entry``; failures must not raise (the token still works in memory)."""

    def lock(self, key: str) -> AbstractContextManager[None]:
        """Exclude other processes while one of them fetches a new token."""


class FileTokenStore:
    """One 0600 JSON file per key in a 0700 directory, and a file lock beside it."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory else default_cache_dir() / "tokens"

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(key).read_text())
        except (OSError, ValueError):
            return None  # missing or corrupt: a new token will overwrite it
        return _well_typed(data) if isinstance(data, dict) else None

    def save(self, key: str, entry: Mapping[str, Any]) -> None:
        path = self.path(key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            with open_private(tmp, "w", what="token cache file", encoding="utf-8") as fh:
                json.dump(dict(entry), fh)
            os.replace(tmp, path)
        except (OSError, ConfigurationError):
            # A read-only home (or a file planted at the name, refused) must not break
            # calls: the in-memory token still works, and nothing is written elsewhere.
            pass

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        from filelock import FileLock, Timeout

        # Not thread-local: the async client takes and releases it from worker threads.
        lock = FileLock(str(self.path(key)) + ".lock", timeout=30, thread_local=False)
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock.acquire()
        except (OSError, Timeout):
            yield  # no lock to be had: fetch anyway rather than fail the call
            return
        try:
            yield
        finally:
            lock.release()


class MemoryTokenStore:
    """A store in this process's memory: for tests, and for programs that want no file.

    Several clients given the same instance share its entries; a thread lock per key is
    its ``lock``.
    """

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> dict[str, Any] | None:
        entry = self.entries.get(key)
        return dict(entry) if entry is not None else None

    def save(self, key: str, entry: Mapping[str, Any]) -> None:
        self.entries[key] = dict(entry)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._guard:
            held = self._locks.setdefault(key, threading.Lock())
        with held:
            yield


class LeaseLock:
    """A lock for stores whose backend can only read and write a record (no atomic update).

    Claim, then verify: a caller writes ``{"owner": <its id>, "until": <now + ttl>}``,
    waits ``settle`` seconds and reads the record back; it holds the lock when the record
    is still its own. Two callers that claim at once both read the later claim, so one of
    them waits. Only a caller stalled for longer than ``settle`` between its read and its
    write can slip through, and the worst that does is one extra token request: a client
    that gets a 401 re-reads the store and adopts the newest token rather than fetching.
    A claim left behind by a crashed holder expires after ``ttl``; a caller that cannot
    get the lock within ``timeout`` goes on without it (a call must not fail for a lock).
    """

    def __init__(
        self,
        read: Callable[[], Mapping[str, Any] | None],
        write: Callable[[Mapping[str, Any]], None],
        *,
        ttl: float = 15.0,
        settle: float = 0.25,
        poll: float = 0.2,
        timeout: float = 30.0,
    ) -> None:
        self._read = read
        self._write = write
        self.ttl, self.settle, self.poll, self.timeout = ttl, settle, poll, timeout

    def _holder(self) -> tuple[str | None, float]:
        try:
            record = self._read() or {}
        except Exception:  # an unreachable backend means no one is known to hold it
            return None, 0.0
        owner = record.get("owner")
        until = record.get("until")
        return (str(owner) if owner else None), (
            float(until) if isinstance(until, int | float) else 0.0
        )

    def acquire(self) -> str | None:
        """The owner id when the lock is held, None when it could not be had in time."""
        import random
        import uuid

        me = uuid.uuid4().hex
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            owner, until = self._holder()
            if owner is not None and owner != me and until > time.time():
                time.sleep(self.poll * (0.5 + random.random()))
                continue
            try:
                self._write({"owner": me, "until": time.time() + self.ttl})
            except Exception:
                return None  # cannot write a claim: behave as if there were no lock
            time.sleep(self.settle)
            if self._holder()[0] == me:
                return me
        return None

    def release(self, me: str) -> None:
        if self._holder()[0] == me:
            with contextlib.suppress(Exception):
                self._write({"owner": None, "until": 0})

    @contextlib.contextmanager
    def held(self) -> Iterator[bool]:
        """Hold the lock for the block; yields whether it was had (the block runs anyway)."""
        me = self.acquire()
        try:
            yield me is not None
        finally:
            if me is not None:
                self.release(me)


def store_for(token_cache: bool | str | os.PathLike[str] | TokenStore) -> TokenStore | None:
    """The store a ``token_cache`` argument means: True the default directory, a path
    that directory, False none (memory only), or a :class:`TokenStore` of your own."""
    if token_cache is True:
        return FileTokenStore()
    if token_cache is False or token_cache is None or token_cache == "":
        return None
    if isinstance(token_cache, str | os.PathLike):
        return FileTokenStore(token_cache)
    if isinstance(token_cache, TokenStore):
        return token_cache
    raise TypeError(f"token_cache must be a bool, a path or a TokenStore, not {token_cache!r}")


class TokenState:
    """The token and PBX version of one PBX + credentials, shared in this process.

    Pure memory: every ``Client`` with the same key sees the same entry, and the
    flows decide when to load it from or save it to a :class:`TokenStore`.
    """

    _memory: dict[str, dict[str, Any]] = {}
    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, key: str) -> None:
        self.key = key
        with self._guard:
            self.lock = self._locks.setdefault(key, threading.Lock())
            self._entry = self._memory.setdefault(key, {})

    def token(self) -> Token | None:
        entry = self._entry
        if "access_token" not in entry:
            return None
        if "received_at" in entry and "lifetime" in entry:
            # This host's arrival time plus the lifetime: every process here agrees on it.
            lifetime = float(entry["lifetime"])
            return Token(entry["access_token"], float(entry["received_at"]) + lifetime, lifetime)
        return Token(entry["access_token"], float(entry.get("expires_at", 0)))

    def has_version(self) -> bool:
        return "pbx_version" in self._entry

    def pbx_version(self) -> str | None:
        value = self._entry.get("pbx_version")
        checked = float(self._entry.get("version_checked_at", 0))
        # A PBX is upgraded now and then: trust a remembered version for a day.
        if value and time.time() - checked < 86400:
            return str(value)
        return None

    def merge(self, stored: Mapping[str, Any] | None) -> None:
        """Take what a store held (checked field by field)."""
        if stored:
            self._entry.update(_well_typed(dict(stored)))

    def snapshot(self) -> dict[str, Any]:
        return dict(self._entry)

    def set_token(self, token: Token, fetched_at: float | None = None) -> None:
        self._entry["access_token"] = token.access_token
        self._entry["expires_at"] = token.expires_at  # read by versions before received_at
        if token.lifetime:
            self._entry["received_at"] = token.expires_at - token.lifetime
            self._entry["lifetime"] = token.lifetime
        else:
            self._entry.pop("received_at", None)
            self._entry.pop("lifetime", None)
        if fetched_at is not None:
            self._entry["fetched_at"] = fetched_at

    def refetch_wait(self, now: float | None = None) -> float:
        """Seconds to wait before the next token request (see :data:`REFETCH_SPACING`)."""
        last = float(self._entry.get("fetched_at", 0))
        now = time.time() if now is None else now
        return max(0.0, min(REFETCH_SPACING, last + REFETCH_SPACING - now))

    def set_version(self, version: str) -> bool:
        """Remember the PBX's version; True when that changed what is stored."""
        if self._entry.get("pbx_version") == version:
            return False
        self._entry["pbx_version"] = version
        self._entry["version_checked_at"] = time.time()
        return True

    def forget(self, access_token: str) -> bool:
        """Drop ``access_token`` if it is the current one; True when something changed."""
        if self._entry.get("access_token") != access_token:
            return False
        for name in ("access_token", "expires_at", "received_at", "lifetime"):
            self._entry.pop(name, None)
        return True


# Cache file fields and the types they must have; anything else (a file
# edited by hand, truncated, or written by another version) is dropped.
_FIELDS: dict[str, tuple[type, ...]] = {
    "access_token": (str,),
    "expires_at": (int, float),
    "fetched_at": (int, float),
    "received_at": (int, float),
    "lifetime": (int, float),
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
    if "access_token" not in out or ("received_at" in out) != ("lifetime" in out):
        out.pop("received_at", None)
        out.pop("lifetime", None)
    return out
