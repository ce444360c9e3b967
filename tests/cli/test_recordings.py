"""``3cx recording archive|verify`` over emulated PBXs (#26 item 2).

The kill test runs the command as a real process and SIGKILLs it once it reports
progress (a line read from its stderr, not a sleep), then resumes in-process.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import tcxkit
from tcxkit import Client
from tcxkit.emulator import EmulatorConfig, running
from tcxkit.emulator.fleet import running_fleet

from ..stores import make_bucket
from .conftest import InProcess, Runner, _base_env

TODAY = datetime.now(UTC).date()
PERIOD = ("--from", str(TODAY - timedelta(days=40)), "--to", str(TODAY + timedelta(days=1)))


@pytest.fixture
def pbx500() -> Iterator[Any]:
    """A demo PBX with 500 recordings, private to the test (archives may delete them)."""
    with running(EmulatorConfig(options={"recordings": 500})) as emu:
        yield emu


def _runner(emu: Any, dirs: dict[str, Path], **extra: str) -> Runner:
    env = _base_env(dirs)
    env.update(TCX_URL=emu.url, TCX_CLIENT_ID=emu.client_id, TCX_CLIENT_SECRET=emu.client_secret)
    env.update(extra)
    return InProcess(env, dirs["work"])


def _pbx_ids(emu: Any, tmp: Path) -> list[int]:
    with Client(emu.url, emu.client_id, emu.client_secret, token_cache=tmp / "t") as c:
        return sorted(r["Id"] for r in c.paginate("ListRecording", select=["Id"]))


def _check_folder(folder: Path, count: int) -> list[dict[str, Any]]:
    """Every recording once, each with an entry whose size and SHA-256 it has."""
    visible = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    wavs = [p for p in visible if p.suffix == ".wav"]
    entries = [p for p in visible if p.name.endswith(".wav.json")]
    assert len(wavs) == len(entries) == count and len(visible) == 2 * count
    out = []
    for wav in wavs:
        entry = json.loads(wav.with_name(wav.name + ".json").read_text())
        data = wav.read_bytes()
        assert data[:4] == b"RIFF" and entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert f"_rec{entry['recording_id']}_" in wav.name
        assert entry["call"]["Id"] == entry["recording_id"] and entry["rate"] == 8000
        out.append(entry)
    assert len({e["recording_id"] for e in out}) == count
    assert len({e["sha256"] for e in out}) == count  # the emulator's tones differ per id
    return out


def test_archive_of_500_killed_and_resumed(pbx500: Any, dirs: Any, tmp_path: Path) -> None:
    store = tmp_path / "store"
    env = _base_env(dirs) | {
        "TCX_URL": pbx500.url,
        "TCX_CLIENT_ID": pbx500.client_id,
        "TCX_CLIENT_SECRET": pbx500.client_secret,
        "PYTHONPATH": str(Path(tcxkit.__file__).parents[1]),
    }
    argv = [sys.executable, "-m", "tcxkit", "recording", "archive", *PERIOD]
    proc = subprocess.Popen(
        [*argv, "--into", str(store), "--downloads", "2"],
        env=env,
        cwd=dirs["work"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait for it to be well under way
            if "100/500 recordings verified" in line:
                break
        else:
            pytest.fail(f"no progress before exit {proc.wait()}")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    done = [p for p in store.rglob("*.wav.json")]
    assert 100 <= len(done) < 500  # killed mid-run, not before or after

    r = _runner(pbx500, dirs)("recording", "archive", *PERIOD, "--into", str(store))
    assert r.code == 0, r.err
    [row] = r.json()
    assert row["status"] == "complete" and row["recordings"] == 500
    assert row["present"] >= len(done) and row["archived"] + row["present"] == 500
    entries = _check_folder(store, 500)
    assert sorted(e["recording_id"] for e in entries) == _pbx_ids(pbx500, tmp_path)

    again = _runner(pbx500, dirs)("recording", "archive", *PERIOD, "--into", str(store))
    assert again.code == 0 and again.json()[0]["present"] == 500, again.err
    empty = _runner(pbx500, dirs)("recording", "verify", str(tmp_path / "none"))
    assert empty.code == 0 and f"3cx: no recordings in {tmp_path / 'none'}." in empty.err
    verify = _runner(pbx500, dirs)("recording", "verify", str(store), "-o", "jsonl")
    assert verify.code == 0, verify.err
    assert [x["status"] for x in verify.lines()] == ["verified"] * 500


def _fault(emu: Any, rec_id: int, status: int = 404) -> None:
    path = f"/xapi/v1/Recordings/Pbx.DownloadRecording(recId={rec_id})"
    r = httpx.post(
        emu.url + "/emulator/faults", json={"path": path, "status": status}, auth=emu.control_auth
    )
    assert r.status_code == 200, r.text


def test_a_recording_answered_204_is_named_and_nothing_is_stored_for_it(
    dirs: Any, tmp_path: Path
) -> None:
    """A ``DownloadRecording`` that sends no file (:func:`tcxkit.results.require_file`, exit
    12 for that recording): no audio, no manifest entry, not deleted; the run is
    "incomplete" (exit 10, the archive's rule for a recording not archived) and a later
    run archives it."""
    with running(EmulatorConfig(options={"recordings": 3})) as emu:
        _fault(emu, 2, status=204)
        run = _runner(emu, dirs)
        store = tmp_path / "store"
        args = ("recording", "archive", *PERIOD, "--into", str(store), "--quiet", "-o", "json")
        r = run(*args, "--delete-after-verify", "--yes")
        assert r.code == 10, r.err
        [row] = r.json()
        assert (row["status"], row["archived"], row["failed"], row["deleted"]) == (
            "incomplete", 2, 1, 2,
        )  # fmt: skip
        assert (
            "3cx: pbx: recording 2: pbx: recording 2: the PBX answered 204 (no content) where a "
            "file was due; nothing was saved." in r.err
        )
        assert {e["recording_id"] for e in _check_folder(store, 2)} == {1, 3}
        assert not [p for p in store.rglob("*") if "_rec2_" in p.name or p.suffix == ".part"]
        assert _pbx_ids(emu, tmp_path) == [2]  # what was not stored is not deleted
        httpx.delete(emu.url + "/emulator/faults", auth=emu.control_auth).raise_for_status()
        again = run(*args)
        assert again.code == 0, again.err
        assert again.json()[0]["archived"] == 1
        assert {e["recording_id"] for e in _check_folder(store, 3)} == {1, 2, 3}


def test_delete_after_verify_deletes_only_verified(dirs: Any, tmp_path: Path) -> None:
    config = EmulatorConfig(options={"recordings": 30, "corrupt_recordings": [5]})
    with running(config) as emu:
        _fault(emu, 7)  # this download fails; 5 arrives as a broken WAV
        run = _runner(emu, dirs)
        store = tmp_path / "store"
        args = ("recording", "archive", *PERIOD, "--into", str(store))
        refused = run(*args, "--delete-after-verify")
        assert refused.code == 2 and "--delete-after-verify deletes recordings" in refused.err
        assert "needs --yes" in refused.err and not store.exists()
        assert len(_pbx_ids(emu, tmp_path)) == 30

        r = run(*args, "--delete-after-verify", "--yes", "-o", "json")
        assert r.code == 10, r.err
        [row] = r.json()
        assert row == {
            "pbx": "pbx", "status": "incomplete", "recordings": 30, "archived": 28,
            "present": 0, "failed": 2, "deleted": 28, "bytes": row["bytes"],
        }  # fmt: skip
        assert "3cx: pbx: recording 5: pbx: recording 5: not a RIFF/WAVE file." in r.err
        assert "3cx: pbx: recording 7: " in r.err and "2 recordings were not archived" in r.err
        assert _pbx_ids(emu, tmp_path) == [5, 7]  # only the verified ones went
        entries = _check_folder(store, 28)
        assert {e["recording_id"] for e in entries} == set(range(1, 31)) - {5, 7}


def test_a_recording_past_the_size_cap_is_stopped_and_not_deleted(
    dirs: Any, tmp_path: Path
) -> None:
    """``--max-size`` bounds each download (the PBX lists no size for a recording): one
    past it is stopped, named, not stored and not deleted (exit 10); a run with room
    archives the rest.  The emulator's recordings are 0.5-3 s tones (8 to 48 kB)."""
    with running(EmulatorConfig(options={"recordings": 12})) as emu:
        run = _runner(emu, dirs)
        store = tmp_path / "store"
        args = ("recording", "archive", *PERIOD, "--into", str(store), "--quiet")
        cap = 0.02  # MiB: 20 971 bytes
        r = run(*args, "--max-size", str(cap), "--delete-after-verify", "--yes", "-o", "json")
        assert r.code == 10, r.err
        [row] = r.json()
        big = sorted(
            int(line.split("recording ")[1].split(":")[0])
            for line in r.err.splitlines()
            if "ran past the archive's cap" in line
        )
        assert big and row["failed"] == len(big) and row["archived"] == 12 - len(big)
        for rec_id in big:
            assert (
                f"3cx: pbx: recording {rec_id}: pbx: recording {rec_id} ran past the archive's "
                "cap (20971 bytes); the download was stopped and nothing stored." in r.err
            )
        assert _pbx_ids(emu, tmp_path) == big  # only what was verified was deleted
        kept = _check_folder(store, 12 - len(big))
        assert all(e["size"] <= 20971 for e in kept)
        assert not [p for p in store.rglob("*") if p.name.endswith(".part")]
        again = run(*args, "-o", "json")
        assert again.code == 0, again.err
        assert again.json()[0]["archived"] == len(big)
        refused = run(*args, "--max-size", "0")
        assert refused.code == 2 and "Invalid value for '--max-size'" in refused.err


@pytest.mark.filterwarnings("ignore:{conn_id} in a per-PBX file name is deprecated")
@pytest.mark.parametrize("placeholder", ["{pbx}", "{conn_id}"])
def test_a_per_pbx_placeholder_in_the_store_is_refused(
    run: Runner, tmp_path: Path, placeholder: str
) -> None:
    """Either spelling (``{conn_id}``, the deprecated one, too): the fix drops it."""
    r = run("recording", "archive", *PERIOD, "--into", f"{tmp_path}/rec/{placeholder}")
    assert r.code == 2 and r.out == ""
    assert (
        f"--into {tmp_path}/rec/{placeholder}: every PBX's recordings go to a folder of its "
        "own in the store already (TARGET/<pbx>/<date>/...); {pbx} is not needed." in r.err
    )
    assert f"Hint: Give the store without {{pbx}}: --into {tmp_path}/rec\n" in r.err + "\n"
    assert not (tmp_path / "rec").exists()


def test_download_limit_takes_a_listed_size_when_smaller() -> None:
    from tcxkit.recordings import DEFAULT_MAX_BYTES, download_limit

    assert download_limit({"Id": 1}, DEFAULT_MAX_BYTES) == DEFAULT_MAX_BYTES == 1 << 30
    assert download_limit({"Size": 5000}, 9000) == 5000
    assert download_limit({"Size": 50000}, 9000) == 9000
    assert download_limit({"Size": True}, 9000) == download_limit({"Size": "1"}, 9000) == 9000


def test_delete_after_verify_rechecks_what_an_earlier_run_stored(dirs: Any, tmp_path: Path) -> None:
    with running(EmulatorConfig(options={"recordings": 6})) as emu:
        run = _runner(emu, dirs)
        store = tmp_path / "store"
        args = ("recording", "archive", *PERIOD, "--into", str(store))
        assert run(*args).code == 0
        [victim] = sorted(store.rglob("*_rec3_*.wav"))
        victim.write_bytes(victim.read_bytes()[:-1] + b"X")  # same size, other content
        r = run(*args, "--delete-after-verify", "--yes")
        assert r.code == 10
        assert "recording 3: " in r.err and "is not what was verified" in r.err
        assert _pbx_ids(emu, tmp_path) == [3]
        (store / "pbx" / "backup.zip.manifest.json").write_text("{}")  # not a recording's
        bad = run("recording", "verify", str(store), "-o", "jsonl")
        assert bad.code == 10 and "1 of 6 recordings" in bad.err
        assert [x["key"] for x in bad.lines() if x["status"] != "verified"] == [
            victim.relative_to(store).as_posix()
        ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-12-08", "2026-12-01", "The period ends (2026-12-01T00:00:00Z) before it starts"),
        ("yesterday", "2026-12-01", "--from 'yesterday' is not a date or date-time."),
        ("2026-12-01", "2026-13-01", "--to '2026-13-01' is not a date or date-time."),
    ],
)
def test_bad_periods_are_refused(
    run: Runner, tmp_path: Path, start: str, end: str, message: str
) -> None:
    r = run("recording", "archive", "--from", start, "--to", end, "--into", str(tmp_path / "s"))
    assert r.code == 2 and message in r.err, r.err
    assert not (tmp_path / "s").exists()


