"""What "verified" refuses: each rule of tcxkit.backups.archive, with its message (#25)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tcxkit.backups import BackupInvalid, check_archive
from tcxkit.backups.archive import sha256_of


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name), data)
    return path


def test_a_good_archive_gives_its_facts(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", {"BackupInfo.json": b"{}", "Data/x.bin": b"x" * 1000})
    facts = check_archive(path, "a", size=path.stat().st_size)
    assert (facts.size, facts.sha256, facts.members) == (*sha256_of(path), 2)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../etc/passwd.json": b"{}"}, "member '../etc/passwd.json' points outside the archive"),
        ({"/abs.json": b"{}"}, "member '/abs.json' points outside the archive"),
        ({"a\\b.json": b"{}"}, "points outside the archive"),
        ({"readme.txt": b"hello"}, "no configuration or database file inside; not a 3CX backup"),
    ],
)
def test_archives_that_are_not_safe_3cx_backups_are_refused(
    tmp_path: Path, members: dict[str, bytes], message: str
) -> None:
    path = _zip(tmp_path / "b.zip", members)
    with pytest.raises(BackupInvalid, match=r"^b: ") as caught:
        check_archive(path, "b")
    assert message in str(caught.value)


def test_size_hash_and_format_mismatches_are_named(tmp_path: Path) -> None:
    path = _zip(tmp_path / "c.zip", {"db.sql": b"select 1;"})
    with pytest.raises(BackupInvalid, match=r"^c: \d+ bytes, expected 1\.\n"):
        check_archive(path, "c", size=1)
    with pytest.raises(BackupInvalid, match="differs from the manifest's 0000000000000000"):
        check_archive(path, "c", sha256="0" * 64)
    html = tmp_path / "page.zip"
    html.write_bytes(b"<html>login</html>")
    with pytest.raises(BackupInvalid, match=r"^page: not a readable zip archive"):
        check_archive(html, "page")


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "e.zip", {"db.sql": b"x"})
    data = bytearray(path.read_bytes())
    data[6] |= 0x01  # the local header's flag bits: encrypted
    central = data.rindex(b"PK\x01\x02")
    data[central + 8] |= 0x01  # and the central directory's
    path.write_bytes(bytes(data))
    with pytest.raises(BackupInvalid, match=r"member 'db\.sql' is encrypted") as caught:
        check_archive(path, "e")
    assert "not supported yet" in (caught.value.hint or "")
