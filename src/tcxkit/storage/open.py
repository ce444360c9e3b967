"""A target text (``--to``) as a :class:`~tcxkit.storage.Storage`, refused when unsafe.

Credentials are never read from the text: ``sftp://user:password@...`` is refused
(a command line is visible to every user of the machine), and so is an S3 URL with a
key in it.  See each store's module for where its credentials come from.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from ..errors import UsageError
from . import s3, sftp
from .base import Storage

__all__ = ["VARIABLES", "open_storage"]

#: Every variable a store reads from the mapping :func:`open_storage` is given (each
#: store's own list: its module declares what it reads).  A face that takes them from
#: elsewhere (an Airflow connection's extra) refuses any other name: a misspelt one would
#: silently fall back to the worker's own credentials.
VARIABLES: frozenset[str] = frozenset((*sftp.VARIABLES, *s3.VARIABLES))

_SCHEMES = "a folder, file:///folder, sftp://user@host[:port]/folder or s3://bucket[/prefix]"


def open_storage(target: str, env: Mapping[str, str] | None = None) -> Storage:
    """The store ``target`` names (module docstring); ``env``: where credentials come from
    (``os.environ`` when None)."""
    import os

    env = os.environ if env is None else env
    if "://" not in target:
        from .local import LocalStorage

        return LocalStorage(target)
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if parts.password is not None or (parts.username and scheme == "s3"):
        raise UsageError(
            f"The target {parts.scheme}://{parts.hostname}... carries a credential.",
            hint="Credentials never go on a command line: for SFTP use an SSH agent, "
            "TCX_SFTP_KEY_FILE or TCX_SFTP_PASSWORD; for S3 the AWS_* environment.",
        )
    if parts.query or parts.fragment:
        # Not echoed: a query is where a presigned URL or a pasted token would sit.
        raise UsageError(
            f"The target {parts.scheme}://{parts.hostname}{parts.path} has a query or "
            "fragment (not shown); remove it."
        )
    if scheme == "file":
        from .local import LocalStorage

        return LocalStorage(unquote(parts.path))
    # Both modules are imported above (for VARIABLES); paramiko and boto3 load on use.
    if scheme == "sftp":
        return sftp.SftpStorage.from_url(parts, env)
    if scheme == "s3":
        return s3.S3Storage.from_url(parts, env)
    raise UsageError(f"Unknown storage target {target!r}.", hint=f"Use {_SCHEMES}.")
