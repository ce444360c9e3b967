"""An SFTP server as a store (paramiko, extra ``sftp``).

Why paramiko: it is the SSH library every Python deployment tool builds on, pure
Python over ``cryptography`` (already an emulator dependency), and it speaks OpenSSH's
``posix-rename`` extension -- which is what makes a write atomic here: the object is
uploaded under a hidden temporary name, then renamed over its final name in one step.

Trust and credentials, from the environment only:

* the server's host key must be known: ``TCX_SFTP_KNOWN_HOSTS`` (a known_hosts file),
  else ``~/.ssh/known_hosts``; an unknown or changed key is refused (fail closed);
* the user's key: ``TCX_SFTP_KEY_FILE`` (a private file, checked like every tcxkit
  secret file), else the SSH agent and ``~/.ssh/id_*``; or ``TCX_SFTP_PASSWORD``.
"""

from __future__ import annotations

import builtins
import posixpath
import stat as stat_mod
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import SplitResult, unquote

from ..errors import OutputExistsError, UsageError
from ..redaction import redact_text
from .base import ObjectInfo, StorageError, StorageUnreachable, check_key, chunks, failed

__all__ = ["SftpStorage"]

DEFAULT_TIMEOUT = 30.0


#: Every variable this store reads from the mapping it is given (:data:`..open.VARIABLES`).
VARIABLES = ("TCX_SFTP_PASSWORD", "TCX_SFTP_KEY_FILE", "TCX_SFTP_KNOWN_HOSTS", "TCX_SFTP_TIMEOUT")


