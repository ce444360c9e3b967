"""``3cx backup run|verify|list|prune`` over three emulated PBXs, into a local folder (#25)."""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tcxkit.emulator import EmulatorConfig
from tcxkit.emulator.fleet import running_fleet

from ..stores import make_bucket
from .conftest import Runner


@pytest.fixture(scope="module")
def fleet3(tmp_path_factory: Any) -> Iterator[Any]:
    """Three demo PBXs whose backups take 0.2 s (so the run really waits for them).

    Shared by this module's tests: each writes to its own folder and consumes the
    faults it queues."""
    path = tmp_path_factory.mktemp("backup-fleet") / "fleet.toml"
    config = EmulatorConfig(data="demo", options={"backup_delay": 0.2})
    with running_fleet(3, path, config) as fleet:
        yield fleet


def _backup(
    run: Runner, fleet: Any, *args: str, selector: str = "all", env: dict[str, str] | None = None
) -> Any:
    inventory = ("--inventory", str(fleet.inventory))
    return run(*inventory, "--fleet", selector, "backup", *args, env=env)


def _fault(fleet: Any, index: int, outcome: str) -> None:
    emu = fleet.instances[index]
    r = httpx.post(emu.url + "/emulator/backups", json={"outcome": outcome}, auth=emu.control_auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"next": [outcome]}


