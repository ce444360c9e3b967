"""One contract, three stores: a folder, a real OpenSSH SFTP server, moto's S3 server (#25)."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tcxkit.errors import OutputExistsError, UsageError
from tcxkit.storage import Storage, StorageError, check_key, open_storage

from ..stores import make_bucket


@pytest.fixture(params=["local", "sftp", "s3"])
def store(request: Any, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        opened = open_storage(str(tmp_path / "store"))
    elif request.param == "sftp":
        server = request.getfixturevalue("sshd")
        opened = open_storage(server.url(tmp_path / "remote"), server.env)
    else:
        server = request.getfixturevalue("s3")
        bucket = f"b-{tmp_path.name.lower().replace('_', '-')[-40:]}"
        make_bucket(server, bucket)
        opened = open_storage(f"s3://{bucket}/backups", server.env)
    try:
        yield opened
    finally:
        opened.close()


def test_the_storage_contract(store: Storage) -> None:
    assert store.list() == [] and store.stat("a/b.zip") is None
    data = bytes(range(256)) * 5000  # 1.28 MB: more than one piece
    info = store.put("pbx01/b.zip", io.BytesIO(data))
    assert (info.key, info.size) == ("pbx01/b.zip", len(data))
    with pytest.raises(OutputExistsError, match="exists already"):
        store.put("pbx01/b.zip", io.BytesIO(b"other"))
    store.put("pbx01/b.zip.manifest.json", io.BytesIO(b"{}"))
    store.put("pbx02/c.zip", io.BytesIO(b"c"))
    assert [o.key for o in store.list()] == ["pbx01/b.zip", "pbx01/b.zip.manifest.json", "pbx02/c.zip"]  # fmt: skip
    assert [o.key for o in store.list("pbx02/")] == ["pbx02/c.zip"]
    with store.get("pbx01/b.zip") as handle:
        assert handle.read() == data
    store.put("pbx02/c.zip", io.BytesIO(b"new"), overwrite=True)
    assert store.stat("pbx02/c.zip").size == 3  # type: ignore[union-attr]
    store.delete("pbx02/c.zip")
    store.delete("pbx02/c.zip")  # deleting what is gone is fine
    assert store.stat("pbx02/c.zip") is None
    with pytest.raises(StorageError, match="does not exist"), store.get("pbx02/c.zip"):
        pass


@pytest.mark.parametrize("key", ["", "../x", "a//b", "/abs", ".hidden", "a/../b", "a\\b", "é"])
def test_keys_that_could_escape_the_store_are_refused(key: str) -> None:
    with pytest.raises(StorageError, match="Bad storage key"):
        check_key(key)


def test_local_objects_are_private_and_writes_leave_no_part_file(tmp_path: Path) -> None:
    store = open_storage(str(tmp_path / "s"))

    class Broken(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(StorageError, match="Input/output error"):
        store.put("p/x.zip", Broken())
    assert list((tmp_path / "s").rglob("*")) == [tmp_path / "s" / "p"]  # no half file
    store.put("p/x.zip", io.BytesIO(b"x"))
    assert stat.S_IMODE((tmp_path / "s" / "p" / "x.zip").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "s" / "p").stat().st_mode) == 0o700


def test_an_unknown_host_key_is_refused(sshd: Any, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    env = {**sshd.env, "TCX_SFTP_KNOWN_HOSTS": str(empty)}
    with pytest.raises(StorageError, match="not found in known_hosts") as caught:
        open_storage(sshd.url(tmp_path), env)
    assert "ssh-keyscan" in (caught.value.hint or "")


def test_a_shared_key_file_is_refused(sshd: Any, tmp_path: Path) -> None:
    key = Path(sshd.env["TCX_SFTP_KEY_FILE"])
    shared = tmp_path / "shared_key"
    shared.write_bytes(key.read_bytes())
    shared.chmod(0o644)
    with pytest.raises(UsageError, match="readable or writable by other users"):
        open_storage(sshd.url(tmp_path), {**sshd.env, "TCX_SFTP_KEY_FILE": str(shared)})


def test_a_folder_others_can_write_to_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(UsageError, match="is writable by other users") as caught:
        open_storage(str(folder))
    assert "replace a backup and its manifest entry" in str(caught.value)
    assert caught.value.hint == f"Run: chmod go-w {folder}"


@pytest.mark.parametrize("tail", ["?X-Amz-Signature=hunter2", "#hunter2"])
def test_a_target_with_a_query_is_refused_without_echoing_it(tail: str) -> None:
    with pytest.raises(UsageError) as caught:
        open_storage(f"s3://tcx-backups/nightly{tail}")
    assert caught.value.message == (
        "The target s3://tcx-backups/nightly has a query or fragment (not shown); remove it."
    )
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf"])
def test_an_unparseable_sftp_timeout_is_refused_with_the_fix(
    sshd: Any, tmp_path: Path, value: str
) -> None:
    with pytest.raises(UsageError) as caught:
        open_storage(sshd.url(tmp_path), {**sshd.env, "TCX_SFTP_TIMEOUT": value})
    assert caught.value.message == f"TCX_SFTP_TIMEOUT={value!r} is not a number of seconds."
    assert caught.value.hint == "Set it to seconds between 0 and 3600 (e.g. 30), or unset it."