def test_fleet_one_folder_per_pbx_and_sftp_target(dirs: Any, tmp_path: Path, sshd: Any) -> None:
    inventory = tmp_path / "fleet.toml"
    with running_fleet(2, inventory, EmulatorConfig(options={"recordings": 8})) as fleet:
        run = _runner(fleet.instances[0], dirs, **sshd.env)
        folder = tmp_path / "sftp-root"
        r = run("--inventory", str(inventory), "--fleet", "all", "recording", "archive",
                *PERIOD, "--into", sshd.url(folder), "-o", "jsonl")  # fmt: skip
        assert r.code == 0, r.err
        assert [(x["pbx"], x["archived"]) for x in r.lines()] == [("pbx01", 8), ("pbx02", 8)]
        assert sorted(p.name for p in folder.iterdir()) == ["pbx01", "pbx02"]
        for pbx in ("pbx01", "pbx02"):
            _check_folder(folder / pbx, 8)
        again = run("--inventory", str(inventory), "--fleet", "all", "recording", "archive",
                    *PERIOD, "--into", sshd.url(folder), "-o", "jsonl")  # fmt: skip
        assert [x["present"] for x in again.lines()] == [8, 8], again.err


def test_s3_target(dirs: Any, tmp_path: Path, s3: Any) -> None:
    make_bucket(s3, "recs")
    with running(EmulatorConfig(options={"recordings": 10})) as emu:
        run = _runner(emu, dirs, **s3.env)
        args = ("recording", "archive", *PERIOD, "--into", "s3://recs/archive")
        r = run(*args)
        assert r.code == 0 and r.json()[0]["archived"] == 10, r.err
        verify = run("recording", "verify", "s3://recs/archive", "-o", "jsonl")
        assert verify.code == 0 and len(verify.lines()) == 10, verify.err
        assert run(*args).json()[0]["present"] == 10