def _stored(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_run_stores_three_verified_archives_and_their_manifest(
    run: Runner, fleet3: Any, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    r = _backup(run, fleet3, "run", "--to", str(store), "-o", "json")
    assert r.code == 0, r.err
    rows = r.json()
    assert [(x["pbx"], x["status"]) for x in rows] == [
        ("pbx01", "verified"), ("pbx02", "verified"), ("pbx03", "verified")
    ]  # fmt: skip
    assert "pbx02: backup tcxkit-" in r.err and "pbx02: verified tcxkit-" in r.err
    files = _stored(store)
    assert len(files) == 6
    for row in rows:
        archive = store / row["key"]
        entry = json.loads((store / (row["key"] + ".manifest.json")).read_text())
        data = archive.read_bytes()
        assert entry["sha256"] == row["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data) and entry["pbx"] == row["pbx"]
        assert entry["release"] and entry["build"] and entry["options"]["CallHistory"] is False
        assert "Password" not in json.dumps(entry)
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        with zipfile.ZipFile(archive) as z:
            assert "Data/DB/database.json" in z.namelist()
    assert stat.S_IMODE((store / "pbx01").stat().st_mode) == 0o700
    verify = run("backup", "verify", str(store), "-o", "jsonl")
    assert verify.code == 0, verify.err
    assert [x["status"] for x in verify.lines()] == ["verified"] * 3
    listed = run("backup", "list", str(store), "-o", "jsonl").lines()
    assert [(x["pbx"], x["key"]) for x in listed] == [(x["pbx"], x["key"]) for x in rows]
    assert all(x["age"].endswith("s") for x in listed)


def test_a_corrupted_archive_fails_verify_by_name(run: Runner, fleet3: Any, tmp_path: Path) -> None:
    store = tmp_path / "store"
    rows = _backup(run, fleet3, "run", "--to", str(store), "--quiet", "-o", "json").json()
    bad = store / rows[1]["key"]
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    r = run("backup", "verify", str(store), "-o", "jsonl")
    assert r.code == 10
    assert f"1 of 3 archives in {store} do not verify: {rows[1]['key']}." in r.err
    lines = r.lines()
    assert [x.get("status") for x in lines] == ["verified", None, "verified"]
    assert lines[1]["key"] == rows[1]["key"]
    assert "differs from the manifest's" in lines[1]["error"]["message"]
    assert lines[1]["error"]["exit_code"] == 10


@pytest.mark.parametrize(
    ("outcome", "parts", "title"),
    [
        ("corrupt", ["not a readable zip archive"], "backup does not verify"),
        (  # listed Size: half of what the download serves; reading stops there
            "oversize",
            [
                "pbx02: the backup tcxkit-",
                "ran past its listed size",
                "the download was stopped and nothing stored.",
            ],
            "backup failed",
        ),
    ],
)
def test_a_pbx_whose_archive_is_bad_is_its_error_row(
    run: Runner, fleet3: Any, tmp_path: Path, outcome: str, parts: list[str], title: str
) -> None:
    _fault(fleet3, 1, outcome)
    store = tmp_path / "store"
    r = _backup(run, fleet3, "run", "--to", str(store), "--quiet", "-o", "json")
    assert r.code == 10, r.err
    rows = r.json()
    assert [x["pbx"] for x in rows] == ["pbx01", "pbx02", "pbx03"]
    assert rows[1]["error"]["exit_code"] == 10, rows[1]
    for part in parts:
        assert part in rows[1]["error"]["message"]
    assert f"1 of 3 PBXs failed (pbx02: {title})" in r.err
    assert not (store / "pbx02").exists()  # nothing unverified is stored
    assert len(_stored(store)) == 4


def test_a_failing_backup_exits_10_with_that_pbx_row(
    run: Runner, fleet3: Any, tmp_path: Path
) -> None:
    _fault(fleet3, 2, "fail")
    store = tmp_path / "store"
    r = _backup(run, fleet3, "run", "--to", str(store), "--quiet", "-o", "json")
    assert r.code == 10, r.err
    rows = r.json()
    assert [x.get("status") for x in rows] == ["verified", "verified", None]
    assert rows[2]["pbx"] == "pbx03"
    assert "Backup failed: not enough disk space" in rows[2]["error"]["message"]
    assert rows[2]["error"]["exit_code"] == 9
    assert "1 of 3 PBXs failed (pbx03:" in r.err


def test_a_backup_that_never_appears_stops_waiting(
    run: Runner, fleet3: Any, tmp_path: Path
) -> None:
    _fault(fleet3, 0, "never")
    r = _backup(
        run, fleet3, "run", "--to", str(tmp_path), "--wait", "1", "-o", "json", selector="pbx01"
    )
    assert r.code == 10, r.err
    (row,) = r.json()
    assert row["pbx"] == "pbx01" and row["error"]["exit_code"] == 10
    assert row["error"]["message"].startswith("pbx01: the backup tcxkit-")
    assert row["error"]["message"].endswith("was not listed after 1 s.")
    assert "--wait SECONDS" in row["error"]["hint"]
    assert "The fleet's one PBX failed (pbx01: backup failed)" in r.err


def test_targets_with_credentials_or_unknown_schemes_are_refused(run: Runner) -> None:
    r = run("backup", "list", "sftp://me:hunter2@example.net/backups")
    assert r.code == 2
    assert "carries a credential" in r.err and "hunter2" not in r.err
    r = run("backup", "list", "ftp://example.net/x")
    assert r.code == 2 and "Unknown storage target 'ftp://example.net/x'" in r.err


def _round_trip(run: Runner, fleet: Any, target: str, env: dict[str, str]) -> None:
    r = run(
        "--inventory", str(fleet.inventory), "--fleet", "all",
        "backup", "run", "--to", target, "--quiet", "-o", "json", env=env,
    )  # fmt: skip
    assert r.code == 0, r.err
    rows = r.json()
    assert [(x["pbx"], x["status"]) for x in rows] == [
        ("pbx01", "verified"), ("pbx02", "verified"), ("pbx03", "verified")
    ]  # fmt: skip
    verify = run("backup", "verify", target, "-o", "jsonl", env=env)
    assert verify.code == 0, verify.err
    assert [(x["key"], x["status"]) for x in verify.lines()] == [
        (x["key"], "verified") for x in rows
    ]
    listed = run("backup", "list", target, "-o", "jsonl", env=env).lines()
    assert [x["sha256"] for x in listed] == [x["sha256"] for x in rows]


def test_run_to_a_real_openssh_sftp_server(
    run: Runner, fleet3: Any, sshd: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "sftp-store"
    _round_trip(run, fleet3, sshd.url(folder), sshd.env)
    names = _stored(folder)
    assert len(names) == 6 and all(n.startswith(("pbx01/", "pbx02/", "pbx03/")) for n in names)
    assert all(stat.S_IMODE((folder / n).stat().st_mode) == 0o600 for n in names)


def test_run_to_an_s3_compatible_store(run: Runner, fleet3: Any, s3: Any) -> None:
    make_bucket(s3, "tcx-backups")
    _round_trip(run, fleet3, "s3://tcx-backups/nightly", s3.env)


def _restores(emu: Any) -> list[str]:
    log = httpx.get(emu.url + "/emulator/requests", auth=emu.control_auth).json()
    return [e["path"] for e in log if e["path"].endswith("/Pbx.Restore")]


def _taken(run: Runner, fleet: Any, store: str, pbx: str) -> str:
    """The key of a verified backup of ``pbx`` just stored in ``store`` (to restore)."""
    taken = _backup(run, fleet, "run", "--to", store, "--quiet", "-o", "json", selector=pbx)
    assert taken.code == 0, taken.err
    return str(taken.json()[0]["key"])


def test_restore_is_checked_then_confirmed_and_sent_once(
    run: Runner, fleet3: Any, tmp_path: Path
) -> None:
    store = str(tmp_path / "store")
    key = _taken(run, fleet3, store, "pbx01")
    inv = ["--inventory", str(fleet3.inventory)]
    pbx01 = fleet3.instances[0]
    before = len(_restores(pbx01))
    asked = run(*inv, "--pbx", "pbx01", "backup", "restore", store, key)
    assert asked.code == 2
    assert (
        "Restore pbx01 from tcxkit-" in asked.err and "not confirmed, nothing was sent" in asked.err
    )
    other = run(*inv, "--pbx", "pbx02", "backup", "restore", store, key, "--yes")
    assert other.code == 10
    assert "is a backup of pbx01, not of pbx02; nothing was sent." in other.err
    assert len(_restores(pbx01)) == before
    done = run(*inv, "--pbx", "pbx01", "backup", "restore", store, key, "--yes")
    assert done.code == 0, done.err
    assert "pbx01: restore from tcxkit-" in done.err
    file_name = key.split("_", 1)[1]
    assert _restores(pbx01)[before:] == [f"/xapi/v1/Backups('{file_name}')/Pbx.Restore"]
    gone = run(*inv, "--pbx", "pbx01", "backups", "delete-backups", "--file-name", file_name,
               "--yes")  # fmt: skip
    assert gone.code == 0, gone.err
    missing = run(*inv, "--pbx", "pbx01", "backup", "restore", store, key, "--yes")
    assert missing.code == 10
    assert f"pbx01 no longer has {file_name}; XAPI cannot upload it back." in missing.err
    unknown = run(*inv, "--pbx", "pbx01", "backup", "restore", store, "pbx01/nope.zip")
    assert unknown.code == 2 and "No backup 'pbx01/nope.zip'" in unknown.err


def test_an_unreachable_sftp_store_stops_the_run_before_any_backup(
    run: Runner, fleet3: Any, sshd: Any, tmp_path: Path
) -> None:
    from ..stores import free_port

    target = f"sftp://{sshd.user}@127.0.0.1:{free_port()}{tmp_path}"
    r = _backup(run, fleet3, "run", "--to", target, env=sshd.env)
    assert r.code == 4
    assert f"Cannot reach sftp://{sshd.user}@127.0.0.1:" in r.err
    assert "backup tcxkit-" not in r.err  # no PBX was asked


def test_verify_of_an_empty_or_mistyped_store_fails(run: Runner, tmp_path: Path) -> None:
    r = run("backup", "verify", str(tmp_path / "nothing-here"))
    assert r.code == 10
    assert f"There are no backups in {tmp_path / 'nothing-here'}." in r.err
    assert "3cx backup run --to TARGET" in r.err


def test_restore_stops_a_download_past_the_listed_size(
    run: Runner, fleet3: Any, tmp_path: Path
) -> None:
    """The PBX's copy is fetched as ``backup run`` fetches: stopped at its listed ``Size``.
    The emulator's ``oversize`` fault (listed at half of what it serves) on the PBX's copy
    of a verified backup makes the restore refuse, exit 10, and send nothing."""
    from tcxkit.emulator.domain.backups import add_backup

    store = str(tmp_path / "store")
    key = _taken(run, fleet3, store, "pbx03")
    file_name = key.split("_", 1)[1]
    pbx03 = fleet3.instances[2]
    row = pbx03.state.entity_set("Backups").get(file_name)
    served = add_backup(pbx03.state, file_name, row["CreationTime"], oversize=True)
    assert served["Size"] < len(pbx03.state.extra["backup_files"][file_name])
    before = len(_restores(pbx03))
    inv = ["--inventory", str(fleet3.inventory)]
    r = run(*inv, "--pbx", "pbx03", "backup", "restore", store, key, "--yes")
    assert r.code == 10, r.err
    assert (
        f"pbx03: the backup {file_name} ran past its listed size ({served['Size']} bytes); "
        "the download was stopped and nothing was sent." in r.err
    )
    assert len(_restores(pbx03)) == before


def _no_content(emu: Any) -> None:
    """The emulator answers the next ``/backups/<file>`` download 204 (no content)."""
    rule = {"path": "/backups/*", "status": 204, "times": 1}
    r = httpx.post(emu.url + "/emulator/faults", json=rule, auth=emu.control_auth)
    assert r.status_code == 200, r.text


_NO_FILE = "the PBX answered 204 (no content) where a file was due; nothing was saved."


def test_a_backup_download_answered_204_is_exit_12_and_stores_nothing(
    run: Runner, fleet3: Any, tmp_path: Path
) -> None:
    """A backup's ``DownloadLink`` that sends no file (:func:`tcxkit.results.require_file`):
    the run names the backup and stops with exit 12; no archive, no manifest entry."""
    _no_content(fleet3.instances[1])
    store = tmp_path / "store"
    r = _backup(run, fleet3, "run", "--to", str(store), "-o", "json", selector="pbx02")
    assert r.code == 12, r.err
    (row,) = r.json()
    assert row["pbx"] == "pbx02" and "status" not in row
    assert row["error"]["message"].startswith("pbx02: the backup tcxkit-")
    assert row["error"]["message"].endswith(f".zip: {_NO_FILE}")
    assert row["error"]["hint"] == "Check that it still exists on the PBX, then try again."
    assert (row["error"]["status"], row["error"]["exit_code"]) == (204, 12)
    assert "The fleet's one PBX failed (pbx02: not an API answer)" in r.err
    assert _stored(store) == []  # the download went to a temporary folder, now gone
    again = _backup(run, fleet3, "run", "--to", str(store), "-o", "json", selector="pbx02")
    assert again.code == 0, again.err  # the rule was for one download: the next is stored
    assert len(_stored(store)) == 2


def test_a_restore_whose_download_is_answered_204_is_exit_12_and_sends_nothing(
    run: Runner, fleet3: Any, tmp_path: Path
) -> None:
    """A restore fetches the PBX's copy first: one answered 204 is exit 12, nothing sent."""
    store = str(tmp_path / "store")
    key = _taken(run, fleet3, store, "pbx03")
    pbx03 = fleet3.instances[2]
    before = len(_restores(pbx03))
    _no_content(pbx03)
    inv = ["--inventory", str(fleet3.inventory)]
    r = run(*inv, "--pbx", "pbx03", "backup", "restore", store, key, "--yes")
    assert r.code == 12, r.err
    assert f"pbx03: the backup {key.split('_', 1)[1]}: {_NO_FILE}" in r.err
    assert len(_restores(pbx03)) == before
