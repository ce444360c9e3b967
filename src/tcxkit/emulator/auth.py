"""OAuth client-credentials tokens the way a 3CX PBX hands them out.

Tokens are JWT-shaped (``header.payload.signature``, base64url).  They are
signed with ES256 and a per-process key when ``cryptography`` is installed
(as a real PBX does), else with HS256 and a random per-process secret; either
way a client can read the ``exp`` claim without verifying anything.

The emulator never verifies signatures on requests: it issued every valid
token itself, so a dictionary lookup (token -> record) decides, which keeps
the per-request cost to one hash.  ``single_token`` reproduces the PBX rule
that a new token for a client revokes the previous one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass

__all__ = ["IssuedTokens", "TokenRecord", "b64url", "decode_claims"]


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWTs use."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class TokenRecord:
    client_id: str
    issued_at: float
    expires_at: float
    revoked: bool = False


class _Signer:
    """ES256 when available, HS256 otherwise (``algorithm`` says which)."""

    def __init__(self) -> None:
        try:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        except ImportError:  # pragma: no cover - depends on the environment
            self.algorithm = "HS256"
            self._secret = secrets.token_bytes(32)
            self._key = None
            return
        self.algorithm = "ES256"
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._ec = ec
        self._hashes = hashes
        self._decode = decode_dss_signature

    def sign(self, signing_input: bytes) -> bytes:
        if self._key is None:
            return hmac.new(self._secret, signing_input, hashlib.sha256).digest()
        der = self._key.sign(signing_input, self._ec.ECDSA(self._hashes.SHA256()))
        r, s = self._decode(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class IssuedTokens:
    """Issues, looks up, revokes and expires bearer tokens (thread-safe)."""

    def __init__(self, *, lifetime: int, single_token: bool, issuer: str = "tcxkit-emulator"):
        self.lifetime = lifetime
        self.single_token = single_token
        self.issuer = issuer
        self._signer = _Signer()
        self._tokens: dict[str, TokenRecord] = {}
        self._latest: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def algorithm(self) -> str:
        return self._signer.algorithm

    def issue(self, client_id: str, *, roles: tuple[str, ...] = ("system_owner",)) -> str:
        """A new token for ``client_id``; revokes its previous one under the single-token rule."""
        now = time.time()
        iat = int(now)
        claims = {
            "iss": self.issuer,
            "sub": client_id,
            "client_id": client_id,
            "scope": "xapi",
            "role": list(roles),
            "iat": iat,
            "nbf": iat,
            "exp": iat + self.lifetime,
            "jti": secrets.token_hex(8),
        }
        header = {"alg": self._signer.algorithm, "typ": "at+jwt"}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        ).encode("ascii")
        token = signing_input.decode("ascii") + "." + b64url(self._signer.sign(signing_input))
        with self._lock:
            if self.single_token:
                previous = self._latest.get(client_id)
                if previous is not None and previous in self._tokens:
                    self._tokens[previous].revoked = True
            self._tokens[token] = TokenRecord(client_id, now, now + self.lifetime)
            self._latest[client_id] = token
            self._prune(now)
        return token

    def check(self, token: str) -> TokenRecord | None:
        """The record of a valid (known, unexpired, unrevoked) token, else None."""
        record = self._tokens.get(token)
        if record is None or record.revoked or record.expires_at <= time.time():
            return None
        return record

    def why_invalid(self, token: str) -> str:
        """A short reason for the ``WWW-Authenticate`` header."""
        record = self._tokens.get(token)
        if record is None:
            return "The access token is not valid."
        if record.revoked:
            return "The access token was revoked: a newer token was issued to this client."
        return "The access token expired."

    def expire_all(self, client_id: str | None = None) -> int:
        """Make every (or one client's) token expire now; returns how many were live."""
        now = time.time()
        count = 0
        with self._lock:
            for record in self._tokens.values():
                if client_id is not None and record.client_id != client_id:
                    continue
                if not record.revoked and record.expires_at > now:
                    count += 1
                record.expires_at = min(record.expires_at, now)
        return count

    def _prune(self, now: float) -> None:
        # Keep the table small: forget tokens dead for more than a lifetime.
        if len(self._tokens) < 1024:
            return
        horizon = now - self.lifetime
        for token in [t for t, r in self._tokens.items() if r.expires_at < horizon]:
            del self._tokens[token]


def decode_claims(token: str) -> dict[str, object]:
    """The payload of a JWT, unverified (for tests and diagnostics)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))