def test_a_pbx_that_cannot_list_is_its_error_row(dirs: Any, tmp_path: Path) -> None:
    inventory = tmp_path / "fleet.toml"
    with running_fleet(2, inventory, EmulatorConfig(options={"recordings": 3})) as fleet:
        bad = fleet.instances[1]
        rule = {"path": "/xapi/v1/Recordings", "status": 403}
        assert httpx.post(bad.url + "/emulator/faults", json=rule, auth=bad.control_auth).is_success
        run = _runner(fleet.instances[0], dirs)
        store = tmp_path / "store"
        r = run("--inventory", str(inventory), "--fleet", "all", "recording", "archive",
                *PERIOD, "--into", str(store), "-o", "jsonl")  # fmt: skip
        assert r.code == 10 and "1 of 2 PBXs failed (pbx02: permission denied)" in r.err
        good, failed = r.lines()
        assert (good["pbx"], good["status"], good["archived"]) == ("pbx01", "complete", 3)
        assert failed["pbx"] == "pbx02" and failed["error"]["exit_code"] == 6
        assert sorted(p.name for p in store.iterdir()) == ["pbx01"]


def test_a_failed_delete_batch_is_not_resent_and_nothing_after_it_is_sent(
    dirs: Any, tmp_path: Path
) -> None:
    with running(EmulatorConfig(options={"recordings": 150})) as emu:
        rule = {"operation": "BulkRecordingsDelete", "status": 500, "times": 1}
        assert httpx.post(emu.url + "/emulator/faults", json=rule, auth=emu.control_auth).is_success
        emu.clear_requests()
        r = _runner(emu, dirs)("recording", "archive", *PERIOD, "--into", str(tmp_path / "s"),
                               "--delete-after-verify", "--yes", "-o", "json")  # fmt: skip
        assert r.code == 10, r.err
        [row] = r.json()
        assert (row["archived"], row["failed"], row["deleted"]) == (150, 0, 0)
        assert "150 recordings were not archived or not deleted" in r.err
        assert r.err.count("Injected fault") == 100  # each recording named, with the reason
        assert r.err.count("its delete was not sent, as the batch before it failed") == 50
        posts = [q for q in emu.requests if "BulkRecordingsDelete" in q["path"]]
        assert len(posts) == 1 and len(posts[0]["body"]["ids"]) == 100
        assert len(_pbx_ids(emu, tmp_path)) == 150
        _check_folder(tmp_path / "s", 150)
