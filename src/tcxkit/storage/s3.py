"""An S3-compatible bucket as a store (boto3, extra ``s3``).

Why boto3 rather than a lean client: an S3 write that is both streamed and atomic is a
multipart upload (the object appears only when the last part is committed), signed with
SigV4 and retried part by part, and credentials come from a chain people already
configure (environment, ``~/.aws``, SSO, instance roles).  Re-implementing that is where
backup tools lose data; boto3 is AWS's own and works with MinIO, Ceph, Wasabi,
Backblaze and the other S3-compatible stores.

Credentials: boto3's chain only (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE``, ...); never the target text.  Endpoint of a non-AWS store:
``TCX_S3_ENDPOINT`` (or boto3's own ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import SplitResult, unquote

from ..errors import OutputExistsError, UsageError
from .base import ObjectInfo, StorageError, check_key, failed

__all__ = ["S3Storage"]

#: The variables whose values are credentials (masked in any error that quotes them).
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
#: Every variable this store reads from the mapping it is given (:data:`..open.VARIABLES`).
VARIABLES = (*_CREDENTIALS, "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "TCX_S3_ENDPOINT")


class S3Storage:
    """Objects under ``prefix`` in ``bucket``."""

    def __init__(
        self, client: Any, bucket: str, prefix: str, where: str, secrets: Iterable[str] = ()
    ) -> None:
        self._s3 = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.where = where
        #: Credentials given through ``env``: never in an error's text.
        self._secrets = frozenset(secrets)

    @classmethod
    def from_url(cls, parts: SplitResult, env: Mapping[str, str]) -> S3Storage:
        try:
            import boto3  # type: ignore[import-untyped]
            from botocore.config import Config  # type: ignore[import-untyped]
        except ImportError:
            raise UsageError("S3 targets need boto3.", hint="pip install 'tcxkit[s3]'") from None
        bucket = parts.hostname
        if not bucket:
            raise UsageError("An S3 target needs a bucket: s3://bucket/prefix.")
        endpoint = env.get("TCX_S3_ENDPOINT") or None
        # Read from ``env`` (the caller's environment) first, so a library caller can pass
        # credentials without exporting them; None falls back to boto3's own chain.
        session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
            profile_name=env.get("AWS_PROFILE") or None,
        )
        client = session.client(
            "s3",
            endpoint_url=endpoint,
            region_name=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1",
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )
        given = [env.get(k) or "" for k in _CREDENTIALS]
        return cls(client, bucket, unquote(parts.path), f"s3://{bucket}{parts.path}", given)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _fail(self, what: str, exc: Exception) -> StorageError:
        return failed(self.where, what, exc, self._secrets)

    def put(self, key: str, source: IO[bytes], *, overwrite: bool = False) -> ObjectInfo:
        if not overwrite and self.stat(key) is not None:
            raise OutputExistsError(f"{self.where}: {key} exists already; nothing was replaced.")
        try:
            self._s3.upload_fileobj(source, self.bucket, self._name(key))
        except Exception as exc:  # botocore's errors share no useful base with boto3's
            raise self._fail(f"write {key}", exc) from exc
        info = self.stat(key)
        if info is None:
            raise StorageError(f"{self.where}: {key} was written but is not there.")
        return info

    @contextmanager
    def get(self, key: str) -> Iterator[IO[bytes]]:
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            if _missing(exc):
                raise StorageError(f"{self.where}: {key} does not exist.") from None
            raise self._fail(f"read {key}", exc) from exc
        body = answer["Body"]
        try:
            yield body
        finally:
            body.close()

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        found = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(self.prefix) :]
                    if key and not key.rsplit("/", 1)[-1].startswith("."):
                        found.append(ObjectInfo(key, int(obj["Size"]), obj.get("LastModified")))
        except Exception as exc:
            raise self._fail("list", exc) from exc
        return sorted(found, key=lambda o: o.key)

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            raise self._fail(f"delete {key}", exc) from exc

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            if _missing(exc):
                return None
            raise self._fail(f"look at {key}", exc) from exc
        return ObjectInfo(key, int(head["ContentLength"]), head.get("LastModified"))

    def close(self) -> None:
        self._s3.close()


def _missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")
