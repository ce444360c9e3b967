"""Where archives go: one small storage protocol, three places (local, SFTP, S3).

Backups (``tcxkit.backups``) and, later, the recordings archive write through
:class:`Storage` only, so a new kind of place is one module here, never a change to
them.  The protocol is deliberately small -- ``put`` a stream atomically, ``get``,
``list``, ``delete``, ``stat`` -- because every place must honour one promise: a reader
sees a complete object or none (see docs/backups.md, "Guarantees").

:func:`open_storage` turns a target text into a store:

* ``/path/to/folder`` or ``file:///path`` -- :mod:`.local`;
* ``sftp://user@host[:port]/path`` -- :mod:`.sftp` (paramiko, extra ``sftp``);
* ``s3://bucket[/prefix]`` -- :mod:`.s3` (boto3, extra ``s3``).

Credentials are never part of the text (a password in the URL is refused): they come
from the environment, an SSH agent or key file, or boto3's own chain.
"""

from __future__ import annotations

from .base import ObjectInfo, Storage, StorageError, check_key
from .lane import StoreLane
from .open import VARIABLES, open_storage

__all__ = [
    "VARIABLES",
    "ObjectInfo",
    "Storage",
    "StorageError",
    "StoreLane",
    "check_key",
    "open_storage",
]