class SftpStorage:
    """Objects as files under ``root`` on ``host`` (folders created 0700, files 0600)."""

    def __init__(
        self, sftp: Any, root: str, where: str, ssh: Any = None, secrets: tuple[str, ...] = ()
    ) -> None:
        self._sftp = sftp
        self._secrets = secrets
        self._ssh = ssh
        self.root = root.rstrip("/") or "/"
        self.where = where

    @classmethod
    def from_url(cls, parts: SplitResult, env: Mapping[str, str]) -> SftpStorage:
        try:
            import paramiko  # type: ignore[import-untyped]
        except ImportError:
            raise UsageError(
                "SFTP targets need paramiko.", hint="pip install 'tcxkit[sftp]'"
            ) from None
        host, port = parts.hostname, parts.port or 22
        if not host or not parts.username:
            raise UsageError("An SFTP target needs a user and a host: sftp://user@host/folder.")
        where = f"sftp://{parts.username}@{host}:{port}{parts.path or '/'}"
        ssh = paramiko.SSHClient()
        known = env.get("TCX_SFTP_KNOWN_HOSTS") or str(Path("~/.ssh/known_hosts").expanduser())
        if Path(known).is_file():
            ssh.load_host_keys(known)
        ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
        timeout = _timeout(env.get("TCX_SFTP_TIMEOUT"))
        key_file = env.get("TCX_SFTP_KEY_FILE")
        if key_file:
            from ..private_files import check_private

            check_private(key_file, "SSH key file", secret=True, why="it holds a private key")
        password = env.get("TCX_SFTP_PASSWORD") or None
        secrets = (password,) if password else ()
        try:
            ssh.connect(
                host,
                port=port,
                username=parts.username,
                password=password,
                key_filename=key_file or None,
                timeout=timeout,
                allow_agent=not key_file,
                look_for_keys=not key_file,
            )
            sftp = ssh.open_sftp()
        except paramiko.SSHException as exc:
            ssh.close()
            raise StorageError(
                f"{where}: {redact_text(str(exc), secrets)}.",
                hint="An unknown host key is refused: add it to TCX_SFTP_KNOWN_HOSTS "
                "(or ~/.ssh/known_hosts) with ssh-keyscan after checking it.",
            ) from exc
        except OSError as exc:
            ssh.close()
            why = redact_text(str(exc.strerror or exc), secrets)
            raise StorageUnreachable(f"Cannot reach {where}: {why}.") from exc
        return cls(sftp, unquote(parts.path or "/"), where, ssh, secrets)

    def _fail(self, what: str, exc: OSError) -> StorageError:
        return failed(self.where, what, exc, self._secrets)

    def _path(self, key: str) -> str:
        return posixpath.join(self.root, check_key(key))

    def _mkdirs(self, folder: str) -> None:
        missing = []
        while folder not in ("", "/"):
            try:
                self._sftp.stat(folder)
                break
            except FileNotFoundError:
                missing.append(folder)
                folder = posixpath.dirname(folder)
        for f in reversed(missing):
            self._sftp.mkdir(f, 0o700)

    def put(self, key: str, source: IO[bytes], *, overwrite: bool = False) -> ObjectInfo:
        path = self._path(key)
        if not overwrite and self.stat(key) is not None:
            raise OutputExistsError(f"{self.where}: {key} exists already; nothing was replaced.")
        folder, name = posixpath.split(path)
        part = posixpath.join(folder, f".{name[:100]}.{uuid.uuid4().hex[:12]}.part")
        try:
            self._mkdirs(folder)
            with self._sftp.open(part, "wb") as handle:
                handle.chmod(0o600)
                handle.set_pipelined(True)
                for piece in chunks(source, 1 << 18):
                    handle.write(piece)
            self._sftp.posix_rename(part, path)
        except OSError as exc:
            self._discard(part)
            raise self._fail(f"write {key}", exc) from exc
        info = self.stat(key)
        assert info is not None
        return info

    def _discard(self, path: str) -> None:
        with suppress(OSError):
            self._sftp.remove(path)

    @contextmanager
    def get(self, key: str) -> Iterator[IO[bytes]]:
        try:
            handle = self._sftp.open(self._path(key), "rb")
        except FileNotFoundError:
            raise StorageError(f"{self.where}: {key} does not exist.") from None
        except OSError as exc:
            raise self._fail(f"read {key}", exc) from exc
        with handle:
            handle.prefetch()
            yield handle

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        found: list[ObjectInfo] = []
        self._walk(self.root, "", prefix, found)
        return sorted(found, key=lambda o: o.key)

    def _walk(self, folder: str, rel: str, prefix: str, found: builtins.list[ObjectInfo]) -> None:
        try:
            entries = self._sftp.listdir_attr(folder)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._fail(f"list {folder}", exc) from exc
        for entry in entries:
            if entry.filename.startswith("."):
                continue
            key = f"{rel}{entry.filename}"
            if stat_mod.S_ISDIR(entry.st_mode or 0):
                self._walk(posixpath.join(folder, entry.filename), key + "/", prefix, found)
            elif key.startswith(prefix):
                found.append(_info(key, entry))

    def delete(self, key: str) -> None:
        try:
            self._sftp.remove(self._path(key))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._fail(f"delete {key}", exc) from exc

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            attrs = self._sftp.stat(self._path(key))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._fail(f"look at {key}", exc) from exc
        return _info(key, attrs) if stat_mod.S_ISREG(attrs.st_mode or 0) else None

    def close(self) -> None:
        self._sftp.close()
        if self._ssh is not None:
            self._ssh.close()


def _info(key: str, attrs: Any) -> ObjectInfo:
    when = datetime.fromtimestamp(attrs.st_mtime, UTC) if attrs.st_mtime else None
    return ObjectInfo(key, int(attrs.st_size or 0), when)


def _timeout(text: str | None) -> float:
    """``TCX_SFTP_TIMEOUT`` in seconds; an unparseable value is refused, not a traceback."""
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise UsageError(
            f"TCX_SFTP_TIMEOUT={text!r} is not a number of seconds.",
            hint="Set it to seconds between 0 and 3600 (e.g. 30), or unset it.",
        )
    return value
